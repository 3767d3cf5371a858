import { createHmac, hkdfSync } from 'node:crypto'
import { backoffMs, createMemoryCacheStore, type PlexJwks, type SharedKeySet } from '@plexauth/core'
import type { RedisStoreEvent } from '@plexauth/redis'
import { generateEd25519Key } from '@plexauth/testing'
import { createClient, ErrorReply } from '@redis/client'
import { afterAll, beforeAll, describe, expect, onTestFinished, test, vi } from 'vitest'
import { type RedisConnection, RedisGate, UNAVAILABLE } from '../src/gate.js'
import { Sealer } from '../src/seal.js'
import { SharedBudget } from '../src/shared-budget.js'
import { SharedCache } from '../src/shared-cache.js'
import { SharedKeyStore } from '../src/shared-key-store.js'
import { SharedRevocations } from '../src/shared-revocations.js'
import { type RedisServer, startRedis } from './redis-server.js'

// The shared state's classes on a connection to a real Redis whose commands are recorded, with a hook run
// before a command is sent: what they send, and races that timing alone would rarely produce.
const SECRET = 'the-secret-of-these-tests-32-characters'
const JWKS = { keys: [generateEd25519Key().publicJwk] } as PlexJwks
let redis: RedisServer

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(() => redis?.stop())

let prefixes = 0
/** A gate and sealer (under a prefix of the test's own unless given one); `before(args)` runs before each command is sent. */
async function recorded(
  before: (args: readonly string[]) => Promise<void> = async () => {},
  prefix = `c${++prefixes}:`,
) {
  const client = createClient({ url: redis.url })
  await client.connect()
  onTestFinished(() => client.destroy())
  const sent: string[][] = []
  const connection: RedisConnection = {
    get isReady() {
      return client.isReady
    },
    sendCommand: async (args, options) => {
      sent.push([...args])
      await before(args)
      return client.sendCommand([...args], options)
    },
  }
  const events: RedisStoreEvent[] = []
  const emit = (event: RedisStoreEvent) => events.push(event)
  const sealer = new Sealer([SECRET], prefix)
  return { gate: new RedisGate(connection, 2000, emit), sealer, emit, sent, events, prefix }
}

const isLocking = (args: readonly string[]) => args[0] === 'SET' && args.includes('NX')

/** Freezes `Date` (only: the gate's timeouts stay real) until the test ends; returns the frozen time. */
function freezeDate(): number {
  vi.useFakeTimers({ toFake: ['Date'] })
  onTestFinished(() => {
    vi.useRealTimers()
  })
  return Date.now()
}

const rejected = (events: readonly RedisStoreEvent[], operation: string) =>
  events.filter((event) => event.type === 'redis_value_rejected' && event.operation === operation).length

