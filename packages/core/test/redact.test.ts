import { PlexAuthError, REDACTED, redactHeaders, redactTokens, redactUrl } from '@plexauth/core'
import { authenticatorOf } from '@plexauth/core/adapter'
import { describe, expect, test } from 'vitest'

describe('redaction edges', () => {
  test('redactUrl: the fragment after the query is kept, a token parameter in the query replaced', () => {
    expect(redactUrl('/web?X-Plex-Token=2ffLuB84dqLswk9skLos#!/media')).toBe(
      `/web?X-Plex-Token=${REDACTED}#!/media`,
    )
    expect(redactUrl('/web?page=2#top')).toBe('/web?page=2#top')
  })

  test('an empty X-Plex-Token value has nothing to replace', () => {
    expect(redactTokens('https://app.example/x?X-Plex-Token=&page=2')).toBe(
      'https://app.example/x?X-Plex-Token=&page=2',
    )
    expect(redactTokens('X-Plex-Token=abcdefgh12 X-Plex-Token=')).toBe(
      `X-Plex-Token=${REDACTED} X-Plex-Token=`,
    )
  })

  test('Proxy-Authorization is a credential header: replaced whole, whatever its scheme', () => {
    expect(
      redactHeaders({ 'Proxy-Authorization': 'Digest username="ann", response="6629fae49393a05397450978"' }),
    ).toEqual({ 'Proxy-Authorization': REDACTED })
  })

  test('a Bearer or Basic credential is replaced whatever the case of its scheme', () => {
    for (const scheme of ['bearer', 'BEARER', 'basic', 'BASIC']) {
      expect(redactTokens(`upstream refused ${scheme} 2ffLuB84dqLswk9skLos here`), scheme).toBe(
        `upstream refused ${scheme} ${REDACTED} here`,
      )
    }
  })

  test('a parameter name with a percent-encoded letter is still X-Plex-Token', () => {
    for (const name of ['X-Plex-T%4Fken', 'x-plex-t%6Fken', '%58-Plex-Token', '%2558-Plex-Token']) {
      expect(redactTokens(`/web?${name}=2ffLuB84dqLswk9skLos&page=2`), name).toBe(
        `/web?${name}=${REDACTED}&page=2`,
      )
    }
  })

  test('a value ends at a separator, which is kept; a broken escape does not end it', () => {
    for (const end of ['&', '#', ' ', '"', "'", '<', '>', ',', ';', '\x7f', '%26', '%3B']) {
      expect(redactTokens(`X-Plex-Token=2ffLuB84dqLswk9skLos${end}page=2`), end).toBe(
        `X-Plex-Token=${REDACTED}${end}page=2`,
      )
    }
    expect(redactTokens('X-Plex-Token=2ffLu%8zB84dqLswk9skLos&page=2')).toBe(
      `X-Plex-Token=${REDACTED}&page=2`,
    )
  })

  test('"X-Plex-Token" followed by "?", "/" or "&" before any "=" names no parameter', () => {
    for (const text of ['/docs/X-Plex-Token?page=2', '/x-plex-token/help?page=2', '/a?X-Plex-Token&page=2']) {
      expect(redactTokens(text)).toBe(text)
    }
  })

  test('redactUrl replaces a token parameter’s whole value, up to its "&", a leading blank in its name too', () => {
    for (const name of ['X-Plex-Token', '+X-Plex-Token', '%20x-plex-token']) {
      expect(redactUrl(`/web?${name}=ab<cd"ef&page=2`), name).toBe(`/web?${name}=${REDACTED}&page=2`)
    }
  })
})

test('authenticatorOf a request no plexAuth saw: the default error mapping', () => {
  const fallback = authenticatorOf(undefined)
  expect(authenticatorOf({})).toBe(fallback)
  expect(fallback.toHttpError(new PlexAuthError('TOKEN_MISSING'))).toMatchObject({
    status: 401,
    headers: { 'www-authenticate': 'Bearer realm="plex"' },
  })
})
