import { PlexAuthError, type PlexIdentity, type ServerAccess } from '@plexauth/core'
import { describe, expect, test } from 'vitest'
import { serializeCookie } from '../src/session/cookies.js'
import { deriveKeys, seal, unseal } from '../src/session/seal.js'
import { type SessionChecks, SessionManager, sessionManagerFor } from '../src/session/session-manager.js'
import { resolveSessionOptions } from '../src/session/session-options.js'
import { advance, nowSeconds, plexClaims, staticSetup, useFakeDate } from './helpers.js'

const SECRET = 'a-session-secret-of-at-least-32-chars'
const USER = { id: 42, uuid: 'u-42', username: 'ann' }
const ACCESS: ServerAccess = { machineIdentifier: 'srv', owner: false, source: 'resources', stale: false }

function legacyIdentity(extra: Record<string, unknown> = { clientIdentifier: 'app' }): PlexIdentity {
  const identity = { kind: 'legacy', user: USER, scopes: ['username'], ...extra }
  Object.defineProperty(identity, 'token', { value: 'legacy-token-0001', enumerable: false })
  return identity as unknown as PlexIdentity
}

/** Checks answering as `verify` and `access` say, counting calls. */
function countingChecks(
  verify: () => PlexIdentity | Error = () => legacyIdentity(),
  access: () => ServerAccess = () => ACCESS,
) {
  const calls = { verify: 0, access: 0 }
  const checks: SessionChecks = {
    async verify() {
      calls.verify++
      const answer = verify()
      if (answer instanceof Error) throw answer
      return answer
    },
    async access() {
      calls.access++
      return access()
    },
  }
  return { calls, checks }
}

/** A revocation store that revokes nothing and keeps every query it was asked. */
function askingRevocations() {
  const asked: unknown[] = []
  const revocations = {
    isRevoked: (query: unknown) => {
      asked.push(query)
      return false
    },
    revoke: () => {},
  }
  return { asked, revocations }
}

function manager(extra: Record<string, unknown> = {}) {
  return new SessionManager(
    resolveSessionOptions({ secret: SECRET, revalidateAfter: 60, staleIfError: 300, ...extra }),
  )
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A legacy session record as `create` seals it, issued now. */
function record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds()
  return {
    v: 1,
    sid: 'session-id-1',
    k: 'legacy',
    t: 'legacy-token-0001',
    u: USER,
    s: ['username'],
    iat: now,
    chk: now,
    exp: now + 3600,
    ...overrides,
  }
}