describe('the shared key set, under its lock', () => {
  test('a set shared by another instance while this one took the lock is used, not fetched again', async () => {
    let otherStore: SharedKeyStore | undefined
    const { gate, sealer, emit, prefix } = await recorded(async (args) => {
      if (isLocking(args)) await otherStore?.save(JWKS)
    })
    const other = await recorded(undefined, prefix)
    otherStore = new SharedKeyStore(other.gate, other.sealer, 10_000, other.emit)
    let fetches = 0
    const set = await new SharedKeyStore(gate, sealer, 10_000, emit).share(undefined, async () => {
      fetches++
      return { jwks: JWKS, fetchedAt: Date.now(), maxAge: 600 }
    })
    expect(fetches).toBe(0)
    expect(set?.jwks).toEqual(JWKS)
    expect(await redis.command('GET', `${prefix}keys:lock`)).toBeNull()
  })

  test('a failure recorded by another instance while this one took the lock: it fails too, and frees the lock', async () => {
    const { gate, sealer, emit, prefix } = await recorded(async (args) => {
      if (isLocking(args)) await redis.command('SET', `${prefix}keys:failed`, '1', 'PX', '60000')
    })
    let fetches = 0
    const shared = new SharedKeyStore(gate, sealer, 10_000, emit).share(undefined, async () => {
      fetches++
      return { jwks: JWKS, fetchedAt: Date.now(), maxAge: 600 }
    })
    await expect(shared).rejects.toThrow('another instance failed to fetch the key set')
    expect(fetches).toBe(0)
    expect(await redis.command('GET', `${prefix}keys:lock`)).toBeNull()
  })

  test('Redis lost once the lock is taken: the instance fetches alone and hands the set out', async () => {
    let mgets = 0
    const { gate, sealer, emit, events } = await recorded(async (args) => {
      if (args[0] === 'MGET' && ++mgets === 2) throw new Error('socket closed')
    })
    let fetches = 0
    const set = await new SharedKeyStore(gate, sealer, 10_000, emit).share(undefined, async () => {
      fetches++
      return { jwks: JWKS, fetchedAt: Date.now(), maxAge: 600 }
    })
    expect([set?.jwks, fetches]).toEqual([JWKS, 1])
    expect(events).toEqual([{ type: 'redis_unavailable', operation: 'keys', reason: 'error', retryIn: 1 }])
  })

  test('a lock held by an instance that died: the others wait at most keyLockTimeout, then fetch alone', async () => {
    const { gate, sealer, emit, prefix, sent } = await recorded()
    await redis.command('SET', `${prefix}keys:lock`, 'a-dead-instance', 'PX', '60000')
    let fetches = 0
    const set = await new SharedKeyStore(gate, sealer, 100, emit).share(undefined, async () => {
      fetches++
      return { jwks: JWKS, fetchedAt: Date.now(), maxAge: 600 }
    })
    // `undefined`: core fetches alone; the key store itself never fetched.
    expect([set, fetches]).toEqual([undefined, 0])
    expect(sent.filter(isLocking).length).toBeGreaterThanOrEqual(1)
    // It looks every 20 ms, not in a busy loop: at most 100 / 20 + 1 tries (a margin for early timers).
    expect(sent.filter(isLocking).length).toBeLessThanOrEqual(10)
  })

  test('a failure recorded by the fleet: share fails at once, without taking the lock', async () => {
    const { gate, sealer, emit, prefix, sent } = await recorded()
    await redis.command('SET', `${prefix}keys:failed`, '1', 'PX', '60000')
    let fetches = 0
    const shared = new SharedKeyStore(gate, sealer, 10_000, emit).share(undefined, async () => {
      fetches++
      return { jwks: JWKS, fetchedAt: Date.now(), maxAge: 600 }
    })
    await expect(shared).rejects.toThrow('another instance failed to fetch the key set')
    expect([fetches, sent.filter(isLocking).length]).toEqual([0, 0])
  })

  test('a lock Redis refuses with an error reply is asked for once, then core fetches alone', async () => {
    const { gate, sealer, emit, sent, events } = await recorded(async (args) => {
      if (isLocking(args)) throw new ErrorReply('NOPERM this user has no permissions to run the set command')
    })
    let fetches = 0
    const set = await new SharedKeyStore(gate, sealer, 500, emit).share(undefined, async () => {
      fetches++
      return { jwks: JWKS, fetchedAt: Date.now(), maxAge: 600 }
    })
    expect([set, fetches, sent.filter(isLocking).length]).toEqual([undefined, 0, 1])
    expect(events).toEqual([])
  })

  test("a failed fetch is remembered by the fleet for core's first backoff step", async () => {
    const { gate, sealer, emit, prefix, sent } = await recorded()
    const shared = new SharedKeyStore(gate, sealer, 10_000, emit).share(undefined, async () => {
      throw new Error('plex.tv is down')
    })
    await expect(shared).rejects.toThrow('plex.tv is down')
    expect(sent).toContainEqual(['SET', `${prefix}keys:failed`, '1', 'PX', String(backoffMs(1))])
  })

  test('a fetch that outlived its lock does not free the lock another instance took since', async () => {
    const { gate, sealer, emit, prefix } = await recorded(async (args) => {
      // Our lock expired during the fetch and another instance took it.
      if (args[0] === 'EVAL')
        await redis.command('SET', `${prefix}keys:lock`, 'another-instance', 'PX', '60000')
    })
    const set = await new SharedKeyStore(gate, sealer, 10_000, emit).share(undefined, async () => ({
      jwks: JWKS,
      fetchedAt: Date.now(),
      maxAge: 600,
    }))
    expect(set?.jwks).toEqual(JWKS)
    expect(await redis.command('GET', `${prefix}keys:lock`)).toBe('another-instance')
  })

  test("a set is kept twice its maxAge, at most maxAge + 1 day; save() keeps it as core's default maxAge", async () => {
    const { gate, sealer, emit, prefix, sent } = await recorded()
    const now = freezeDate()
    const keyStore = new SharedKeyStore(gate, sealer, 10_000, emit)
    const expiryOf = async () =>
      sealer.open(`${prefix}keys`, await redis.command('GET', `${prefix}keys`), now)?.expiresAt
    await keyStore.share(undefined, async () => ({ jwks: JWKS, fetchedAt: now, maxAge: 600 }))
    expect(await expiryOf()).toBe(now + 2 * 600_000)
    const written = sent.filter((args) => args[0] === 'SET' && args[1] === `${prefix}keys`)
    expect(written.map((args) => args.slice(3))).toEqual([['PX', String(2 * 600_000)]])
    const day = 86_400_000
    await keyStore.share(now, async () => ({ jwks: JWKS, fetchedAt: now + 1, maxAge: 200_000 }))
    expect(await expiryOf()).toBe(now + 1 + 200_000_000 + day)
    await keyStore.save(JWKS)
    const saved = sealer.open(`${prefix}keys`, await redis.command('GET', `${prefix}keys`), now)
    expect(saved?.value).toEqual({ jwks: JWKS, fetchedAt: now, maxAge: 600 })
    expect(saved?.expiresAt).toBe(now + 2 * 600_000)
  })

  test.each([
    ['a set without jwks', { jwks: null, fetchedAt: 1, maxAge: 600 }],
    ['a set without a fetch time', { jwks: {}, fetchedAt: 'yesterday', maxAge: 600 }],
    ['a set with no maxAge', { jwks: {}, fetchedAt: 1, maxAge: 0 }],
    ['not a set', 'keys'],
  ])('%s, though sealed under the secret, is refused and reported', async (_, value) => {
    const { gate, sealer, emit, prefix, events } = await recorded()
    const key = `${prefix}keys`
    await redis.command('SET', key, sealer.seal(key, value, Date.now() + 60_000), 'PX', '60000')
    expect(await new SharedKeyStore(gate, sealer, 10_000, emit).load()).toBeUndefined()
    expect(events).toEqual([{ type: 'redis_value_rejected', operation: 'keys' }])
  })

  test('a set that has already expired when fetched is handed back but not written', async () => {
    const { gate, sealer, emit, prefix, sent } = await recorded()
    const expired: SharedKeySet = {
      jwks: JWKS,
      fetchedAt: Date.now() - 3_600_000,
      maxAge: 60,
    }
    expect(await new SharedKeyStore(gate, sealer, 10_000, emit).share(undefined, async () => expired)).toBe(
      expired,
    )
    expect(sent.filter((args) => args[0] === 'SET' && args[1] === `${prefix}keys`)).toEqual([])
    expect(await redis.command('GET', `${prefix}keys:lock`)).toBeNull()
  })
})

