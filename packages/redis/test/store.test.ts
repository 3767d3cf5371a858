import { createHash } from 'node:crypto'
import { type AddressInfo, createServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { createPlexVerifier, isPlexAuthError, type PlexJwks, type SharedKeySet } from '@plexauth/core'
import {
  createRedisStore,
  type RedisStore,
  type RedisStoreEvent,
  type RedisStoreOptions,
  type SharedBudgetOptions,
} from '@plexauth/redis'
import {
  createFakePlex,
  DEFAULT_CLIENT_IDENTIFIER,
  type FakePlex,
  generateEd25519Key,
  PLEX_PATHS,
} from '@plexauth/testing'
import { afterAll, beforeAll, describe, expect, onTestFinished, test, vi } from 'vitest'
import { freePort, type RedisServer, startRedis } from './redis-server.js'

const SECRET = 'a-test-secret-of-at-least-32-characters!'
const CLIENT = DEFAULT_CLIENT_IDENTIFIER
let redis: RedisServer
let plex: FakePlex

beforeAll(async () => {
  ;[redis, plex] = await Promise.all([startRedis(), createFakePlex()])
})
afterAll(async () => {
  await Promise.all([redis?.stop(), plex?.close()])
})

let prefixes = 0
/** A connected store under a prefix of its own test (or the given one), closed when the test ends. */
async function store(
  options: Partial<RedisStoreOptions> = {},
): Promise<RedisStore & { events: RedisStoreEvent[] }> {
  const events: RedisStoreEvent[] = []
  const created = createRedisStore({
    url: redis.url,
    secret: SECRET,
    prefix: `t${++prefixes}:`,
    // Generous: this machine is shared, and a busy Redis must not pass for a dead one (the hung test sets its own).
    timeout: 2,
    onEvent: (event) => events.push(event),
    ...options,
  })
  onTestFinished(() => created.close())
  expect(await created.ready()).toBe(true)
  return Object.assign(created, { events })
}

function legacyVerifier(shared: RedisStore) {
  return createPlexVerifier({
    clientIdentifier: CLIENT,
    jwksUrl: plex.jwksUrl,
    plexTvUrl: plex.url,
    legacyTokens: true,
    ...shared.verifierOptions,
  })
}

async function keysUnder(prefix: string): Promise<string[]> {
  return (await redis.command('KEYS', `${prefix}*`)) as string[]
}

/** The keys under `prefix` once there are `count` of them: core writes its cache without waiting. */
async function settledKeys(prefix: string, count: number): Promise<string[]> {
  await vi.waitFor(async () => expect(await keysUnder(prefix)).toHaveLength(count))
  return keysUnder(prefix)
}

/** How many `redis_value_rejected` events of `operation` there were. */
function rejections(events: readonly RedisStoreEvent[], operation: string): number {
  return events.filter((event) => event.type === 'redis_value_rejected' && event.operation === operation)
    .length
}

/** A field of Redis's INFO, e.g. `info('clients', 'connected_clients')`. */
async function info(section: string, field: string): Promise<number> {
  return Number(new RegExp(`${field}:(\\d+)`).exec(String(await redis.command('INFO', section)))?.[1])
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (err) {
    if (isPlexAuthError(err)) return err.code
    throw err
  }
}

describe('createRedisStore: options', () => {
  test('misconfiguration throws TypeError at once', async () => {
    const good = { url: 'redis://127.0.0.1:1', secret: SECRET }
    const bad: Record<string, unknown>[] = [
      { ...good, secret: 'short' },
      { ...good, secret: [] },
      { ...good, secret: [SECRET, 'short'] },
      { ...good, url: 'http://127.0.0.1:6379' },
      { ...good, url: 'not a url' },
      { ...good, url: 6379 },
      { ...good, prefix: 'has space' },
      { ...good, prefix: 'p'.repeat(129) },
      { ...good, timeout: 0 },
      { ...good, localCacheSize: 1.5 },
      { ...good, onEvent: 'log' },
      { ...good, unknown: true },
    ]
    for (const options of bad) {
      expect(
        () => createRedisStore(options as unknown as RedisStoreOptions),
        JSON.stringify(options),
      ).toThrow(TypeError)
    }
    // The documented form with a user and password is accepted (the read-only test connects with one).
    await createRedisStore({ ...good, url: 'redis://reader:pass@127.0.0.1:1' }).close()
    // TLS, and the longest prefix.
    await createRedisStore({ ...good, url: 'rediss://127.0.0.1:1', prefix: 'p'.repeat(128) }).close()
    for (const options of [undefined, null, 'redis://127.0.0.1:1']) {
      expect(() => createRedisStore(options as unknown as RedisStoreOptions), String(options)).toThrow(
        TypeError,
      )
    }
  })

  test('a budget with a bad name or options throws TypeError; one name is one budget', async () => {
    const shared = await store()
    const bad: [unknown, unknown][] = [
      ['', { perSecond: 1 }],
      ['has space', { perSecond: 1 }],
      ['x'.repeat(65), { perSecond: 1 }],
      [7, { perSecond: 1 }],
      ['pins', undefined],
      ['pins', null],
      ['pins', {}],
      ['pins', { perSecond: 0 }],
      ['pins', { perSecond: 1, burst: 0.5 }],
    ]
    for (const [name, options] of bad) {
      expect(
        () => shared.budget(name as string, options as SharedBudgetOptions),
        JSON.stringify([name, options]),
      ).toThrow(TypeError)
    }
    expect(shared.budget('pins', { perSecond: 1 })).toBe(shared.budget('pins', { perSecond: 1 }))
    expect(shared.budget('legacy-lookups', { perSecond: 10 })).toBe(shared.legacyLookupBudget)
    // The same name with other limits: one of them would be silently lost.
    expect(() => shared.budget('pins', { perSecond: 2 })).toThrow(
      new TypeError('plexauth: budget pins already exists with other limits'),
    )
    expect(() => shared.budget('pins', { perSecond: 1, burst: 5 })).toThrow(TypeError)
    expect(() => shared.budget('legacy-lookups', { perSecond: 1000 })).toThrow(TypeError)
  })
})

describe('what Redis holds', () => {
  test('every key carries the prefix and a TTL, and no token or token hash is stored', async () => {
    const shared = await store({ prefix: 'ttl-check:' })
    const verifier = legacyVerifier(shared)
    const token = plex.createLegacyToken()
    await verifier.verify(token)
    await verifier.verify(plex.issueToken())
    await shared.revocations.revoke('session-1', 60)
    await shared.revocations.revokeUser(42, 60)
    await shared.budget('pins', { perSecond: 1 }).take()
    await vi.waitFor(async () => expect((await keysUnder('ttl-check:')).length).toBeGreaterThanOrEqual(6))
    const keys = await keysUnder('ttl-check:')
    const tokenHash = createHash('sha256').update(token).digest('base64url')
    for (const key of keys) {
      expect(key.startsWith('ttl-check:')).toBe(true)
      // -1 is a key without a TTL; -2 one that has just expired (a budget refills in seconds).
      expect(await redis.command('PTTL', key), key).not.toBe(-1)
      const type = await redis.command('TYPE', key)
      const value = type === 'string' ? String(await redis.command('GET', key)) : ''
      for (const text of [key, value]) {
        expect(text).not.toContain(token)
        expect(text).not.toContain(tokenHash)
        expect(text).not.toContain('session-1')
      }
    }
    expect(keys.some((key) => key.includes(':42'))).toBe(false)
  })
})

describe('a Redis an attacker can write to cannot mint an identity', () => {
  test('a legacy-token answer altered in Redis is refused, and plex.tv is asked again', async () => {
    const prefix = 'forge-legacy:'
    const victim = plex.addAccount({ username: 'victim' })
    const token = plex.createLegacyToken({ accountId: victim.id })
    await legacyVerifier(await store({ prefix })).verify(token)
    const [key] = await settledKeys(`${prefix}cache:`, 1)
    const sealed = String(await redis.command('GET', key!))
    // Make the cached account the admin's, keeping the MAC: the MAC covers the value, so it no longer matches.
    await redis.command('SET', key!, sealed.replace(`"id":${victim.id}`, '"id":1'), 'PX', '60000')
    const reader = await store({ prefix })
    plex.resetCounters()
    const identity = await legacyVerifier(reader).verify(token)
    expect(identity.user.id).toBe(victim.id)
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
    expect(reader.events).toContainEqual({ type: 'redis_value_rejected', operation: 'cache' })
  })

  test("one token's sealed answer moved under another token's key is refused", async () => {
    const prefix = 'forge-move:'
    const writer = await store({ prefix })
    const admin = plex.createLegacyToken()
    await legacyVerifier(writer).verify(admin)
    const [adminKey] = await settledKeys(`${prefix}cache:`, 1)
    const stranger = 'strangerToken0123456789'
    // The stranger's key, as the store names it: learnt by making the store write it.
    await writer.cache.set(
      `legacy:${createHash('sha256').update(stranger).digest('base64url')}`,
      { valid: false },
      60,
    )
    const strangerKey = (await settledKeys(`${prefix}cache:`, 2)).find((key) => key !== adminKey)!
    await redis.command('SET', strangerKey, String(await redis.command('GET', adminKey!)), 'PX', '60000')
    const reader = await store({ prefix })
    plex.resetCounters()
    expect(await code(legacyVerifier(reader).verify(stranger))).toBe('TOKEN_INVALID')
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
    expect(reader.events).toContainEqual({ type: 'redis_value_rejected', operation: 'cache' })
  })

  test('a key set planted in Redis by someone without the secret is refused, and its tokens with it', async () => {
    const prefix = 'forge-keys:'
    const attacker = generateEd25519Key()
    const planted: SharedKeySet = {
      jwks: { keys: [attacker.publicJwk] } as PlexJwks,
      fetchedAt: Date.now(),
      maxAge: 3600,
    }
    // Someone with write access and a secret of their own seals and stores their key set.
    const intruder = await store({ prefix, secret: 'not-the-apps-secret-but-just-as-long!!' })
    await intruder.keyStore.share(undefined, async () => planted)
    const reader = await store({ prefix })
    plex.resetCounters()
    const verifier = legacyVerifier(reader)
    const forged = plex.sign(
      { alg: 'EdDSA', kid: attacker.publicJwk.kid, typ: 'JWT' },
      { iss: 'plex.tv', aud: [CLIENT], sub: 'x', exp: Math.floor(Date.now() / 1000) + 600 },
      { signWith: attacker.privateKey },
    )
    expect(await code(verifier.verify(forged))).toBe('TOKEN_KEY_UNKNOWN')
    expect(await code(verifier.verify(plex.issueToken()))).toBe('ok')
    expect(plex.requests(PLEX_PATHS.keys)).toBe(1)
    expect(reader.events).toContainEqual({ type: 'redis_value_rejected', operation: 'keys' })
  })

  test('an expired value brought back without a TTL is refused', async () => {
    const prefix = 'forge-replay:'
    const shared = await store({ prefix })
    await shared.cache.set('access:server:7', { granted: true }, 1)
    const [key] = await keysUnder(prefix)
    const sealed = String(await redis.command('GET', key!))
    await sleep(1100)
    await redis.command('SET', key!, sealed)
    const reader = await store({ prefix })
    expect(await reader.cache.get('access:server:7')).toBeUndefined()
    expect(reader.events).toContainEqual({ type: 'redis_value_rejected', operation: 'cache' })
  })

  test('after a rotation, values sealed with the older secret still open, and revocations still hold', async () => {
    const prefix = 'rotation:'
    const old = 'the-old-secret-of-at-least-32-characters'
    const writer = await store({ prefix, secret: old })
    await writer.keyStore.share(undefined, async () => ({
      jwks: plex.keys,
      fetchedAt: Date.now(),
      maxAge: 600,
    }))
    await writer.revocations.revoke('before-rotation', 60)
    const rotated = await store({ prefix, secret: [SECRET, old] })
    expect(await rotated.keyStore.load()).toEqual(plex.keys)
    const query = { sessionId: 'before-rotation', userId: 1, issuedAt: 0 }
    expect(await rotated.revocations.isRevoked(query)).toBe(true)
    const stranger = await store({ prefix, secret: SECRET })
    expect(await stranger.keyStore.load()).toBeUndefined()
    // The first secret names and seals what is written: an instance with only the new secret reads it.
    await rotated.cache.set('after-rotation', 'v', 60)
    expect(await stranger.cache.get('after-rotation')).toBe('v')
  })
})

describe('values that are not what plexauth wrote', () => {
  const MAC = 'A'.repeat(43)
  test.each([
    ['not sealed', 'garbage'],
    ['a MAC and nothing after it', `${MAC}.`],
    ['oversized', `${MAC}.${'x'.repeat(8 * 1024 * 1024)}`],
    ['a MAC of characters that are not ASCII', `${'é'.repeat(43)}.{}`],
  ])(
    '%s: the cache, the key set and a revocation count it as absent, and each is reported',
    async (_, garbage) => {
      const prefix = `garbage-${garbage.length}:`
      const writer = await store({ prefix })
      await writer.cache.set('k', 'v', 60)
      await writer.keyStore.save(plex.keys)
      await writer.revocations.revoke('s', 60)
      for (const key of await keysUnder(prefix)) await redis.command('SET', key, garbage, 'PX', '60000')
      // Without the index, a new instance learns of the revocation only by reading its key.
      await redis.command('DEL', `${prefix}revocations:index`)
      const reader = await store({ prefix })
      expect(await reader.cache.get('k')).toBeUndefined()
      expect(await reader.keyStore.load()).toBeUndefined()
      expect(await reader.revocations.isRevoked({ sessionId: 's', userId: 1, issuedAt: 0 })).toBe(false)
      expect(reader.events).toEqual(
        ['cache', 'keys', 'revocation'].map((operation) => ({ type: 'redis_value_rejected', operation })),
      )
      expect(reader.available).toBe(true)
    },
  )

  test('a key of the wrong type is a miss, not an outage', async () => {
    const prefix = 'wrong-type:'
    const shared = await store({ prefix })
    await redis.command('HSET', `${prefix}keys`, 'jwks', '{}')
    await redis.command('SET', `${prefix}budget:pins`, 'not a bucket')
    expect(await shared.keyStore.load()).toBeUndefined()
    expect(await shared.budget('pins', { perSecond: 1 }).take()).toBeUndefined()
    expect(shared.available).toBe(true)
    expect(shared.events).toEqual([])
  })

  test('malformed revocation messages and index entries are refused and reported, and revoke nothing', async () => {
    const prefix = 'pubsub-garbage:'
    const shared = await store({ prefix })
    // Sealed under another secret, on the same channel and in the same index.
    const intruder = await store({ prefix, secret: 'not-the-apps-secret-but-just-as-long!!' })
    await intruder.revocations.revoke('victim', 60)
    for (const message of ['garbage', `${MAC}.{}`]) {
      await redis.command('PUBLISH', `${prefix}revocations`, message)
    }
    await vi.waitFor(() => expect(rejections(shared.events, 'revocation')).toBe(3))
    const victim = { sessionId: 'victim', userId: 1, issuedAt: 0 }
    expect(shared.revocations.isKnownRevoked?.(victim)).toBe(false)
    await redis.command('ZADD', `${prefix}revocations:index`, String(Date.now() + 60_000), 'garbage')
    // A new instance catches up from the index when it starts: the intruder's entry and the garbage.
    const late = await store({ prefix })
    expect(late.events).toEqual([
      { type: 'redis_value_rejected', operation: 'revocation' },
      { type: 'redis_value_rejected', operation: 'revocation' },
    ])
    expect(late.revocations.isKnownRevoked?.(victim)).toBe(false)
    expect(shared.events.every((event) => event.type === 'redis_value_rejected')).toBe(true)
  })
})

describe('the shared key set', () => {
  test('N cold instances cost one fetch; the others wait for its result', async () => {
    const prefix = 'cold-keys:'
    const instances = await Promise.all(Array.from({ length: 5 }, () => store({ prefix })))
    let fetches = 0
    const fetchKeys = async (): Promise<SharedKeySet> => {
      fetches++
      await sleep(100)
      return { jwks: plex.keys, fetchedAt: Date.now(), maxAge: 600 }
    }
    const sets = await Promise.all(instances.map((instance) => instance.keyStore.share(undefined, fetchKeys)))
    expect(fetches).toBe(1)
    expect(new Set(sets.map((set) => set?.fetchedAt)).size).toBe(1)
    expect(sets.every((set) => set?.jwks.keys.length === plex.keys.keys.length)).toBe(true)
  })

  test("a set newer than the caller's is handed out; otherwise one caller fetches", async () => {
    const shared = await store()
    const t0 = Date.now() - 60_000
    const set = (fetchedAt: number): SharedKeySet => ({ jwks: plex.keys, fetchedAt, maxAge: 600 })
    expect((await shared.keyStore.share(undefined, async () => set(t0)))?.fetchedAt).toBe(t0)
    let fetched = 0
    const again = await shared.keyStore.share(t0 - 1000, async () => {
      fetched++
      return set(Date.now())
    })
    expect([again?.fetchedAt, fetched]).toEqual([t0, 0])
    const refreshed = await shared.keyStore.share(t0, async () => {
      fetched++
      return set(Date.now())
    })
    expect(fetched).toBe(1)
    expect(refreshed?.fetchedAt).toBeGreaterThan(t0)
  })

  test('when the fetching instance fails, the waiting ones fail too rather than each fetching', async () => {
    const prefix = 'failed-keys:'
    const instances = await Promise.all(Array.from({ length: 4 }, () => store({ prefix })))
    let fetches = 0
    const fetchKeys = async (): Promise<SharedKeySet> => {
      fetches++
      await sleep(80)
      throw new Error('plex.tv is down')
    }
    const outcomes = await Promise.allSettled(
      instances.map((instance) => instance.keyStore.share(undefined, fetchKeys)),
    )
    expect(fetches).toBe(1)
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true)
  })

  test('verifiers on one store: one key fetch for all of them', async () => {
    const prefix = 'verifiers:'
    plex.resetCounters()
    const verifiers = await Promise.all(
      Array.from({ length: 3 }, async () => legacyVerifier(await store({ prefix }))),
    )
    await Promise.all(verifiers.map((verifier) => verifier.verify(plex.issueToken())))
    expect(plex.requests(PLEX_PATHS.keys)).toBe(1)
  })
})