describe('a cookie sealed with the secret but holding no valid record (an older version, a bug) ends the session', () => {
  test('the record every variant starts from opens', async () => {
    const sessions = manager()
    const { checks, calls } = countingChecks()
    const opened = await sessions.resolve(await seal(sessions.sessionKeys, record()), checks)
    expect(opened.identity).toMatchObject({ kind: 'legacy', user: USER, session: { id: 'session-id-1' } })
    expect(opened.clear).toBeUndefined()
    expect(calls.verify).toBe(0)
    const friends = { a: { m: 'srv', o: false, src: 'friends' }, oo: true }
    const viaFriends = await sessions.resolve(await seal(sessions.sessionKeys, record(friends)), checks)
    expect(viaFriends.identity?.access).toEqual({ ...ACCESS, source: 'friends' })
    // The owner's id sealed beside the decision opens too, and stays out of the identity.
    const withOwnerId = { a: { m: 'srv', o: false, src: 'resources', oid: 1 } }
    const viaOwnerId = await sessions.resolve(await seal(sessions.sessionKeys, record(withOwnerId)), checks)
    expect(viaOwnerId.identity?.access).toEqual(ACCESS)
  })

  test.each([
    ['another version', { v: 2 }],
    ['an unknown kind', { k: 'oauth' }],
    ['an empty token', { t: '' }],
    ['a token that is no string', { t: 5 }],
    ['an empty session id', { sid: '' }],
    ['a session id over 64 characters', { sid: 'x'.repeat(65) }],
    ['a session id that is no string', { sid: 7 }],
    ['a negative iat', { iat: -1 }],
    ['a fractional chk', { chk: 1.5 }],
    ['an exp that is no number', { exp: '9' }],
    ['a legacy record whose user is no Plex account', { u: { id: 'x' } }],
    ['a legacy record without scopes', { s: 'username' }],
    ['a legacy record whose client identifier is no string', { c: 5 }],
    ['an access that is null', { a: null }],
    ['an access that is no object', { a: 'srv' }],
    ['an access without a server', { a: { m: 1, o: true, src: 'resources' } }],
    ['an access whose owner flag is no boolean', { a: { m: 'srv', o: 'yes', src: 'resources' } }],
    ['an access of an unknown source', { a: { m: 'srv', o: true, src: 'elsewhere' } }],
    ["an owner's id that is no number", { a: { m: 'srv', o: true, src: 'resources', oid: '1' } }],
    ["an owner's id of 0", { a: { m: 'srv', o: true, src: 'resources', oid: 0 } }],
    ["a fractional owner's id", { a: { m: 'srv', o: true, src: 'resources', oid: 1.5 } }],
    ['an ownerOnly flag other than true', { oo: false }],
    ['a JWT record whose token has no payload', { k: 'jwt', t: 'abc' }],
    ['a JWT record whose token is no Plex JWT', { k: 'jwt', t: `e30.${b64({ user: {} })}.sig` }],
  ])('%s: cleared, checks not asked', async (_name, overrides) => {
    const sessions = manager()
    const { checks, calls } = countingChecks()
    const value = await seal(sessions.sessionKeys, record(overrides))
    expect(await sessions.resolve(value, checks)).toEqual({ identity: undefined, clear: true })
    expect(calls).toEqual({ verify: 0, access: 0 })
  })

  test('a revocation store is asked about such a JWT record with user 0, or not at all when its token has no payload', async () => {
    const { asked, revocations } = askingRevocations()
    const sessions = manager({ revocations })
    const { checks } = countingChecks()
    const noUser = await seal(sessions.sessionKeys, record({ k: 'jwt', t: `e30.${b64({ user: {} })}.sig` }))
    expect((await sessions.resolve(noUser, checks)).clear).toBe(true)
    expect(asked).toEqual([{ sessionId: 'session-id-1', userId: 0, issuedAt: nowSeconds() }])
    const noPayload = await seal(sessions.sessionKeys, record({ k: 'jwt', t: 'abc' }))
    expect((await sessions.resolve(noPayload, checks)).clear).toBe(true)
    expect(asked).toHaveLength(1)
  })

  test('due for a check: a record whose token no longer reads as an identity is cleared, after the check or in an outage', async () => {
    useFakeDate()
    const sessions = manager()
    const value = await seal(sessions.sessionKeys, record({ k: 'jwt', t: 'abc' }))
    advance(61)
    const accepting = countingChecks()
    expect(await sessions.resolve(value, accepting.checks)).toEqual({ identity: undefined, clear: true })
    expect(accepting.calls.verify).toBe(1)
    const outage = countingChecks(() => new PlexAuthError('PLEX_UNAVAILABLE'))
    expect(await manager().resolve(value, outage.checks)).toEqual({ identity: undefined, clear: true })
    expect(outage.calls.verify).toBe(1)
  })
})

