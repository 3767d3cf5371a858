import type { PlexVerifier } from '@plexauth/core'
import { createAuthenticator } from '@plexauth/core/adapter'
import { DEFAULT_CLIENT_IDENTIFIER } from '@plexauth/testing'
import { describe, expect, test, vi } from 'vitest'
import { peekOf } from '../src/verifier/create-plex-verifier.js'
import { advance, expectCode, plexVerifier, startPlex, useFakeDate } from './helpers.js'

const request = (token: string, extra: Record<string, string> = {}) => ({
  method: 'GET',
  headers: { authorization: `Bearer ${token}`, ...extra },
  url: '/me',
})

/** Under fake time: a verifier of a fresh fake plex.tv, its peek, and a token of that fake living 120 s. */
async function verifierWithToken() {
  useFakeDate()
  const plex = await startPlex()
  const verifier = plexVerifier(plex)
  const peek = peekOf(verifier) ?? expect.unreachable('a built verifier has a peek')
  return { verifier, peek, token: plex.issueToken({ expiresIn: 120 }) }
}

describe('peek: the synchronous answer for a token verified before', () => {
  test("a verifier's peek is internal: not on the object, kept beside it", async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    expect('peek' in verifier).toBe(false)
    expect(Object.keys(verifier).sort()).toEqual(['ready', 'stats', 'verify'])
    expect(peekOf(verifier)).toBeTypeOf('object')
    expect(peekOf({ ...verifier })).toBeUndefined()
  })

  test('peek answers only for a verified, unexpired token, with the identity verify gave', async () => {
    const { verifier, peek, token } = await verifierWithToken()
    expect(peek.token(token)).toBeUndefined()
    expect(peek.token(undefined)).toBeUndefined()
    expect(peek.bearer(`Bearer ${token}`)).toBeUndefined()
    const identity = await verifier.verify(token)
    expect(peek.token(token)).toBe(identity)
    expect(peek.bearer(`Bearer ${token}`)).toBe(identity)
    expect(peek.bearer(`bearer ${token}`)).toBe(identity)
    expect(verifier.stats()).toMatchObject({ verified: 4, cacheHits: 3 })
    advance(120 + 60)
    expect(peek.token(token)).toBeUndefined()
    await expectCode(verifier.verify(token), 'TOKEN_EXPIRED')
  })

  test('an expired token met through its header is forgotten, as one met alone is', async () => {
    const { verifier, peek, token } = await verifierWithToken()
    const identity = await verifier.verify(token)
    advance(120 + 60)
    expect(peek.bearer(`Bearer ${token}`)).toBeUndefined()
    // Forgotten: back within its lifetime, the token is no longer known without a verification.
    advance(-(120 + 60))
    expect(peek.token(token)).toBeUndefined()
    await expect(verifier.verify(token)).resolves.toEqual(identity)
  })

  test('authenticator.peek reads the token as authenticate does and leaves every refusal to it', async () => {
    const plex = await startPlex()
    const auth = createAuthenticator({ jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER })
    const token = plex.issueToken()
    expect(auth.peek(request(token))).toBeUndefined()
    const identity = await auth.authenticate(request(token))
    expect(auth.peek(request(token))).toBe(identity)
    // No method is special (issue 11): an OPTIONS request, preflight-shaped or not, is read like any other.
    const preflightShaped = {
      ...request(token),
      method: 'OPTIONS',
      headers: { ...request(token).headers, 'access-control-request-method': 'GET' },
    }
    expect(auth.peek(preflightShaped)).toBe(identity)
    expect(
      auth.peek({ ...preflightShaped, headers: { 'access-control-request-method': 'GET' } }),
    ).toBeUndefined()
    await expectCode(
      auth.authenticate({ method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } }),
      'TOKEN_MISSING',
    )
    const conflicting = request(token, { 'x-plex-token': plex.issueToken({ claims: { nonce: 'other' } }) })
    expect(auth.peek(conflicting)).toBeUndefined()
    await expectCode(auth.authenticate(conflicting), 'REQUEST_INVALID')
    expect(auth.peek({ method: 'GET', headers: {}, url: '/me' })).toBeUndefined()
  })

  test('a wrapped shared verifier is never bypassed by a peek', async () => {
    const plex = await startPlex()
    const inner = plexVerifier(plex)
    const token = plex.issueToken()
    await inner.verify(token)
    const verify = vi.fn(inner.verify)
    const wrapped: PlexVerifier = { ...inner, verify }
    const auth = createAuthenticator({ verifier: wrapped })
    expect(auth.peek(request(token))).toBeUndefined()
    await auth.authenticate(request(token))
    expect(verify).toHaveBeenCalledTimes(1)
  })
})