describe('a Redis that refuses writes (a read-only user, or a replica)', () => {
  test('every write is refused: the instance answers alone, Redis stays in use, and no outage is reported', async () => {
    const prefix = 'read-only:'
    await redis.command('ACL', 'SETUSER', 'reader', 'on', '>reader-password', '~*', '&*', '+@all', '-@write')
    onTestFinished(async () => {
      await redis.command('ACL', 'DELUSER', 'reader')
    })
    const shared = await store({
      prefix,
      url: redis.url.replace('redis://', 'redis://reader:reader-password@'),
    })
    let fetches = 0
    const fetchKeys = async (): Promise<SharedKeySet> => {
      fetches++
      return { jwks: plex.keys, fetchedAt: Date.now(), maxAge: 600 }
    }
    // Its lock refused, the key store leaves the fetch to core (`undefined`) rather than fetching itself.
    expect([await shared.keyStore.share(undefined, fetchKeys), fetches]).toEqual([undefined, 0])
    await shared.cache.set('k', 'v', 60)
    expect(await shared.cache.get('k')).toBe('v')
    expect(await shared.budget('pins', { perSecond: 1 }).take()).toBeUndefined()
    expect(await shared.revocations.revoke('s', 60)).toBe(false)
    expect(shared.revocations.isKnownRevoked?.({ sessionId: 's', userId: 1, issuedAt: 0 })).toBe(true)
    expect(await keysUnder(prefix)).toEqual([])
    expect(shared.available).toBe(true)
    expect(shared.events).toEqual([])
  })
})

