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

  test("a media server's transient token sits in MediaContainer.token", () => {
    expect(parseTransientToken({ MediaContainer: { token: 'transient' } })).toBe('transient')
    for (const bad of [{ token: 't' }, { MediaContainer: 't' }, { MediaContainer: { token: 7 } }, []]) {
      expect(() => parseTransientToken(bad)).toThrow(expect.objectContaining({ code: 'RESPONSE_INVALID' }))
    }
  })
})