describe('SessionManager edges', () => {
  test('a session without server access is checked again without an access check, and re-sealed', async () => {
    useFakeDate()
    const sessions = manager()
    const { calls, checks } = countingChecks()
    const { value, identity } = await sessions.create(legacyIdentity(), undefined, false, undefined)
    expect(identity.access).toBeUndefined()
    advance(61)
    const checked = await sessions.resolve(value, checks)
    expect(calls).toEqual({ verify: 1, access: 0 })
    expect(checked.identity?.access).toBeUndefined()
    expect(checked.renewed?.value).toBeDefined()
  })

  test('a legacy identity without a client identifier keeps none through the cookie', async () => {
    const { value, identity } = await manager().create(legacyIdentity({}), undefined, false, undefined)
    expect(identity).not.toHaveProperty('clientIdentifier')
    const opened = await manager().resolve(value, countingChecks().checks)
    expect(opened.identity?.user).toEqual(USER)
    expect(opened.identity).not.toHaveProperty('clientIdentifier')
  })

  test('a JWT session is asked about with the token’s user id, and never outlives the token', async () => {
    // Fake time: a second ticking over between signing and sealing would change maxAge.
    useFakeDate()
    const { sign, verifier } = staticSetup()
    const now = nowSeconds()
    const token = sign(plexClaims({ exp: now + 600, user: { id: 7, uuid: 'u-7', username: 'jo' } }))
    const identity = await verifier.verify(token)
    const asked: { userId: number }[] = []
    const revocations = {
      isRevoked: (query: { userId: number }) => {
        asked.push(query)
        return false
      },
      revoke: () => {},
    }
    const created = await manager({ revocations }).create(identity, undefined, false, undefined)
    expect(created.maxAge).toBe(600)
    const opened = await manager({ revocations }).resolve(created.value, countingChecks().checks)
    expect(opened.identity).toMatchObject({ kind: 'jwt', user: { id: 7 } })
    expect(asked.map((query) => query.userId)).toEqual([7])
  })

  test('a check that fails with something other than a PlexAuthError (a bug) rejects, and the cookie is not cleared', async () => {
    useFakeDate()
    const sessions = manager()
    const { value } = await sessions.create(legacyIdentity(), ACCESS, false, undefined)
    advance(61)
    const bug = new TypeError('a bug in a check')
    const { checks, calls } = countingChecks(() => bug)
    await expect(sessions.resolve(value, checks)).rejects.toBe(bug)
    expect(calls.verify).toBe(1)
    // Nothing was remembered: the next request asks again.
    await expect(sessions.resolve(value, checks)).rejects.toBe(bug)
    expect(calls.verify).toBe(2)
  })

  test('revalidateAfter 0: nothing is cached, every request checks the session again', async () => {
    useFakeDate()
    const sessions = manager({ revalidateAfter: 0 })
    const { calls, checks } = countingChecks()
    const { value } = await sessions.create(legacyIdentity(), ACCESS, false, undefined)
    expect(sessions.peek(value)).toBeUndefined()
    for (let i = 0; i < 3; i++) {
      const result = await sessions.resolve(value, checks)
      expect(result.identity?.user.id).toBe(42)
      expect(sessions.peek(String(result.renewed?.value))).toBeUndefined()
    }
    expect(calls).toEqual({ verify: 3, access: 3 })
  })

  test('a session that would not fit in a 4 KiB cookie is refused when sealed', async () => {
    await expect(
      manager().create(legacyIdentity(), ACCESS, false, { blob: 'x'.repeat(4000) }),
    ).rejects.toThrow(/does not fit in a cookie/)
  })

  test('logout of a value that is no session of ours revokes nothing', async () => {
    const revoked: string[] = []
    const revocations = { isRevoked: () => false, revoke: (sid: string) => void revoked.push(sid) }
    const sessions = manager({ revocations })
    await sessions.end('not-a-session')
    await sessions.end(await seal(sessions.sessionKeys, record({ v: 2 })))
    expect(revoked).toEqual([])
    await sessions.end(await seal(sessions.sessionKeys, record()))
    expect(revoked).toEqual(['session-id-1'])
  })

  test('one manager per session object; anything but an object is a TypeError', () => {
    const session = { secret: SECRET }
    expect(sessionManagerFor(session)).toBe(sessionManagerFor(session))
    expect(sessionManagerFor({ secret: SECRET })).not.toBe(sessionManagerFor(session))
    for (const bad of [undefined, null, 'secret', 42]) {
      expect(() => sessionManagerFor(bad)).toThrow(TypeError)
    }
  })

  test('a revocation store is asked with the session’s issue time, not its last check', async () => {
    useFakeDate()
    const { asked, revocations } = askingRevocations()
    const sessions = manager({ revocations })
    const issued = nowSeconds() - 100
    const value = await seal(sessions.sessionKeys, record({ iat: issued }))
    expect((await sessions.resolve(value, countingChecks().checks)).identity?.user.id).toBe(42)
    expect(asked).toEqual([{ sessionId: 'session-id-1', userId: 42, issuedAt: issued }])
  })

  test('logout tells the store the session’s remaining life as the revocation’s time to live', async () => {
    useFakeDate()
    const told: unknown[] = []
    const revocations = {
      isRevoked: () => false,
      revoke: (sid: string, ttl: number) => void told.push([sid, ttl]),
    }
    const sessions = manager({ revocations })
    const value = await seal(sessions.sessionKeys, record())
    advance(600)
    await sessions.end(value)
    expect(told).toEqual([['session-id-1', 3000]])
  })

  test('an isKnownRevoked that throws never ends a session served from memory', async () => {
    const revocations = {
      isRevoked: () => false,
      isKnownRevoked: () => {
        throw new Error('store down')
      },
      revoke: () => {},
    }
    const sessions = manager({ revocations })
    const { value, identity } = await sessions.create(legacyIdentity(), undefined, false, undefined)
    expect(sessions.peek(value)).toBe(identity)
  })

  test('after a check the old cookie value is served from memory too, until the browser has the new one', async () => {
    useFakeDate()
    const sessions = manager()
    const { calls, checks } = countingChecks()
    const { value } = await sessions.create(legacyIdentity(), ACCESS, false, undefined)
    advance(61)
    const checked = await sessions.resolve(value, checks)
    expect(sessions.peek(value)).toBe(checked.identity)
    expect(calls.verify).toBe(1)
  })

  test('the app object is copied into the identity: the caller’s object is neither frozen nor shared', async () => {
    const app = { role: 'admin', tags: ['a'] }
    const { identity } = await manager().create(legacyIdentity(), undefined, false, app)
    expect(identity.app).toEqual({ role: 'admin', tags: ['a'] })
    expect(identity.app).not.toBe(app)
    expect(Object.isFrozen(app)).toBe(false)
    expect(Object.isFrozen(app.tags)).toBe(false)
  })

  test('the largest session sealed still fits, as a __Host- cookie with all its attributes, in 4096 bytes', async () => {
    const sessions = manager({ maxAge: 400 * 86_400 })
    let largest = ''
    let refused: unknown
    for (let size = 2400; refused === undefined; size += 8) {
      try {
        largest = (await sessions.create(legacyIdentity(), ACCESS, false, { blob: 'x'.repeat(size) })).value
      } catch (err) {
        refused = err
      }
    }
    expect(refused).toEqual(new Error('plexauth: the session does not fit in a cookie'))
    const line = serializeCookie('__Host-plexauth_session', largest, { secure: true, maxAge: 400 * 86_400 })
    expect(line.length).toBeGreaterThan(3900)
    expect(line.length).toBeLessThanOrEqual(4096)
  })
})

