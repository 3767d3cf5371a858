import type { PlexAuthEvent } from '@plexauth/core'
import { PLEX_PATHS } from '@plexauth/testing'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { advance, expectCode, plexVerifier, recordEvents, startPlex, useFakeDate } from './helpers.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('rejection events', () => {
  test('say which check refused a token, when switched on, and never carry the token', async () => {
    useFakeDate()
    const plex = await startPlex()
    const { events, onEvent } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent, rejectionEvents: true })
    const cases: [Parameters<typeof plex.issueToken>[0], string, string][] = [
      [{ clientIdentifier: 'another-app' }, 'TOKEN_CLAIMS_INVALID', 'aud'],
      [{ claims: { iss: 'https://plex.tv' } }, 'TOKEN_CLAIMS_INVALID', 'iss'],
      [{ issuedAt: Math.floor(Date.now() / 1000) - 8 * 86_400 }, 'TOKEN_EXPIRED', 'exp'],
      [{ issuedAt: Math.floor(Date.now() / 1000) + 3600 }, 'TOKEN_NOT_YET_VALID', 'iat'],
      [{ claims: { thumbprint: undefined } }, 'TOKEN_CLAIMS_INVALID', 'thumbprint'],
      [{ claims: { user: { id: -1, uuid: 'u' } } }, 'TOKEN_CLAIMS_INVALID', 'user'],
      [{ expiresIn: 400 * 86_400 }, 'TOKEN_CLAIMS_INVALID', 'lifetime'],
    ]
    const tokens: string[] = []
    for (const [options, code, check] of cases) {
      const token = plex.issueToken(options)
      tokens.push(token)
      const error = await expectCode(verifier.verify(token), code as never)
      expect(error.check).toBe(check)
      expect(events.at(-1)).toEqual({ type: 'token_rejected', code, check })
    }
    await expectCode(verifier.verify('not-a-token'), 'TOKEN_MALFORMED')
    expect(events.at(-1)).toEqual({ type: 'token_rejected', code: 'TOKEN_MALFORMED' })
    const logged = JSON.stringify(events)
    for (const token of tokens) {
      for (const part of token.split('.')) expect(logged).not.toContain(part)
    }
  })

  test('are off by default: a refused token sends no event', async () => {
    const plex = await startPlex()
    const { ofType, onEvent } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent })
    const error = await expectCode(
      verifier.verify(plex.issueToken({ clientIdentifier: 'another-app' })),
      'TOKEN_CLAIMS_INVALID',
    )
    expect(error.check).toBe('aud')
    // The check is for the operator; the answer's description stays the fixed one.
    expect(error.message).toBe('The token claims are invalid')
    expect(ofType('token_rejected')).toEqual([])
  })

  test('rejectionEvents must be a boolean', async () => {
    const plex = await startPlex()
    expect(() => plexVerifier(plex, { rejectionEvents: 'yes' as never })).toThrow(TypeError)
  })
})

describe('a key outage without onEvent', () => {
  test('is reported once per outage with console.warn, and again after the keys came back and left', async () => {
    useFakeDate()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, { status: 503 })
    const verifier = plexVerifier(plex, { jwks: { cooldown: 0 } })
    await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    advance(5)
    await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(warn).toHaveBeenCalledTimes(1)
    const message = String(warn.mock.calls[0]?.[0])
    expect(message).toContain(plex.jwksUrl)
    expect(message).toContain('onEvent')

    plex.recover()
    advance(60)
    await verifier.verify(plex.issueToken())
    expect(warn).toHaveBeenCalledTimes(1)

    plex.fail(PLEX_PATHS.keys, { status: 503 })
    advance(3600)
    // Stale keys: they keep serving while the refresh fails in the background, and that failure is a new outage.
    await verifier.verify(plex.issueToken()).catch(() => undefined)
    await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(2))
  })

  test('is left to the app when it handles events', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, { status: 503 })
    const events: PlexAuthEvent[] = []
    const verifier = plexVerifier(plex, { onEvent: (event) => events.push(event) })
    await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(events.some((event) => event.type === 'keys_fetch_failed')).toBe(true)
    expect(warn).not.toHaveBeenCalled()
  })
})

describe('stats', () => {
  test('a snapshot: rejections after it leave it as it was', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    await expectCode(verifier.verify('not-a-token'), 'TOKEN_MALFORMED')
    const before = verifier.stats()
    await expectCode(verifier.verify('not-a-token'), 'TOKEN_MALFORMED')
    expect(before.rejected).toEqual({ TOKEN_MALFORMED: 1 })
    expect(verifier.stats().rejected).toEqual({ TOKEN_MALFORMED: 2 })
  })
})
