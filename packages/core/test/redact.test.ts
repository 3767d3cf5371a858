import { PlexAuthError, REDACTED, redactTokens, redactUrl } from '@plexauth/core'
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
})

test('authenticatorOf a request no plexAuth saw: the default error mapping', () => {
  const fallback = authenticatorOf(undefined)
  expect(authenticatorOf({})).toBe(fallback)
  expect(fallback.toHttpError(new PlexAuthError('TOKEN_MISSING'))).toMatchObject({
    status: 401,
    headers: { 'www-authenticate': 'Bearer realm="plex"' },
  })
})