describe('the shared cache', () => {
  test('a value kept for no time is kept in process only: nothing is sent to Redis', async () => {
    const { gate, sealer, emit, sent } = await recorded()
    const cache = new SharedCache(gate, sealer, createMemoryCacheStore({ maxEntries: 10 }), emit)
    for (const ttl of [0, -1, Number.NaN]) expect(cache.set('k', 'v', ttl)).toBeUndefined()
    expect(sent).toEqual([])
  })
})

describe('the shared cache: what it reads back', () => {
  test('is kept in process for the rest of its lifetime (no second round trip), and no longer', async () => {
    const writer = await recorded()
    const { gate, sealer, emit, sent, events } = await recorded(undefined, writer.prefix)
    const now = freezeDate()
    const local = () => createMemoryCacheStore({ maxEntries: 10 })
    await new SharedCache(writer.gate, writer.sealer, local(), writer.emit).set('k', 'v', 60)
    expect(writer.sent.map((args) => [args[0], ...args.slice(3)])).toEqual([['SET', 'PX', '60000']])
    expect(sealer.open(writer.sent[0]![1]!, writer.sent[0]![2], now)?.expiresAt).toBe(now + 60_000)
    const reader = new SharedCache(gate, sealer, local(), emit)
    expect(await reader.get('k')).toBe('v')
    expect(await reader.get('k')).toBe('v')
    expect(sent.filter((args) => args[0] === 'GET')).toHaveLength(1)
    vi.setSystemTime(now + 59_999)
    expect(await reader.get('k')).toBe('v')
    expect(sent.filter((args) => args[0] === 'GET')).toHaveLength(1)
    // Expired in process; Redis (on its own clock) still holds it, but its sealed expiry has passed.
    vi.setSystemTime(now + 60_000)
    expect(await reader.get('k')).toBeUndefined()
    expect(sent.filter((args) => args[0] === 'GET')).toHaveLength(2)
    expect(rejected(events, 'cache')).toBe(1)
  })
})

