import { PlexAuthError, type PlexIdentity, type ServerAccess } from '@plexauth/core'
import { createLoginHandler, createSessionAuthenticator } from '@plexauth/core/adapter'
import { compactDecrypt, decodeProtectedHeader } from 'jose'
import { describe, expect, test } from 'vitest'
import { isSameOrigin, readCookie, requestContext } from '../src/session/cookies.js'
import { deriveKey, deriveKeys, seal, unseal } from '../src/session/seal.js'
import { type SessionChecks, SessionManager } from '../src/session/session-manager.js'
import { resolveSessionOptions } from '../src/session/session-options.js'
import { advance, plexClaims, plexVerifier, startPlex, useFakeDate } from './helpers.js'

const SECRET = 'a-session-secret-of-at-least-32-chars'
const OTHER = 'another-session-secret-of-32-characters'

describe('readCookie', () => {
  test.each([
    ['plexauth_session=abc', 'abc'],
    ['a=1; plexauth_session=abc; b=2', 'abc'],
    ['a=1;plexauth_session=abc', 'abc'],
    ['a=1;   plexauth_session= abc ', 'abc'],
    ['x_plexauth_session=evil; plexauth_session=abc', 'abc'],
    ['__Host-plexauth_session=evil', undefined],
    ['plexauth_session_old=evil', undefined],
    ['a=plexauth_session=evil', undefined],
    ['plexauth_session=first; plexauth_session=second', 'first'],
    ['', undefined],
  ])('%j → %j', (header, value) => {
    expect(readCookie(header, 'plexauth_session')).toBe(value)
  })

  test('no header, or Node’s array form', () => {
    expect(readCookie(undefined, 'plexauth_session')).toBeUndefined()
    expect(readCookie(['plexauth_session=abc'], 'plexauth_session')).toBe('abc')
  })
})

