import { createMemoryCacheStore, type PlexJwks, type SharedKeySet } from '@plexauth/core'
import type { RedisStoreEvent } from '@plexauth/redis'
import { generateEd25519Key } from '@plexauth/testing'
import { createClient } from '@redis/client'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { type RedisConnection, RedisGate, UNAVAILABLE } from '../src/gate.js'
import { Sealer } from '../src/seal.js'
import { SharedCache } from '../src/shared-cache.js'
import { SharedKeyStore } from '../src/shared-key-store.js'
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

describe('the gate', () => {
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