describe('the sealer', () => {
  const sealer = new Sealer([SECRET], 'p:')

  test('a value opens until its expiry, not at it', () => {
    const sealed = sealer.seal('p:k', { a: 1 }, 1_000)
    expect(sealer.open('p:k', sealed, 999)).toEqual({ value: { a: 1 }, expiresAt: 1_000 })
    expect(sealer.open('p:k', sealed, 1_000)).toBeUndefined()
  })

  test('a value of 8 MiB opens; one of a character more is refused', () => {
    const max = 8 * 1024 * 1024
    const padding = max - sealer.seal('p:k', '', 1_000).length
    const largest = sealer.seal('p:k', 'x'.repeat(padding), 1_000)
    expect(largest.length).toBe(max)
    expect(sealer.open('p:k', largest, 0)?.value).toBe('x'.repeat(padding))
    expect(sealer.open('p:k', sealer.seal('p:k', 'x'.repeat(padding + 1), 1_000), 0)).toBeUndefined()
  })

  test("a genuine MAC and JSON without the '.' between them is refused", () => {
    const sealed = sealer.seal('p:k', 'v', 1_000)
    expect(sealed[43]).toBe('.')
    expect(sealer.open('p:k', `${sealed.slice(0, 43)}~${sealed.slice(44)}`, 0)).toBeUndefined()
  })

  // A known answer: what an instance wrote must open on every later version during a rolling deploy, so the
  // construction is pinned here, computed with node:crypto alone. HKDF-SHA256 of the secret, salt
  // 'plexauth/redis', info 'key names v1' (key names) and 'value mac v1' (values), 32 bytes; a key name is the
  // prefix, the kind and the base64url HMAC-SHA256 of the name; a value is the base64url HMAC-SHA256 of
  // "<redis key>\n<json>", a '.', and the JSON {"x": expiry in ms, "v": value}.
  test('a value sealed by the documented construction opens, and seal and the key name match it exactly', async () => {
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', SECRET, 'plexauth/redis', info, 32))
    const nameKey = derive('key names v1')
    const macKey = derive('value mac v1')
    expect(nameKey.toString('hex')).toBe('a72c9b611d54f07764a0ee9f0cdb34e59180ef9b36b47ea79ce47626874bdb42')
    expect(macKey.toString('hex')).toBe('d830ba5e63b30412ff041dd274af75ed9b00b018da5d8e24c5bb5861560974ed')
    const key = `kat:cache:${createHmac('sha256', nameKey).update('k', 'utf8').digest('base64url')}`
    const json = '{"x":4102444800000,"v":{"a":1}}'
    const mac = createHmac('sha256', macKey).update(`${key}\n${json}`, 'utf8').digest('base64url')
    const stored = `${mac}.${json}`
    expect(key).toBe('kat:cache:OsRUhlqhjgSSGO-7eKjUA_v5Ickk21ap8sdLL1k-peQ')
    expect(stored).toBe('p-DZ9YV4OkjFNKMqrOfkZj8iSrZJqxGLw7F_TuwZXz4.{"x":4102444800000,"v":{"a":1}}')

    const katSealer = new Sealer([SECRET], 'kat:')
    expect(katSealer.hashed('cache', 'k')).toBe(key)
    expect(katSealer.seal(key, { a: 1 }, 4102444800000)).toBe(stored)
    expect(katSealer.open(key, stored, 0)).toEqual({ value: { a: 1 }, expiresAt: 4102444800000 })
    // After a rotation, the older secret (second in the list) still opens it.
    expect(
      new Sealer(['a-newer-secret-of-at-least-32-characters', SECRET], 'kat:').open(key, stored, 0),
    ).toEqual({
      value: { a: 1 },
      expiresAt: 4102444800000,
    })
    // Written to Redis by an older instance, read by this one's cache.
    const { gate, sealer, emit, events } = await recorded(undefined, 'kat:')
    await redis.command('SET', key, stored, 'PX', '60000')
    const cache = new SharedCache(gate, sealer, createMemoryCacheStore({ maxEntries: 10 }), emit)
    expect(await cache.get('k')).toEqual({ a: 1 })
    expect(rejected(events, 'cache')).toBe(0)
  })
})