describe('session options and sealing edges', () => {
  test.each([
    [null, /session must be an object/],
    ['a-session-secret-of-at-least-32-chars', /session must be an object/],
    [[SECRET], /session must be an object/],
    [{ secret: SECRET, trustedOrigins: 'https://app.example.com' }, /list of origins/],
    [{ secret: SECRET, trustedOrigins: ['ftp://app.example.com'] }, /http\(s\) URL/],
  ])('session %j → TypeError', (session, message) => {
    expect(() => resolveSessionOptions(session)).toThrow(TypeError)
    expect(() => resolveSessionOptions(session)).toThrow(message)
  })

  test('trusted origins are kept as browsers send them: scheme, host and port, lower case', () => {
    const { trustedOrigins } = resolveSessionOptions({
      secret: SECRET,
      trustedOrigins: ['HTTPS://App.Example.com/path', 'http://localhost:3000'],
    })
    expect([...trustedOrigins]).toEqual(['https://app.example.com', 'http://localhost:3000'])
  })

  test('a JWE of another algorithm, without a kid, or sealing no JSON object does not open', async () => {
    const keys = deriveKeys([SECRET], 'session')
    const value = await seal(keys, { a: 1 })
    const rest = value.slice(value.indexOf('.'))
    const header = (h: unknown) => `${b64(h)}${rest}`
    expect(await unseal(keys, header({ alg: 'dir', enc: 'A256GCM', kid: keys.current.kid }), 4096)).toEqual({
      payload: { a: 1 },
      rotated: false,
    })
    for (const bad of [
      { alg: 'dir', enc: 'A128GCM', kid: keys.current.kid },
      { alg: 'A256KW', enc: 'A256GCM', kid: keys.current.kid },
      { alg: 'dir', enc: 'A256GCM' },
      { alg: 'dir', enc: 'A256GCM', kid: 'someone-else' },
    ]) {
      expect(await unseal(keys, header(bad), 4096)).toBeUndefined()
    }
    for (const payload of [[1, 2], 'text', null, 3]) {
      expect(await unseal(keys, await seal(keys, payload as object), 4096)).toBeUndefined()
    }
  })

  test('defaults, and each bound taken exactly; one past it is a TypeError naming the range', () => {
    expect(resolveSessionOptions({ secret: SECRET })).toMatchObject({
      maxAgeMs: 7 * 86_400_000,
      revalidateAfterMs: 600_000,
      staleIfErrorMs: 3_600_000,
      cacheSize: 10_000,
    })
    const bounds = [
      ['maxAge', 60, 400 * 86_400, 1],
      ['revalidateAfter', 0, 86_400, 0.001],
      ['staleIfError', 0, 30 * 86_400, 0.001],
      ['cacheSize', 1, 10_000_000, 1],
    ] as const
    for (const [name, min, max, step] of bounds) {
      expect(() => resolveSessionOptions({ secret: SECRET, [name]: min })).not.toThrow()
      expect(() => resolveSessionOptions({ secret: SECRET, [name]: max })).not.toThrow()
      const error = new TypeError(`plexauth: session.${name} must be a number from ${min} to ${max}`)
      expect(() => resolveSessionOptions({ secret: SECRET, [name]: min - step })).toThrow(error)
      expect(() => resolveSessionOptions({ secret: SECRET, [name]: max + step })).toThrow(error)
    }
  })

  test('a revocation store needs both isRevoked() and revoke()', () => {
    const error = new TypeError('plexauth: session.revocations must have isRevoked() and revoke() methods')
    expect(() => resolveSessionOptions({ secret: SECRET, revocations: { isRevoked: () => false } })).toThrow(
      error,
    )
    expect(() => resolveSessionOptions({ secret: SECRET, revocations: { revoke: () => {} } })).toThrow(error)
  })

  test('a sealed value with base64url padding or whitespace added (which a lenient decoder skips) does not open', async () => {
    const keys = deriveKeys([SECRET], 'session')
    const value = await seal(keys, { a: 1 })
    const [header, , iv, ciphertext, tag] = value.split('.')
    expect(await unseal(keys, [header, '', iv, ciphertext, tag].join('.'), 4096)).toEqual({
      payload: { a: 1 },
      rotated: false,
    })
    for (const bad of [
      `${value}==`,
      [header, '', ` ${iv}`, ciphertext, tag].join('.'),
      `${value.slice(0, -4)}\n${value.slice(-4)}`,
    ]) {
      expect(await unseal(keys, bad, 4096)).toBeUndefined()
    }
  })
})