describe('a Redis that asks for a password', () => {
  test('a wrong password: the store answers alone, and the events never carry the password', async () => {
    await redis.command('ACL', 'SETUSER', 'app', 'on', '>the-right-password', '~*', '&*', '+@all')
    onTestFinished(async () => {
      await redis.command('ACL', 'DELUSER', 'app')
    })
    const events: RedisStoreEvent[] = []
    const wrong = createRedisStore({
      url: redis.url.replace('redis://', 'redis://app:a-wrong-password@'),
      secret: SECRET,
      timeout: 0.1,
      onEvent: (event) => events.push(event),
    })
    onTestFinished(() => wrong.close())
    expect(await wrong.ready(0.3)).toBe(false)
    expect(await wrong.cache.get('k')).toBeUndefined()
    expect(wrong.available).toBe(false)
    expect(events[0]).toEqual({ type: 'redis_unavailable', operation: 'cache', reason: 'error', retryIn: 1 })
    expect(JSON.stringify(events)).not.toContain('password')
  })
})

describe('the fleet budget', () => {
  test('instances share one bucket', async () => {
    const prefix = 'budget:'
    const [a, b] = await Promise.all([store({ prefix }), store({ prefix })])
    const budgetA = a.budget('pins', { perSecond: 0.01, burst: 3 })
    const budgetB = b.budget('pins', { perSecond: 0.01, burst: 3 })
    const waits = [await budgetA.take(), await budgetB.take(), await budgetA.take(), await budgetB.take()]
    expect(waits.slice(0, 3)).toEqual([0, 0, 0])
    expect(waits[3]).toBeGreaterThan(0)
  })

  test('N distinct legacy tokens over two verifiers spend N lookups of one budget', async () => {
    const prefix = 'legacy-budget:'
    const [a, b] = await Promise.all([
      store({ prefix, legacyLookupsPerSecond: 0.01 }),
      store({ prefix, legacyLookupsPerSecond: 0.01 }),
    ])
    plex.resetCounters()
    const [va, vb] = [legacyVerifier(a), legacyVerifier(b)]
    // burst = max(1, rate) = 1: the fleet gets one lookup, whichever instance asks.
    expect(await code(va.verify(plex.createLegacyToken()))).toBe('ok')
    expect(await code(vb.verify(plex.createLegacyToken()))).toBe('PLEX_UNAVAILABLE')
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
  })
})