describe('the fleet budget, in Redis', () => {
  test('a bucket idle for long holds at most its burst', async () => {
    const { gate, prefix } = await recorded()
    const key = `${prefix}budget:pins`
    await redis.command('HSET', key, 'tokens', '3', 'last', '0')
    const budget = new SharedBudget(gate, key, 0.01, 3)
    const waits = [await budget.take(), await budget.take(), await budget.take(), await budget.take()]
    expect(waits.slice(0, 3)).toEqual([0, 0, 0])
    // The wait is the time one unit takes at 0.01 a second (100 s), less the few milliseconds since.
    expect(waits[3]).toBeGreaterThan(90_000)
    expect(waits[3]).toBeLessThanOrEqual(100_000)
  })

  test("a bucket last touched in the future (another clock's time) is not drained", async () => {
    const { gate, prefix } = await recorded()
    const key = `${prefix}budget:pins`
    await redis.command('HSET', key, 'tokens', '2', 'last', String(Date.now() + 86_400_000))
    expect(await new SharedBudget(gate, key, 1, 2).take()).toBe(0)
  })

  test('a bucket is kept for the time it takes to refill, and a second more', async () => {
    const { gate, prefix } = await recorded()
    const key = `${prefix}budget:pins`
    expect(await new SharedBudget(gate, key, 1, 50).take()).toBe(0)
    const ttl = Number(await redis.command('PTTL', key))
    expect(ttl).toBeGreaterThan(45_000)
    expect(ttl).toBeLessThanOrEqual(51_000)
  })
})

