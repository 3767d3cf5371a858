import {
  DEFAULT_TOKEN_SOURCES,
  extractToken,
  isPlexAuthError,
  type TokenRequest,
  type TokenSource,
} from '@plexauth/core'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { expectThrowsCode } from './helpers.js'

const TOKEN = 'eyJraWQiOiJrIiwiYWxnIjoiRWREU0EifQ.eyJpc3MiOiJwbGV4LnR2In0.c2lnbmF0dXJl'
const OTHER = 'eyJraWQiOiJrIiwiYWxnIjoiRWREU0EifQ.eyJpc3MiOiJldmlsIn0.c2lnbmF0dXJl'

function request(headers: Record<string, unknown>, extra: Partial<TokenRequest> = {}): TokenRequest {
  return { headers: headers as TokenRequest['headers'], ...extra }
}

const invalid = (req: TokenRequest, sources?: readonly TokenSource[]) =>
  expectThrowsCode(() => extractToken(req, sources === undefined ? {} : { sources }), 'REQUEST_INVALID')

describe('extractToken', () => {
  test('reads Authorization and X-Plex-Token by default, not the query', () => {
    expect(DEFAULT_TOKEN_SOURCES).toEqual(['authorization', 'x-plex-token'])
    expect(extractToken(request({ authorization: `Bearer ${TOKEN}` }))).toBe(TOKEN)
    expect(extractToken(request({ 'x-plex-token': TOKEN }))).toBe(TOKEN)
    expect(extractToken(request({}))).toBeUndefined()
    expect(extractToken(request({}, { url: `/library?X-Plex-Token=${TOKEN}` }))).toBeUndefined()
  })

  test('legacy opaque tokens pass through (verification decides what they are)', () => {
    expect(extractToken(request({ 'x-plex-token': '2ffLuB84dqLswk9skLos' }))).toBe('2ffLuB84dqLswk9skLos')
  })

  describe('Authorization', () => {
    test.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])('scheme %s is case-insensitive', (scheme) => {
      expect(extractToken(request({ authorization: `${scheme} ${TOKEN}` }))).toBe(TOKEN)
    })

    test('several spaces after the scheme are tolerated', () => {
      expect(extractToken(request({ authorization: `Bearer   ${TOKEN}` }))).toBe(TOKEN)
    })

    test.each([
      'Basic dXNlcjpwYXNzd29yZA==',
      'Digest username="plex", realm="x"',
      'Token abc',
      'Negotiate YIIB',
      'Bearertoken',
    ])('other schemes are ignored: %s', (authorization) => {
      expect(extractToken(request({ authorization }))).toBeUndefined()
      // ... and the Plex header is still read.
      expect(extractToken(request({ authorization, 'x-plex-token': TOKEN }))).toBe(TOKEN)
    })

    test.each([
      ['an empty value', ''],
      ['the scheme alone', 'Bearer'],
      ['the scheme and a space', 'Bearer '],
      ['two tokens', `Bearer ${TOKEN} ${OTHER}`],
      ['two credentials in one line', `Bearer ${TOKEN},Bearer ${OTHER}`],
      ['a quoted token', `Bearer "${TOKEN}"`],
      ['a leading comma', `, Bearer ${TOKEN}`],
      ['a scheme starting with a symbol', `=Bearer ${TOKEN}`],
      ['a NUL byte', `Bearer ${TOKEN}\u0000`],
      ['a tab inside the token', `Bearer ab\tcd`],
      ['CR LF', `Bearer ${TOKEN}\r\nX-Injected: 1`],
      ['a DEL character', `Bearer abc\u007f`],
      ['non-ASCII', 'Bearer tökén'],
      ['a comma in the token', 'Bearer a,b'],
      ['a semicolon in the token', 'Bearer a;b'],
    ])('malformed Authorization (%s) is REQUEST_INVALID', (_name, authorization) => {
      invalid(request({ authorization }))
    })

    test('a header list (headersDistinct) of one line is read; of two is REQUEST_INVALID', () => {
      expect(extractToken(request({ authorization: [`Bearer ${TOKEN}`] }))).toBe(TOKEN)
      invalid(request({ authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] }))
    })

    test('a repeated Authorization line seen through rawHeaders is REQUEST_INVALID', () => {
      // Node keeps only the first Authorization line in req.headers.
      const headers = { authorization: `Bearer ${TOKEN}` }
      invalid(
        request(headers, {
          rawHeaders: ['Authorization', `Bearer ${TOKEN}`, 'authorization', `Bearer ${OTHER}`],
        }),
      )
      invalid(
        request(headers, {
          rawHeaders: ['Authorization', `Bearer ${TOKEN}`, 'AUTHORIZATION', `Bearer ${TOKEN}`],
        }),
      )
      expect(
        extractToken(request(headers, { rawHeaders: ['Host', 'x', 'Authorization', `Bearer ${TOKEN}`] })),
      ).toBe(TOKEN)
    })
  })

  describe('X-Plex-Token header', () => {
    test('an array of one value is read; of two, REQUEST_INVALID; empty, no token', () => {
      expect(extractToken(request({ 'x-plex-token': [TOKEN] }))).toBe(TOKEN)
      invalid(request({ 'x-plex-token': [TOKEN, OTHER] }))
      invalid(request({ 'x-plex-token': [TOKEN, TOKEN] }))
      expect(extractToken(request({ 'x-plex-token': [] }))).toBeUndefined()
    })

    test('a repeated line, joined by Node or seen in rawHeaders, is REQUEST_INVALID', () => {
      invalid(request({ 'x-plex-token': `${TOKEN}, ${OTHER}` }))
      invalid(
        request({ 'x-plex-token': TOKEN }, { rawHeaders: ['X-Plex-Token', TOKEN, 'x-plex-token', TOKEN] }),
      )
    })

    test.each([
      ['a number', 42],
      ['an object', { token: TOKEN }],
      ['an array of a number', [42]],
      ['an array of an object', [{}]],
      ['null', null],
      ['a control character', `${TOKEN}\u0007`],
      ['a space', `${TOKEN} x`],
      ['an empty string', ''],
      ['an "=" before the end', 'ab=cd'],
      ['padding alone', '=='],
    ])('a malformed value (%s) is REQUEST_INVALID and never crashes', (_name, value) => {
      invalid(request({ 'x-plex-token': value }))
    })
  })

  describe('two sources', () => {
    test('different tokens in two sources are REQUEST_INVALID', () => {
      invalid(request({ authorization: `Bearer ${TOKEN}`, 'x-plex-token': OTHER }))
      invalid(request({ 'x-plex-token': TOKEN }, { url: `/?X-Plex-Token=${OTHER}` }), [
        'authorization',
        'x-plex-token',
        'query',
      ])
    })

    test('the same token in two or three sources is fine', () => {
      expect(extractToken(request({ authorization: `Bearer ${TOKEN}`, 'x-plex-token': TOKEN }))).toBe(TOKEN)
      expect(
        extractToken(
          request(
            { authorization: `bearer ${TOKEN}`, 'x-plex-token': TOKEN },
            { url: `/?X-Plex-Token=${TOKEN}` },
          ),
          {
            sources: ['authorization', 'x-plex-token', 'query'],
          },
        ),
      ).toBe(TOKEN)
    })

    test('only the named sources are read', () => {
      const req = request({ authorization: `Bearer ${TOKEN}`, 'x-plex-token': OTHER })
      expect(extractToken(req, { sources: ['authorization'] })).toBe(TOKEN)
      expect(extractToken(req, { sources: ['x-plex-token'] })).toBe(OTHER)
    })
  })

  describe('query', () => {
    const sources: TokenSource[] = ['authorization', 'x-plex-token', 'query']

    test('read only when named', () => {
      const req = request({}, { url: `/library/sections?X-Plex-Token=${TOKEN}&type=1` })
      expect(extractToken(req)).toBeUndefined()
      expect(extractToken(req, { sources })).toBe(TOKEN)
      expect(extractToken(req, { sources: ['query'] })).toBe(TOKEN)
    })

    test('a fragment is not part of the query', () => {
      expect(
        extractToken(request({}, { url: `/x?X-Plex-Token=${TOKEN}#X-Plex-Token=${OTHER}` }), { sources }),
      ).toBe(TOKEN)
    })

    test('a repeated parameter is REQUEST_INVALID, even with the same value', () => {
      invalid(request({}, { url: `/x?X-Plex-Token=${TOKEN}&X-Plex-Token=${OTHER}` }), sources)
      invalid(request({}, { url: `/x?X-Plex-Token=${TOKEN}&X-Plex-Token=${TOKEN}` }), sources)
    })

    test.each([
      ['an encoded control character', '%00abc'],
      ['an encoded newline', 'abc%0D%0AX-Evil:1'],
      ['a plus (a space once decoded)', 'ab+cd'],
      ['an empty value', ''],
    ])('a malformed value (%s) is REQUEST_INVALID', (_name, value) => {
      invalid(request({}, { url: `/x?X-Plex-Token=${value}` }), sources)
    })

    test('no query, no URL, or a non-string URL: no token, no crash', () => {
      expect(extractToken(request({}, { url: '/x' }), { sources })).toBeUndefined()
      expect(extractToken(request({}), { sources })).toBeUndefined()
      expect(extractToken(request({}, { url: 42 as unknown as string }), { sources })).toBeUndefined()
    })

    test('a path without "?" holds no query, whatever it looks like', () => {
      expect(extractToken(request({}, { url: `/a&X-Plex-Token=${TOKEN}` }), { sources })).toBeUndefined()
      expect(extractToken(request({}, { url: `X-Plex-Token=${TOKEN}` }), { sources })).toBeUndefined()
    })
  })

  test('overlong tokens are REQUEST_INVALID; 8 KiB is the limit', () => {
    const max = 'a'.repeat(8192)
    expect(extractToken(request({ 'x-plex-token': max }))).toBe(max)
    invalid(request({ 'x-plex-token': `${max}a` }))
    invalid(request({ authorization: `Bearer ${max}a` }))
    invalid(request({}, { url: `/?X-Plex-Token=${max}a` }), ['query'])
  })

  test('an unknown source name is refused and never yields a non-string', () => {
    for (const source of ['cookie', 'constructor', 'toString', '__proto__']) {
      let result: unknown
      try {
        result = extractToken(request({ 'x-plex-token': TOKEN }), { sources: [source as TokenSource] })
      } catch (err) {
        expect(isPlexAuthError(err) || err instanceof TypeError).toBe(true)
        continue
      }
      throw new Error(`source ${source} returned ${typeof result}`)
    }
  })

  test('arbitrary header and query values never crash: a string, undefined, or REQUEST_INVALID', () => {
    const value = fc.oneof(fc.anything(), fc.string(), fc.array(fc.string(), { maxLength: 3 }))
    fc.assert(
      fc.property(value, value, fc.oneof(fc.string(), fc.anything()), (authorization, plexToken, url) => {
        const req = request({ authorization, 'x-plex-token': plexToken }, { url: url as string })
        try {
          const token = extractToken(req, { sources: ['authorization', 'x-plex-token', 'query'] })
          return token === undefined || typeof token === 'string'
        } catch (err) {
          return isPlexAuthError(err) && err.code === 'REQUEST_INVALID'
        }
      }),
      { numRuns: 500 },
    )
  })
})