// The owner's id beside the decision (a.oid) is what a plexAuth without an owner of its own decides by: a
// check seals the one it decided by, and keeps the sealed one when it learnt none.
describe("the owner's id sealed beside the access decision", () => {
  test('a check is asked with the sealed id; the id it learnt wins over it, else the sealed one is kept', async () => {
    useFakeDate()
    const sessions = manager()
    const asked: (number | undefined)[] = []
    let learnt: number | undefined = 9
    const checks: SessionChecks = {
      verify: async () => legacyIdentity(),
      access: async (_identity, _server, ownerId) => {
        asked.push(ownerId)
        return learnt === undefined ? ACCESS : { ...ACCESS, ownerId: learnt }
      },
    }
    const sealed = await seal(
      sessions.sessionKeys,
      record({ a: { m: 'srv', o: false, src: 'resources', oid: 7 } }),
    )
    advance(61)
    const checked = await sessions.resolve(sealed, checks)
    expect(await unseal(sessions.sessionKeys, String(checked.renewed?.value), 4096)).toMatchObject({
      payload: { a: { m: 'srv', o: false, src: 'resources', oid: 9 } },
    })
    learnt = undefined
    advance(61)
    const kept = await sessions.resolve(sealed, checks)
    expect(await unseal(sessions.sessionKeys, String(kept.renewed?.value), 4096)).toMatchObject({
      payload: { a: { m: 'srv', o: false, src: 'resources', oid: 7 } },
    })
    expect(asked).toEqual([7, 7])
  })
})