describe('shared revocations', () => {
  test('a revocation and the index are kept for the lifetime given, not longer; the index drops what expired', async () => {
    const { gate, sealer, emit, prefix, sent } = await recorded()
    const index = `${prefix}revocations:index`
    await redis.command('ZADD', index, '1', 'long-expired')
    const now = freezeDate()
    const revocations = new SharedRevocations(gate, sealer, emit)
    await revocations.revoke('long', 600)
    await revocations.revoke('short', 1)
    const [key, , value, ttl, expiresAt] = sent[0]!.slice(3)
    expect([ttl, expiresAt]).toEqual(['600000', String(now + 600_000)])
    expect(sealer.open(key!, value, now)).toEqual({ value: 1, expiresAt: now + 600_000 })
    expect(Number(await redis.command('PTTL', key!))).toBeLessThanOrEqual(600_000)
    // The index lives as long as its longest entry.
    expect(await redis.command('PEXPIRETIME', index)).toBe(now + 600_000)
    expect(await redis.command('ZSCORE', index, 'long-expired')).toBeNull()
  })

  test('an instance catching up skips the index entries that have expired', async () => {
    const { gate, sealer, emit, prefix } = await recorded()
    const now = freezeDate()
    vi.setSystemTime(now - 3_600_000)
    const revoking = new SharedRevocations(gate, sealer, emit)
    await revoking.revoke('for-two-hours', 7_200)
    await revoking.revoke('for-a-minute', 60)
    vi.setSystemTime(now)
    const events: RedisStoreEvent[] = []
    const late = new SharedRevocations(gate, sealer, (event) => events.push(event))
    await late.catchUp()
    expect(await redis.command('ZCARD', `${prefix}revocations:index`)).toBe(2)
    expect(late.isKnownRevoked({ sessionId: 'for-two-hours', userId: 1, issuedAt: 0 })).toBe(true)
    expect(events).toEqual([])
  })

  test('notices sealed under the secret but malformed are refused, one report each', async () => {
    const { gate, sealer, prefix, events, emit } = await recorded()
    const channel = `${prefix}revocations`
    const key = sealer.hashed('revoked-session', 's')
    const malformed = [
      { kind: 'device', key, value: 1 },
      { kind: 'session', key: 7, value: 1 },
      { kind: 'session', key, value: '1' },
      { kind: 'session', key, value: Number.NaN },
    ]
    const expiresAt = Date.now() + 60_000
    for (const [i, notice] of malformed.entries()) {
      await redis.command(
        'ZADD',
        `${prefix}revocations:index`,
        String(expiresAt + i),
        sealer.seal(channel, notice, expiresAt),
      )
    }
    const revocations = new SharedRevocations(gate, sealer, emit)
    await revocations.catchUp()
    expect(events).toEqual(malformed.map(() => ({ type: 'redis_value_rejected', operation: 'revocation' })))
    expect(revocations.isKnownRevoked({ sessionId: 's', userId: 1, issuedAt: 0 })).toBe(false)
  })

  test('what isRevoked finds in Redis is remembered; a user revocation ends sessions issued strictly before it', async () => {
    const writer = await recorded()
    const { gate, sealer, emit } = await recorded(undefined, writer.prefix)
    const revoking = new SharedRevocations(writer.gate, writer.sealer, writer.emit)
    await revoking.revokeUser(7, 60, 1_000)
    await revoking.revoke('s', 60)
    // It heard of neither: it finds them in Redis.
    const reader = new SharedRevocations(gate, sealer, emit)
    const user7 = (issuedAt: number, sessionId = 'x') => ({ sessionId, userId: 7, issuedAt })
    expect(await reader.isRevoked(user7(1_000))).toBe(false)
    expect(reader.isKnownRevoked(user7(1_000))).toBe(false)
    expect(await reader.isRevoked(user7(999.5))).toBe(true)
    expect(reader.isKnownRevoked(user7(999.5))).toBe(true)
    const session = { sessionId: 's', userId: 8, issuedAt: 2_000 }
    expect(reader.isKnownRevoked(session)).toBe(false)
    expect(await reader.isRevoked(session)).toBe(true)
    expect(reader.isKnownRevoked(session)).toBe(true)
    // A session id that is also a revoked user's id names another key.
    expect(await reader.isRevoked({ sessionId: '7', userId: 8, issuedAt: 0 })).toBe(false)
    expect(await reader.isRevoked({ sessionId: 'y', userId: 's', issuedAt: 0 })).toBe(false)
  })
})

