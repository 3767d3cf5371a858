import { describe, expect, test } from 'vitest'
import { parseAuthToken, parseNonce, parsePin, parsePinToken } from '../src/plex-responses.js'

// plex.tv's answers are read strictly: anything but the documented shape is RESPONSE_INVALID.
describe('reading plex.tv answers', () => {
  test.each([
    ['not an object', 'pin'],
    ['an array', [{ id: 1, code: 'ABCD' }]],
    ['no id', { code: 'ABCD' }],
    ['id 0', { id: 0, code: 'ABCD' }],
    ['id a string', { id: '5', code: 'ABCD' }],
    ['no code', { id: 5 }],
    ['an empty code', { id: 5, code: '' }],
    ['an overlong code', { id: 5, code: 'x'.repeat(257) }],
  ])('a PIN with %s is RESPONSE_INVALID', (_name, body) => {
    expect(() => parsePin(body)).toThrow(expect.objectContaining({ code: 'RESPONSE_INVALID' }))
  })

  test('a PIN without a usable expiresIn lives 900 s, as plex.tv says of its PINs', () => {
    expect(parsePin({ id: 5, code: 'ABCD' })).toEqual({ id: 5, code: 'ABCD', expiresIn: 900 })
    expect(parsePin({ id: 5, code: 'ABCD', expiresIn: 0 }).expiresIn).toBe(900)
    expect(parsePin({ id: 5, code: 'ABCD', expiresIn: 1800 }).expiresIn).toBe(1800)
  })

  test('a polled PIN: null, absent or empty authToken means not yet; anything else must be a token', () => {
    expect(parsePinToken({ authToken: null })).toBeUndefined()
    expect(parsePinToken({})).toBeUndefined()
    expect(parsePinToken({ authToken: '' })).toBeUndefined()
    expect(parsePinToken({ authToken: 'abc' })).toBe('abc')
    expect(() => parsePinToken({ authToken: 42 })).toThrow(
      expect.objectContaining({ code: 'RESPONSE_INVALID' }),
    )
    expect(() => parsePinToken(null)).toThrow(expect.objectContaining({ code: 'RESPONSE_INVALID' }))
  })

  test('nonce and auth_token must be non-empty strings', () => {
    expect(parseNonce({ nonce: 'n' })).toBe('n')
    expect(parseAuthToken({ auth_token: 't' })).toBe('t')
    for (const bad of [{}, { nonce: '' }, { nonce: 'x'.repeat(513) }]) {
      expect(() => parseNonce(bad)).toThrow(expect.objectContaining({ code: 'RESPONSE_INVALID' }))
    }
    expect(() => parseAuthToken({ authToken: 't' })).toThrow(
      expect.objectContaining({ code: 'RESPONSE_INVALID' }),
    )
  })
})