describe('requestContext and the CSRF check', () => {
  const headers = (extra: Record<string, string>) => ({ headers: { host: '127.0.0.1:8080', ...extra } })

  test('plain http is plain only on a loopback host; TLS, X-Forwarded-Proto and publicUrl decide otherwise', () => {
    expect(requestContext(headers({}), undefined)).toEqual({ secure: false, origin: 'http://127.0.0.1:8080' })
    expect(requestContext({ headers: { host: 'localhost:3000' } }, undefined).secure).toBe(false)
    expect(requestContext({ headers: { host: '[::1]:3000' } }, undefined).secure).toBe(false)
    expect(requestContext({ headers: { host: 'app.example.com' } }, undefined).secure).toBe(true)
    expect(requestContext({ headers: {} }, undefined).secure).toBe(true)
    expect(requestContext({ headers: { host: 'localhost' }, encrypted: true }, undefined)).toEqual({
      secure: true,
      origin: 'https://localhost',
    })
    expect(requestContext(headers({ 'x-forwarded-proto': 'https' }), undefined).secure).toBe(true)
    expect(requestContext(headers({}), 'https://app.example.com').secure).toBe(true)
    // A Host header that is no host gives no origin to compare with.
    expect(requestContext({ headers: { host: 'evil.example/@x' } }, undefined).origin).toBeUndefined()
  })

  test('Origin must be the request’s, publicUrl’s or a trusted one; Sec-Fetch-Site only without Origin', () => {
    const allowed = new Set(['https://app.example.com'])
    const check = (extra: Record<string, string>, lenient = false) => {
      const request = headers(extra)
      return isSameOrigin(request, requestContext(request, undefined), allowed, lenient)
    }
    expect(check({ origin: 'http://127.0.0.1:8080' })).toBe(true)
    expect(check({ origin: 'HTTP://127.0.0.1:8080' })).toBe(true)
    expect(check({ origin: 'https://app.example.com' })).toBe(true)
    expect(check({ origin: 'http://127.0.0.1:8081' })).toBe(false)
    expect(check({ origin: 'null' })).toBe(false)
    expect(check({ origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' })).toBe(false)
    expect(check({ 'sec-fetch-site': 'same-origin' })).toBe(true)
    expect(check({ 'sec-fetch-site': 'same-site' })).toBe(false)
    expect(check({})).toBe(false)
    expect(check({}, true)).toBe(true)
    expect(check({ 'sec-fetch-site': 'cross-site' }, true)).toBe(false)
    // `none` (typed in, a bookmark) counts only where a request with neither header would.
    expect(check({ 'sec-fetch-site': 'none' })).toBe(false)
    expect(check({ 'sec-fetch-site': 'none' }, true)).toBe(true)
  })

  test('the origin is lower-case, and only the first X-Forwarded-Proto (the hop the browser reached) counts', () => {
    const allowed = new Set<string>()
    const upper = { headers: { host: 'App.Example.com:8443', origin: 'http://app.example.com:8443' } }
    expect(requestContext(upper, undefined).origin).toBe('http://app.example.com:8443')
    expect(isSameOrigin(upper, requestContext(upper, undefined), allowed)).toBe(true)
    const proto = (value: string) =>
      requestContext({ headers: { host: 'app.example.com', 'x-forwarded-proto': value } }, undefined).origin
    expect(proto('HTTPS, http')).toBe('https://app.example.com')
    expect(proto('http, https')).toBe('http://app.example.com')
  })
})

describe('sealing', () => {
  test('a compact JWE (dir, A256GCM) any JOSE library opens with the HKDF-derived key', async () => {
    const keys = deriveKeys([SECRET], 'session')
    const value = await seal(keys, { hello: 'world' })
    expect(decodeProtectedHeader(value)).toMatchObject({ alg: 'dir', enc: 'A256GCM', kid: keys.current.kid })
    const { plaintext } = await compactDecrypt(value, deriveKey(SECRET, 'session'))
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual({ hello: 'world' })
    // The kid names the derived key, never the secret.
    expect(value).not.toContain(SECRET)
  })

  test('tampered, foreign, other-purpose or malformed values do not open; an older secret opens, marked rotated', async () => {
    const keys = deriveKeys([SECRET], 'session')
    const value = await seal(keys, { a: 1 })
    const flip = (s: string, at: number) => `${s.slice(0, at)}${s[at] === 'A' ? 'B' : 'A'}${s.slice(at + 1)}`
    for (const bad of [
      flip(value, value.length - 3),
      flip(value, value.lastIndexOf('.') - 3),
      `${value}.x`,
      'x',
      '',
    ]) {
      expect(await unseal(keys, bad, 4096)).toBeUndefined()
    }
    expect(await unseal(deriveKeys([OTHER], 'session'), value, 4096)).toBeUndefined()
    expect(await unseal(deriveKeys([SECRET], 'login'), value, 4096)).toBeUndefined()
    expect(await unseal(keys, value, 10)).toBeUndefined()
    const rotated = deriveKeys([OTHER, SECRET], 'session')
    expect(await unseal(rotated, value, 4096)).toEqual({ payload: { a: 1 }, rotated: true })
    expect(await unseal(keys, value, 4096)).toEqual({ payload: { a: 1 }, rotated: false })
  })
})

describe('options', () => {
  test.each([
    [{}, /secret/],
    [{ secret: 'short' }, /32 characters/],
    [{ secret: [] }, /secret/],
    [{ secret: [SECRET, SECRET] }, /twice/],
    [{ secret: SECRET, maxAge: 0 }, /maxAge/],
    [{ secret: SECRET, revalidateAfter: -1 }, /revalidateAfter/],
    [{ secret: SECRET, trustedOrigins: ['not a url'] }, /trustedOrigins/],
    [{ secret: SECRET, revocations: {} }, /revocations/],
    [{ secret: SECRET, secrett: 1 }, /unknown option session.secrett/],
  ])('session %j → TypeError', (session, message) => {
    expect(() => resolveSessionOptions(session)).toThrow(TypeError)
    expect(() => resolveSessionOptions(session)).toThrow(message)
    expect(() => createSessionAuthenticator({ session: session as never })).toThrow(TypeError)
  })

  const login = { product: 'App', clientIdentifier: 'app', session: { secret: SECRET } }
  test.each([
    [{ ...login, product: undefined }, /product/],
    [{ ...login, clientIdentifier: '' }, /clientIdentifier/],
    [{ ...login, session: undefined }, /session/],
    [{ ...login, flow: 'pkce' }, /flow/],
    [{ ...login, basePath: 'auth/plex' }, /basePath/],
    [{ ...login, basePath: '/auth/plex/' }, /basePath/],
    [{ ...login, access: { machineIdentifier: 'a b' } }, /machineIdentifier/],
    [{ ...login, access: { machineIdentifier: 'abc', ownerOnly: 'yes' } }, /ownerOnly/],
    [{ ...login, access: { machineIdentifier: 'abc', ownerId: -1 } }, /ownerId/],
    [{ ...login, access: { machineIdentifier: 'abc', ownerOnly: true } }, /ownerOnly needs/],
    [{ ...login, plexTvUrl: 'http://plex.example' }, /plexTvUrl/],
    [{ ...login, authAppUrl: 'ftp://x' }, /authAppUrl/],
    [{ ...login, publicUrl: 'nope' }, /publicUrl/],
    [{ ...login, onLogin: 'yes' }, /onLogin/],
    [{ ...login, pollInterval: 0 }, /pollInterval/],
    [{ ...login, rateLimit: { perMinute: 3 } }, /unknown option rateLimit.perMinute/],
    [{ ...login, colour: 'blue' }, /unknown option colour/],
    [{ ...login, basePath: '' }, /basePath/],
    [{ ...login, access: { machineIdentifier: 123 } }, /machineIdentifier/],
    [{ ...login, access: { machineIdentifier: 'abc', ownerId: 1.5 } }, /ownerId/],
    [{ ...login, rateLimit: { budget: {} } }, /rateLimit.budget must have a take\(\) method/],
    // Each bound is in the message: both ends of the range are checked.
    [{ ...login, pollInterval: 61 }, /pollInterval must be a number from 0.1 to 60$/],
    [{ ...login, rateLimit: { perClient: 0 } }, /rateLimit.perClient must be a number from 1 to 100000$/],
    [{ ...login, rateLimit: { total: 0 } }, /rateLimit.total must be a number from 1 to 1000000$/],
    [{ ...login, timeout: 0 }, /timeout must be a number from 0.001 to 120$/],
  ])('plexLogin %j → TypeError', (options, message) => {
    expect(() => createLoginHandler(options)).toThrow(TypeError)
    expect(() => createLoginHandler(options)).toThrow(message)
  })

  test('plexLogin at the bounds of its options: taken', () => {
    for (const options of [
      { pollInterval: 0.1, timeout: 0.001, rateLimit: { perClient: 1, total: 1 } },
      { pollInterval: 60, timeout: 120, rateLimit: { perClient: 100_000, total: 1_000_000 } },
      // ":" is part of a server identifier; ownerOnly needs only one of ownerId and ownerToken.
      { access: { machineIdentifier: 'srv:1', ownerOnly: true, ownerToken: 'owner-token' } },
      { access: { machineIdentifier: 'srv', ownerOnly: true, ownerId: 1 } },
      { rateLimit: { budget: { take: () => 0 } } },
    ]) {
      expect(() => createLoginHandler({ ...login, ...options })).not.toThrow()
    }
  })
})

const USER = { id: 42, uuid: 'u-42', username: 'ann' }

function legacyIdentity(token = 'legacy-token-0001'): PlexIdentity {
  const identity = { kind: 'legacy', user: USER, scopes: ['username'], clientIdentifier: 'app' }
  Object.defineProperty(identity, 'token', { value: token, enumerable: false })
  return identity as unknown as PlexIdentity
}

const ACCESS: ServerAccess = { machineIdentifier: 'srv', owner: false, source: 'resources', stale: false }

/** Checks whose answers a test sets, counting calls. */
function fakeChecks() {
  const state = {
    verifyCalls: 0,
    accessCalls: 0,
    verify: (): PlexIdentity | PlexAuthError => legacyIdentity(),
    access: (): ServerAccess | PlexAuthError => ACCESS,
  }
  const checks: SessionChecks = {
    async verify() {
      state.verifyCalls++
      const answer = state.verify()
      if (answer instanceof PlexAuthError) throw answer
      return answer
    },
    async access() {
      state.accessCalls++
      const answer = state.access()
      if (answer instanceof PlexAuthError) throw answer
      return answer
    },
  }
  return { state, checks }
}

function manager(extra: Record<string, unknown> = {}) {
  return new SessionManager(
    resolveSessionOptions({ secret: SECRET, revalidateAfter: 60, staleIfError: 300, ...extra }),
  )
}

describe('SessionManager', () => {
  test('a new session opens from its cookie without a check until revalidateAfter, then is checked and re-sealed', async () => {
    useFakeDate()
    const sessions = manager()
    const { state, checks } = fakeChecks()
    const { value, maxAge, identity } = await sessions.create(legacyIdentity(), ACCESS, false, { role: 'x' })
    expect(maxAge).toBe(7 * 86_400)
    expect(identity).toMatchObject({ kind: 'legacy', user: USER, access: ACCESS, app: { role: 'x' } })
    expect(identity.session).toEqual({
      id: expect.any(String),
      issuedAt: expect.any(Number),
      expiresAt: expect.any(Number),
    })
    expect(JSON.stringify(identity)).not.toContain('legacy-token-0001')
    expect(identity.token).toBe('legacy-token-0001')
    expect(sessions.peek(value)).toBe(identity)
    // Another process (an empty cache) opens it from the cookie alone.
    const other = manager()
    expect((await other.resolve(value, checks)).identity).toMatchObject({ user: USER, app: { role: 'x' } })
    expect(state.verifyCalls).toBe(0)
    advance(61)
    expect(sessions.peek(value)).toBeUndefined()
    const checked = await sessions.resolve(value, checks)
    expect(state).toMatchObject({ verifyCalls: 1, accessCalls: 1 })
    expect(checked.renewed?.value).toMatch(/^ey/)
    expect(checked.renewed?.value).not.toBe(value)
    expect(sessions.peek(String(checked.renewed?.value))).toBe(checked.identity)
  })

  test("a legacy session's check takes plex.tv's current user and scopes, for this request and the re-sealed cookie", async () => {
    useFakeDate()
    const sessions = manager()
    const { state, checks } = fakeChecks()
    const { value } = await sessions.create(legacyIdentity(), ACCESS, false, undefined)
    const renamed = { ...USER, username: 'renamed', restricted: true }
    state.verify = () => {
      const identity = { kind: 'legacy', user: renamed, scopes: ['username', 'email'] }
      Object.defineProperty(identity, 'token', { value: 'legacy-token-0001', enumerable: false })
      return identity as unknown as PlexIdentity
    }
    advance(61)
    const checked = await sessions.resolve(value, checks)
    expect(checked.identity).toMatchObject({ user: renamed, scopes: ['username', 'email'] })
    // Another process opens the re-sealed cookie without a check, and finds the same.
    const reopened = await manager().resolve(String(checked.renewed?.value), checks)
    expect(state.verifyCalls).toBe(1)
    expect(reopened.identity).toMatchObject({ user: renamed, scopes: ['username', 'email'] })
  })

  test('concurrent requests with one due cookie share one check', async () => {
    useFakeDate()
    const sessions = manager()
    const { state, checks } = fakeChecks()
    const { value } = await sessions.create(legacyIdentity(), ACCESS, false, undefined)
    advance(61)
    const other = manager()
    const results = await Promise.all(Array.from({ length: 20 }, () => other.resolve(value, checks)))
    expect(results.every((result) => result.identity?.user.id === 42)).toBe(true)
    expect(state.verifyCalls).toBe(1)
  })

  test('access revoked or token refused: the session ends (cleared); an outage serves the last check within staleIfError, then throws', async () => {
    useFakeDate()
    const { state, checks } = fakeChecks()
    const sessions = manager()
    const { value } = await sessions.create(legacyIdentity(), ACCESS, false, undefined)
    advance(61)
    state.access = () => new PlexAuthError('ACCESS_DENIED')
    expect(await manager().resolve(value, checks)).toEqual({ identity: undefined, clear: true })
    state.access = () => ACCESS
    state.verify = () => new PlexAuthError('TOKEN_INVALID')
    expect(await manager().resolve(value, checks)).toEqual({ identity: undefined, clear: true })
    state.verify = () => new PlexAuthError('PLEX_UNAVAILABLE')
    const stale = await manager().resolve(value, checks)
    expect(stale.identity?.access?.stale).toBe(true)
    expect(stale.renewed).toBeUndefined()
    // An access answer plex.tv could not confirm is not sealed again either.
    state.verify = () => legacyIdentity()
    state.access = () => ({ ...ACCESS, stale: true })
    expect((await manager().resolve(value, checks)).renewed).toBeUndefined()
    advance(300)
    state.verify = () => new PlexAuthError('PLEX_UNAVAILABLE')
    await expect(manager().resolve(value, checks)).rejects.toMatchObject({ code: 'PLEX_UNAVAILABLE' })
  })

  test('ownerOnly: a session whose user is no longer the owner ends', async () => {
    useFakeDate()
    const { state, checks } = fakeChecks()
    const { value } = await manager().create(legacyIdentity(), { ...ACCESS, owner: true }, true, undefined)
    advance(61)
    state.access = () => ({ ...ACCESS, owner: false })
    expect((await manager().resolve(value, checks)).clear).toBe(true)
  })

  test('a check never makes a user the owner the sign-in did not: a friend stays a friend, whatever a device list claims', async () => {
    useFakeDate()
    const { state, checks } = fakeChecks()
    const sessions = manager()
    const { value } = await sessions.create(legacyIdentity(), ACCESS, false, undefined)
    advance(61)
    // A checker that knows no owner takes the user's own device list, which the user's client can fill.
    state.access = () => ({ ...ACCESS, owner: true })
    const checked = await sessions.resolve(value, checks)
    expect(checked.identity?.access?.owner).toBe(false)
    const reopened = await manager().resolve(String(checked.renewed?.value), checks)
    expect(reopened.identity?.access?.owner).toBe(false)
  })

  test('maxAge bounds the session; a record sealed with an older secret is re-sealed at once', async () => {
    useFakeDate()
    const { checks } = fakeChecks()
    const { value } = await manager({ maxAge: 120 }).create(legacyIdentity(), undefined, false, undefined)
    const rotated = new SessionManager(
      resolveSessionOptions({ secret: [OTHER, SECRET], revalidateAfter: 60 }),
    )
    const opened = await rotated.resolve(value, checks)
    expect(opened.identity?.user.id).toBe(42)
    expect(opened.renewed).toBeDefined()
    expect((await manager().resolve(String(opened.renewed?.value), checks)).clear).toBe(true)
    advance(121)
    expect(await manager({ maxAge: 120 }).resolve(value, checks)).toEqual({
      identity: undefined,
      clear: true,
    })
  })

  test('expiry is exact: a session ends at its exp second, and peek never serves it from memory past exp', async () => {
    useFakeDate()
    const { checks } = fakeChecks()
    const sessions = manager({ maxAge: 60, revalidateAfter: 300 })
    const { value } = await sessions.create(legacyIdentity(), undefined, false, undefined)
    expect((await sessions.resolve(value, checks)).identity?.user.id).toBe(42)
    advance(59.999)
    expect(sessions.peek(value)?.user.id).toBe(42)
    // Only this very cookie is served from memory, not another with the same tail.
    expect(sessions.peek(`${value.startsWith('A') ? 'B' : 'A'}${value.slice(1)}`)).toBeUndefined()
    advance(0.001)
    expect(sessions.peek(value)).toBeUndefined()
    expect(await manager({ maxAge: 60, revalidateAfter: 300 }).resolve(value, checks)).toEqual({
      identity: undefined,
      clear: true,
    })
  })

  test('an outage serves the last check until revalidateAfter + staleIfError, exactly', async () => {
    useFakeDate()
    const { state, checks } = fakeChecks()
    const { value } = await manager().create(legacyIdentity(), ACCESS, false, undefined)
    state.verify = () => new PlexAuthError('PLEX_UNAVAILABLE')
    advance(359.999)
    expect((await manager().resolve(value, checks)).identity?.access?.stale).toBe(true)
    advance(0.001)
    await expect(manager().resolve(value, checks)).rejects.toMatchObject({ code: 'PLEX_UNAVAILABLE' })
  })

  test('an app of 1 KiB still fits the cookie in 4 KiB', async () => {
    const app = { blob: 'x'.repeat(1000) }
    const { value } = await manager().create(legacyIdentity(), ACCESS, false, app)
    expect(value.length).toBeLessThan(4096 - 120)
  })

  test('revocations: consulted when a cookie is opened (a failing store never fails a request); told on logout', async () => {
    const revoked = new Set<string>()
    const calls: unknown[] = []
    let failing = false
    const revocations = {
      isRevoked: ({ sessionId }: { sessionId: string }) => {
        if (failing) throw new Error('redis down')
        return revoked.has(sessionId)
      },
      revoke: (sessionId: string, ttl: number) => {
        calls.push([sessionId, ttl])
        revoked.add(sessionId)
      },
      revokeUser: () => {},
    }
    const { checks } = fakeChecks()
    const sessions = manager({ revocations })
    const { value, identity } = await sessions.create(legacyIdentity(), ACCESS, false, undefined)
    expect((await manager({ revocations }).resolve(value, checks)).identity?.user.id).toBe(42)
    await sessions.end(value)
    expect(calls).toEqual([[identity.session?.id, expect.any(Number)]])
    expect(sessions.peek(value)).toBeUndefined()
    expect((await manager({ revocations }).resolve(value, checks)).clear).toBe(true)
    failing = true
    expect((await manager({ revocations }).resolve(value, checks)).identity?.user.id).toBe(42)
  })

  test('revocations with isKnownRevoked: a cookie served from the cache ends at once when the store knows', async () => {
    const known = new Set<string>()
    let asked = 0
    const revocations = {
      isRevoked: ({ sessionId }: { sessionId: string }) => known.has(sessionId),
      isKnownRevoked: ({ sessionId }: { sessionId: string }) => {
        asked++
        return known.has(sessionId)
      },
      revoke: () => {},
      revokeUser: () => {},
    }
    const { checks } = fakeChecks()
    const { value, identity } = await manager({ revocations }).create(
      legacyIdentity(),
      ACCESS,
      false,
      undefined,
    )
    // Another instance: it opens the cookie once, then serves it from its cache.
    const other = manager({ revocations })
    expect((await other.resolve(value, checks)).identity?.user.id).toBe(42)
    expect(other.peek(value)?.user.id).toBe(42)
    expect(asked).toBeGreaterThan(0)
    known.add(identity.session!.id)
    expect(other.peek(value)).toBeUndefined()
    expect((await other.resolve(value, checks)).clear).toBe(true)
  })
})

test('a managed user’s Plex JWT with null username and email verifies; those fields are absent', async () => {
  const plex = await startPlex()
  const user = { id: 9, uuid: 'u-9', username: null, email: null, restricted: true, home: true }
  const token = plex.sign({ alg: 'EdDSA', kid: plex.signingKey.kid, typ: 'JWT' }, plexClaims({ user }))
  const identity = await plexVerifier(plex).verify(token)
  expect(identity.user).toEqual({ id: 9, uuid: 'u-9', restricted: true, home: true })
})