describe('the gate', () => {
  test('a command unanswered is abandoned at the timeout, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    const events: RedisStoreEvent[] = []
    const connection: RedisConnection = { isReady: true, sendCommand: () => new Promise(() => {}) }
    const gate = new RedisGate(connection, 250, (event) => events.push(event))
    let reply: unknown = 'pending'
    void gate.send('cache', ['GET', 'k']).then((answer) => {
      reply = answer
    })
    await vi.advanceTimersByTimeAsync(249)
    expect(reply).toBe('pending')
    await vi.advanceTimersByTimeAsync(1)
    expect(reply).toBe(UNAVAILABLE)
    expect(events).toEqual([{ type: 'redis_unavailable', operation: 'cache', reason: 'timeout', retryIn: 1 }])
  })

  test('the connection back ends the backoff at once; the next outage backs off from 1 s again', async () => {
    const now = freezeDate()
    const events: RedisStoreEvent[] = []
    const connection: RedisConnection = {
      isReady: true,
      sendCommand: () => Promise.reject(new Error('socket closed')),
    }
    const gate = new RedisGate(connection, 1000, (event) => events.push(event))
    expect(await gate.send('keys', ['GET', 'k'])).toBe(UNAVAILABLE)
    vi.setSystemTime(now + 1_400)
    expect(await gate.send('keys', ['GET', 'k'])).toBe(UNAVAILABLE)
    expect(gate.available).toBe(false)
    vi.setSystemTime(now + 2_000)
    gate.connected()
    expect(gate.available).toBe(true)
    expect(await gate.send('cache', ['GET', 'k'])).toBe(UNAVAILABLE)
    expect(events).toEqual([
      { type: 'redis_unavailable', operation: 'keys', reason: 'error', retryIn: 1 },
      { type: 'redis_unavailable', operation: 'keys', reason: 'error', retryIn: 2 },
      { type: 'redis_recovered', downFor: 2 },
      { type: 'redis_unavailable', operation: 'cache', reason: 'error', retryIn: 1 },
    ])
  })

  test('an error reply to a probe ends the outage: Redis answers', async () => {
    const now = freezeDate()
    const events: RedisStoreEvent[] = []
    const failures = [new Error('socket closed'), new ErrorReply('WRONGTYPE Operation against a key')]
    const connection: RedisConnection = { isReady: true, sendCommand: () => Promise.reject(failures.shift()) }
    const gate = new RedisGate(connection, 1000, (event) => events.push(event))
    expect(await gate.send('cache', ['GET', 'k'])).toBe(UNAVAILABLE)
    vi.setSystemTime(now + 1_400)
    expect(await gate.send('cache', ['GET', 'k'])).toBe(UNAVAILABLE)
    expect(gate.available).toBe(true)
    expect(events).toEqual([
      { type: 'redis_unavailable', operation: 'cache', reason: 'error', retryIn: 1 },
      { type: 'redis_recovered', downFor: 1 },
    ])
  })

  test('a failure that is neither a timeout nor an error reply is reported as an error', async () => {
    const events: RedisStoreEvent[] = []
    const connection: RedisConnection = {
      isReady: true,
      sendCommand: () => Promise.reject(new Error('socket closed')),
    }
    const gate = new RedisGate(connection, 1000, (event) => events.push(event))
    expect(await gate.send('budget', ['PING'])).toBe(UNAVAILABLE)
    expect(events).toEqual([{ type: 'redis_unavailable', operation: 'budget', reason: 'error', retryIn: 1 }])
    expect(gate.available).toBe(false)
  })
})
