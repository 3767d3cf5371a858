import { describe, expect, test } from 'vitest'
import { parseAuthToken, parseNonce, parseTransientToken } from '../src/plex-responses.js'

// plex.tv's answers are read strictly: anything but the documented shape is RESPONSE_INVALID.
describe('reading plex.tv answers', () => {
  test('nonce and auth_token must be non-empty strings', () => {
    expect(parseNonce({ nonce: 'n' })).toBe('n')
    expect(parseAuthToken({ auth_token: 't' })).toBe('t')
    for (const bad of [{}, { nonce: '' }, { nonce: 'x'.repeat(513) }]) {
      expect(() => parseNonce(bad)).toThrow(expect.objectContaining({ code: 'RESPONSE_INVALID' }))
    }
    expect(() => parseAuthToken({ authToken: 't' })).toThrow(
      expect.objectContaining({ code: 'RESPONSE_INVALID' }),
    )
    expect(() => parseNonce('nonce')).toThrow(expect.objectContaining({ code: 'RESPONSE_INVALID' }))
  })

  test('a nonce of up to 512 characters, a token of up to 8192: one character more is RESPONSE_INVALID', () => {
    const invalid = expect.objectContaining({ code: 'RESPONSE_INVALID' })
    expect(parseNonce({ nonce: 'n'.repeat(512) })).toBe('n'.repeat(512))
    expect(() => parseNonce({ nonce: 'n'.repeat(513) })).toThrow(invalid)
    const token = 't'.repeat(8192)
    expect(parseAuthToken({ auth_token: token })).toBe(token)
    expect(() => parseAuthToken({ auth_token: `${token}t` })).toThrow(invalid)
    expect(parseTransientToken({ MediaContainer: { token } })).toBe(token)
    expect(() => parseTransientToken({ MediaContainer: { token: `${token}t` } })).toThrow(invalid)
  })

  test("a media server's transient token sits in MediaContainer.token", () => {
    expect(parseTransientToken({ MediaContainer: { token: 'transient' } })).toBe('transient')
    for (const bad of [{ token: 't' }, { MediaContainer: 't' }, { MediaContainer: { token: 7 } }, []]) {
      expect(() => parseTransientToken(bad)).toThrow(expect.objectContaining({ code: 'RESPONSE_INVALID' }))
    }
  })
})