describe('session revocation', () => {
  test('sign-out and sign-out-everywhere on one instance hold on another', async () => {
    const prefix = 'revoke:'
    const [a, b] = await Promise.all([store({ prefix }), store({ prefix })])
    const now = Date.now() / 1000
    const session = (sessionId: string, userId: number, issuedAt = now - 10) => ({
      sessionId,
      userId,
      issuedAt,
    })
    expect(await b.revocations.isRevoked(session('s1', 1))).toBe(false)
    await a.revocations.revoke('s1', 60)
    expect(await b.revocations.isRevoked(session('s1', 1))).toBe(true)
    expect(await b.revocations.isRevoked(session('s2', 1))).toBe(false)
    await a.revocations.revokeUser(2, 60)
    expect(await b.revocations.isRevoked(session('s3', 2))).toBe(true)
    expect(await b.revocations.isRevoked(session('s4', 2, Date.now() / 1000 + 1))).toBe(false)
    expect(await b.revocations.isRevoked(session('s5', 3))).toBe(false)
  })

  test('an instance whose subscription dropped catches up from the index when it is back', async () => {
    const prefix = 'revoke-reconnect:'
    const a = await store({ prefix })
    await a.revocations.revoke('while-away', 60)
    // The revocation as an instance that missed its message would find it: only in the index.
    const [entry] = (await redis.command('ZRANGE', `${prefix}revocations:index`, '0', '-1')) as string[]
    expect(typeof entry).toBe('string')
    await redis.command('DEL', `${prefix}revocations:index`)
    const b = await store({ prefix })
    const query = { sessionId: 'while-away', userId: 1, issuedAt: 0 }
    expect(b.revocations.isKnownRevoked?.(query)).toBe(false)
    await redis.command('ZADD', `${prefix}revocations:index`, String(Date.now() + 60_000), entry!)
    // Drops every subscriber connection (this file's other stores are closed): node-redis reconnects.
    await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub')
    await vi.waitFor(() => expect(b.revocations.isKnownRevoked?.(query)).toBe(true), { timeout: 5_000 })
  })

  test('a revocation ends with its TTL', async () => {
    const [a, b] = await Promise.all([store({ prefix: 'revoke-ttl:' }), store({ prefix: 'revoke-ttl:' })])
    await a.revocations.revoke('short', 0.2)
    expect(await b.revocations.isRevoked({ sessionId: 'short', userId: 1, issuedAt: 0 })).toBe(true)
    await sleep(300)
    expect(await b.revocations.isRevoked({ sessionId: 'short', userId: 1, issuedAt: 0 })).toBe(false)
  })

  test('bad arguments are TypeErrors', async () => {
    const shared = await store()
    await expect(shared.revocations.revoke('', 60)).rejects.toThrow(TypeError)
    await expect(shared.revocations.revoke('s', 0)).rejects.toThrow(TypeError)
    await expect(shared.revocations.revoke('s', 366 * 86_400 + 1)).rejects.toThrow(TypeError)
    await expect(shared.revocations.revoke('s', '60' as unknown as number)).rejects.toThrow(TypeError)
    await expect(shared.revocations.revoke('x'.repeat(513), 60)).rejects.toThrow(TypeError)
    // The bounds themselves are accepted.
    expect(await shared.revocations.revoke('x'.repeat(512), 366 * 86_400)).toBe(true)
    await expect(shared.revocations.revokeUser({} as unknown as number, 60)).rejects.toThrow(TypeError)
    await expect(shared.revocations.revokeUser('', 60)).rejects.toThrow(TypeError)
    await expect(shared.revocations.revokeUser('x'.repeat(513), 60)).rejects.toThrow(TypeError)
    await expect(shared.revocations.revokeUser(7, 60, Number.NaN)).rejects.toThrow(TypeError)
    await expect(shared.revocations.revokeUser(7, 60, '0' as unknown as number)).rejects.toThrow(TypeError)
    const at = (issuedAt: unknown) => ({ sessionId: 's', userId: 7, issuedAt: issuedAt as number })
    expect(() => shared.revocations.isKnownRevoked?.(at(Number.POSITIVE_INFINITY))).toThrow(TypeError)
    await expect(shared.revocations.isRevoked(at('0'))).rejects.toThrow(TypeError)
  })

  test('a user id may be a string of up to 512 characters', async () => {
    const [a, b] = await Promise.all([store({ prefix: 'string-ids:' }), store({ prefix: 'string-ids:' })])
    const userId = `account-${'x'.repeat(504)}`
    await a.revocations.revokeUser(userId, 60)
    const issuedAt = Date.now() / 1000 - 10
    expect(await b.revocations.isRevoked({ sessionId: 's1', userId, issuedAt })).toBe(true)
    expect(await b.revocations.isRevoked({ sessionId: 's1', userId: 'account-', issuedAt })).toBe(false)
  })
})

describe('Redis down, slow, and back', () => {
  test('down: every operation answers from the instance; back: sharing resumes', async () => {
    const prefix = 'outage:'
    const [a, b] = await Promise.all([store({ prefix }), store({ prefix })])
    await redis.kill()
    onTestFinished(async () => {
      if (!(await a.ready(0.01))) await redis.restart()
    })
    await a.cache.set('k', 'local', 60)
    expect(await a.cache.get('k')).toBe('local')
    expect(await b.cache.get('k')).toBeUndefined()
    expect(await a.budget('x', { perSecond: 1 }).take()).toBeUndefined()
    expect(await a.revocations.revoke('s', 60)).toBe(false)
    expect(await a.revocations.isRevoked({ sessionId: 's', userId: 1, issuedAt: 0 })).toBe(true)
    expect(await b.revocations.isRevoked({ sessionId: 's', userId: 1, issuedAt: 0 })).toBe(false)
    expect(
      await a.keyStore.share(undefined, async () => ({ jwks: plex.keys, fetchedAt: 1, maxAge: 1 })),
    ).toBeUndefined()
    expect(await a.keyStore.load()).toBeUndefined()
    expect(a.available).toBe(false)
    expect(a.events).toContainEqual(expect.objectContaining({ type: 'redis_unavailable' }))
    // No answer is not a wrong answer.
    expect(a.events.some((event) => event.type === 'redis_value_rejected')).toBe(false)

    await redis.restart()
    await vi.waitFor(() => expect(a.available && b.available).toBe(true), { timeout: 5000, interval: 50 })
    await a.cache.set('k2', 'shared', 60)
    expect(await b.cache.get('k2')).toBe('shared')
    expect(a.events).toContainEqual(expect.objectContaining({ type: 'redis_recovered' }))
  })

  test('down from the start: the verifier answers alone, and close() returns', async () => {
    const nowhere = createRedisStore({
      url: `redis://127.0.0.1:${await freePort()}`,
      secret: SECRET,
      timeout: 0.2,
    })
    expect(await nowhere.ready(0.3)).toBe(false)
    plex.resetCounters()
    const verifier = legacyVerifier(nowhere)
    const token = plex.createLegacyToken()
    expect(await code(verifier.verify(token))).toBe('ok')
    expect(await code(verifier.verify(token))).toBe('ok')
    expect(await code(verifier.verify(plex.issueToken()))).toBe('ok')
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
    await nowhere.close()
  })

  // node-redis's connectTimeout (its TCP connection and, for rediss://, the TLS handshake) is the store's
  // timeout but at least 1 s: a command may be given up after 0.25 s, a handshake with a distant Redis needs longer.
  // A server that accepts the connection and never answers the TLS handshake: until the connect timeout, no
  // connection is given up (none is closed, none made again) and no outage is reported.
  test.each([
    [0.05, 0.3],
    [2, 1.4],
  ])('with timeout %s, a TLS handshake still unanswered after %s s is waited for', async (timeout, wait) => {
    const sockets = new Set<Socket>()
    let accepted = 0
    let closed = 0
    const silent = createServer((socket) => {
      accepted++
      sockets.add(socket)
      // Reads (and drops) the ClientHello, so that the client's giving up is seen.
      socket.resume()
      socket.on('close', () => closed++)
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    onTestFinished(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    })
    const { port } = silent.address() as AddressInfo
    const events: RedisStoreEvent[] = []
    const shared = createRedisStore({
      url: `rediss://127.0.0.1:${port}`,
      secret: SECRET,
      timeout,
      onEvent: (event) => events.push(event),
    })
    onTestFinished(() => shared.close())
    expect(await shared.ready(wait)).toBe(false)
    // The store's two connections (commands, revocations), both still waiting for the handshake.
    expect({ accepted, closed, events }).toEqual({ accepted: 2, closed: 0, events: [] })
  })

  test('ready(timeoutSeconds) gives up after that many seconds, not before', async () => {
    const nowhere = createRedisStore({ url: `redis://127.0.0.1:${await freePort()}`, secret: SECRET })
    onTestFinished(() => nowhere.close())
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    let answer: boolean | undefined
    void nowhere.ready(2).then((ready) => {
      answer = ready
    })
    await vi.advanceTimersByTimeAsync(1_999)
    expect(answer).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    expect(answer).toBe(false)
  })

  test('hung: after one timeout, a flood of requests sends Redis nothing', async () => {
    const shared = await store({ timeout: 0.1 })
    const processed = async () =>
      Number(/total_commands_processed:(\d+)/.exec(String(await redis.command('INFO', 'stats')))?.[1])
    const before = await processed()
    redis.pause()
    onTestFinished(() => redis.resume())
    expect(await shared.cache.get('first')).toBeUndefined()
    const flood = await Promise.all(Array.from({ length: 500 }, (_, i) => shared.cache.get(`key-${i}`)))
    expect(flood.every((value) => value === undefined)).toBe(true)
    expect(shared.events).toEqual([
      { type: 'redis_unavailable', operation: 'cache', reason: 'timeout', retryIn: 1 },
    ])
    redis.resume()
    // The first GET (sent before the timeout tripped), and the INFO commands of this test's own connections.
    expect((await processed()) - before).toBeLessThan(20)
  })

  test('hung with commands in flight: they all time out, and that is one outage, reported once', async () => {
    const shared = await store({ timeout: 0.1 })
    redis.pause()
    onTestFinished(() => redis.resume())
    const inFlight = await Promise.all(Array.from({ length: 50 }, (_, i) => shared.cache.get(`key-${i}`)))
    expect(inFlight.every((value) => value === undefined)).toBe(true)
    expect(shared.events).toEqual([
      { type: 'redis_unavailable', operation: 'cache', reason: 'timeout', retryIn: 1 },
    ])
  })

  test('killed with commands in flight: they are answered from the instance, and the loss is reported once', async () => {
    const shared = await store({ timeout: 10 })
    redis.pause()
    const inFlight = Promise.all(Array.from({ length: 20 }, (_, i) => shared.cache.get(`key-${i}`)))
    await redis.kill()
    onTestFinished(() => redis.restart())
    expect((await inFlight).every((value) => value === undefined)).toBe(true)
    expect(shared.events).toEqual([
      { type: 'redis_unavailable', operation: 'cache', reason: 'error', retryIn: 1 },
    ])
  })

  test('hung past the backoff: one command probes while the others are answered at once; an answer ends the outage', async () => {
    const shared = await store({ timeout: 0.3 })
    // Only Date is faked: the gate's backoff reads it, and its timeouts stay real.
    vi.useFakeTimers({ toFake: ['Date'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    const gets = async () =>
      Number(/cmdstat_get:calls=(\d+)/.exec(String(await redis.command('INFO', 'commandstats')))?.[1] ?? 0)
    const getsBefore = await gets()
    redis.pause()
    onTestFinished(() => redis.resume())
    expect(await shared.cache.get('a')).toBeUndefined()
    expect(shared.available).toBe(false)
    vi.setSystemTime(Date.now() + 1000)
    expect(shared.available).toBe(true)
    let probed = false
    const probe = Promise.resolve(shared.cache.get('b')).then((value) => {
      probed = true
      return value
    })
    expect(shared.available).toBe(false)
    expect(await shared.cache.get('c')).toBeUndefined()
    expect(probed).toBe(false)
    expect(await probe).toBeUndefined()
    redis.resume()
    await redis.command('PING')
    vi.setSystemTime(Date.now() + 2000)
    expect(await shared.cache.get('d')).toBeUndefined()
    expect(shared.available).toBe(true)
    expect(shared.events).toEqual([
      { type: 'redis_unavailable', operation: 'cache', reason: 'timeout', retryIn: 1 },
      { type: 'redis_unavailable', operation: 'cache', reason: 'timeout', retryIn: 2 },
      { type: 'redis_recovered', downFor: 3 },
    ])
    // 'a', the probe 'b' and 'd': 'c' was never sent.
    expect((await gets()) - getsBefore).toBe(3)
  })

  test('past the backoff, a connection that never came up is waited for (up to the timeout); a lost one is not', async () => {
    const never = createRedisStore({
      url: `redis://127.0.0.1:${await freePort()}`,
      secret: SECRET,
      timeout: 0.1,
      onEvent: (event) => neverEvents.push(event),
    })
    const neverEvents: RedisStoreEvent[] = []
    onTestFinished(() => never.close())
    const lost = await store({ timeout: 0.1 })
    await redis.kill()
    onTestFinished(() => redis.restart())
    await vi.waitFor(() => expect(neverEvents.length + lost.events.length).toBe(2))
    vi.useFakeTimers({ toFake: ['Date'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    vi.setSystemTime(Date.now() + 1000)
    // Before the first connection, a command waits in node-redis's queue: the probe times out.
    expect(await never.cache.get('k')).toBeUndefined()
    expect(neverEvents).toEqual([
      { type: 'redis_unavailable', operation: 'cache', reason: 'error', retryIn: 1 },
      { type: 'redis_unavailable', operation: 'cache', reason: 'timeout', retryIn: 2 },
    ])
    // A connection known to be down is not sent anything until it is back.
    expect(await lost.cache.get('k')).toBeUndefined()
    expect(lost.available).toBe(false)
    expect(lost.events).toEqual([
      { type: 'redis_unavailable', operation: 'cache', reason: 'error', retryIn: 1 },
    ])
  })

  test('close() cuts a connection whose reply never comes, and may be called again', async () => {
    const shared = await store({ timeout: 0.1 })
    const connections = await info('clients', 'connected_clients')
    redis.pause()
    onTestFinished(() => redis.resume())
    // Its GET stays in flight: a graceful close would wait for the reply forever.
    expect(await shared.cache.get('hung')).toBeUndefined()
    await Promise.all([shared.close(), shared.close()])
    redis.resume()
    // Both of the store's connections are gone (this count includes the connection that asks).
    await vi.waitFor(async () => expect(await info('clients', 'connected_clients')).toBe(connections - 2))
    await shared.close()
    expect(await shared.ready(0.01)).toBe(false)
  })
})
