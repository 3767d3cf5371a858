import { setTimeout as sleep } from 'node:timers/promises'
import type { PlexJwks, SharedKeySet } from '@plexauth/core'
import { createRedisStore, type RedisStore, type RedisStoreEvent } from '@plexauth/redis'
import { generateEd25519Key } from '@plexauth/testing'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import {
  bulk,
  type FakeCommand,
  type FakeHandler,
  type FakeRedis,
  push,
  startFakeRedis,
  wellBehaved,
} from './fake-redis.js'

// A Redis endpoint that misbehaves at the protocol level (garbage, wrong reply types, huge or half replies,
// replies that never come, a subscription gone wrong): every operation still settles, answers from the
// instance (or counts the value as absent), reports only the documented events, and nothing escapes.
const SECRET = 'a-test-secret-of-at-least-32-characters!'
const JWKS = { keys: [generateEd25519Key().publicJwk] } as PlexJwks
/** Only to detect a hang: far above anything the store's 0.05 s timeout allows. */
const HANG_MS = 2000
const HUNG = Symbol('hung')

const escaped: unknown[] = []
const onEscaped = (reason: unknown) => escaped.push(reason)
beforeAll(() => {
  process.on('unhandledRejection', onEscaped)
  process.on('uncaughtException', onEscaped)
})
afterAll(() => {
  process.off('unhandledRejection', onEscaped)
  process.off('uncaughtException', onEscaped)
  expect(escaped).toEqual([])
})

/** What `promise` settled to (a rejection as `{ rejected }`), or `HUNG`. */
async function settled<T>(promise: Promise<T> | T): Promise<T | { rejected: unknown } | typeof HUNG> {
  return Promise.race([
    Promise.resolve(promise).catch((rejected: unknown) => ({ rejected })),
    sleep(HANG_MS, HUNG, { ref: false }),
  ])
}

const name = (command: FakeCommand) => command.args[0]?.toUpperCase() ?? ''

/** A Redis that answers plexauth's commands as an empty Redis would. */
function healthy(command: FakeCommand): string | undefined {
  switch (name(command)) {
    case 'GET':
      return '_\r\n'
    case 'MGET':
      return `*${command.args.length - 1}\r\n${'_\r\n'.repeat(command.args.length - 1)}`
    case 'SET':
      return '+OK\r\n'
    case 'EVAL':
      return ':0\r\n'
    default:
      return wellBehaved(command)
  }
}

const DATA = new Set(['GET', 'SET', 'MGET', 'EVAL', 'ZRANGE'])
/** Connects and subscribes as Redis would, then answers every command that reads or writes data with `reply`. */
function answering(reply: FakeHandler | string | undefined): FakeHandler {
  return (command) => {
    if (!DATA.has(name(command))) return wellBehaved(command)
    return typeof reply === 'function' ? reply(command) : reply
  }
}

async function fakeStore(
  handler: FakeHandler,
  finished: typeof onTestFinished = onTestFinished,
): Promise<{ fake: FakeRedis; store: RedisStore; events: RedisStoreEvent[] }> {
  const fake = await startFakeRedis(handler)
  const events: RedisStoreEvent[] = []
  const store = createRedisStore({
    url: fake.url,
    secret: SECRET,
    timeout: 0.05,
    keyLockTimeout: 0.1,
    onEvent: (event) => events.push(event),
  })
  finished(async () => {
    await store.close()
    await fake.close()
  })
  return { fake, store, events }
}

const TEN_MB = bulk('x'.repeat(10 * 1024 * 1024))

describe('every operation settles, whatever the endpoint answers', () => {
  const misbehaviours: [string, FakeHandler][] = [
    ['garbage bytes', answering('\x00\xff garbage\r\n')],
    ['an integer', answering(':42\r\n')],
    ['an array of arrays', answering('*1\r\n*0\r\n')],
    ['a map', answering(`%1\r\n${bulk('a')}${bulk('b')}`)],
    ['an error reply', answering('-ERR wrong\r\n')],
    ['-NOAUTH', answering('-NOAUTH Authentication required.\r\n')],
    ['-READONLY', answering("-READONLY You can't write against a read only replica.\r\n")],
    ['-LOADING', answering('-LOADING Redis is loading the dataset in memory\r\n')],
    ['a bulk string declared 512 MB, 3 bytes of it sent', answering('$536870912\r\nabc')],
    ['a real 10 MB bulk string', answering(TEN_MB)],
    ['half a reply, then nothing', answering('$10\r\nabc')],
    [
      'half a reply, then the connection closed',
      answering((command) => {
        command.socket.end('$10\r\nabc')
        return undefined
      }),
    ],
    ['no reply at all', answering(undefined)],
    ['one reply too many', answering('_\r\n:5\r\n+OK\r\n')],
    ['an error reply to everything, the handshake too', () => '-ERR wrong\r\n'],
    ['-LOADING to everything, the handshake too', () => '-LOADING Redis is loading\r\n'],
    ['no reply to the handshake', () => undefined],
    ['garbage for the handshake', (command) => (name(command) === 'HELLO' ? '!!\r\n' : healthy(command))],
  ]

  test.concurrent.for(misbehaviours)('%s', async ([, handler], { expect, onTestFinished }) => {
    const { store, events } = await fakeStore(handler, onTestFinished)
    const rssBefore = process.memoryUsage().rss
    expect(typeof (await settled(store.ready(0.1)))).toBe('boolean')
    expect(await settled(store.cache.get('k'))).toBeUndefined()
    expect(await settled(store.cache.set('k2', 'v', 60))).toBeUndefined()
    expect(await settled(store.cache.get('k2'))).toBe('v')
    expect(await settled(store.legacyLookupBudget.take())).toSatisfy(
      (taken) => taken === undefined || typeof taken === 'number',
    )
    const fetchKeys = async (): Promise<SharedKeySet> => ({ jwks: JWKS, fetchedAt: Date.now(), maxAge: 60 })
    // `undefined`: core fetches alone, as it does when Redis is down; never a failure made up of garbage.
    expect(await settled(store.keyStore.share(undefined, fetchKeys))).toBeUndefined()
    expect(await settled(store.keyStore.load())).toBeUndefined()
    expect(await settled(store.keyStore.save(JWKS))).toBeUndefined()
    expect(typeof (await settled(store.revocations.revoke('s', 60)))).toBe('boolean')
    const session = { sessionId: 's', userId: 1, issuedAt: 0 }
    expect(await settled(store.revocations.isRevoked(session))).toBe(true)
    expect(await settled(store.revocations.isRevoked({ ...session, sessionId: 'other' }))).toBe(false)
    expect(store.revocations.isKnownRevoked?.(session)).toBe(true)
    expect(await settled(store.close())).toBeUndefined()
    // A declared length is not allocated up front; a real 10 MB value is dropped.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024)
    const documented = ['redis_unavailable', 'redis_recovered', 'redis_value_rejected']
    expect(events.filter((event) => !documented.includes(event.type))).toEqual([])
  })
})

describe('a shared key set read back in a shape plexauth never writes', () => {
  // Only the string plexauth writes says that another instance's fetch failed: an MGET reply too short, or
  // with another type in its place, is garbage, and core must fetch (rather than back off as if the fleet had failed).
  test.each([
    ['an empty array', '*0\r\n'],
    ['one element', '*1\r\n_\r\n'],
    ['an integer for the failure marker', '*2\r\n_\r\n:1\r\n'],
    ['an array for the failure marker', '*2\r\n_\r\n*0\r\n'],
  ])('MGET answered with %s: share does not fail, and the fetch is shared', async (_, reply) => {
    const { store } = await fakeStore((command) => (name(command) === 'MGET' ? reply : healthy(command)))
    expect(await store.ready(1)).toBe(true)
    let fetches = 0
    const set = await store.keyStore.share(undefined, async () => {
      fetches++
      return { jwks: JWKS, fetchedAt: Date.now(), maxAge: 60 }
    })
    expect([set?.jwks, fetches]).toEqual([JWKS, 1])
  })
})

describe('the revocation channel misbehaving', () => {
  test('SUBSCRIBE refused (-NOPERM): ready() is false, and every operation still answers', async () => {
    const { store, events } = await fakeStore((command) =>
      name(command) === 'SUBSCRIBE'
        ? "-NOPERM User has no permissions to access the 'plexauth:revocations' channel\r\n"
        : healthy(command),
    )
    // Not listening: revocations made on the other instances are not heard of as they are made.
    expect(await store.ready(1)).toBe(false)
    expect(await store.cache.get('k')).toBeUndefined()
    expect(await store.revocations.revoke('s', 60)).toBe(true)
    expect(store.available).toBe(true)
    expect(events).toEqual([])
  })

  test('SUBSCRIBE never confirmed: ready() gives up, operations answer, close() returns', async () => {
    const { store, fake } = await fakeStore((command) =>
      name(command) === 'SUBSCRIBE' ? undefined : healthy(command),
    )
    expect(await store.ready(0.1)).toBe(false)
    expect(await store.revocations.revoke('s', 60)).toBe(true)
    expect(await settled(store.close())).toBeUndefined()
    expect(fake.commands.some((command) => name(command) === 'SUBSCRIBE')).toBe(true)
  })

  test('garbage, malformed and huge messages are refused one by one; the instance keeps listening', async () => {
    const { store, events } = await fakeStore((command) => {
      if (name(command) !== 'SUBSCRIBE') return healthy(command)
      const channel = command.args[1] ?? ''
      command.write(`>3\r\n${bulk('subscribe')}${bulk(channel)}:1\r\n`)
      command.write(push('message', channel, 'not sealed'))
      command.write(`>3\r\n${bulk('message')}${bulk(channel)}:5\r\n`)
      command.write(`>3\r\n${bulk('message')}${bulk(channel)}*1\r\n:1\r\n`)
      command.write(`>3\r\n${bulk('message')}${bulk(channel)}_\r\n`)
      command.write(`>2\r\n${bulk('message')}${bulk(channel)}`)
      command.write(`>1\r\n${bulk('message')}`)
      command.write('>3\r\n:1\r\n:2\r\n:3\r\n')
      command.write(`>3\r\n${bulk('message')}${bulk(channel)}${TEN_MB}`)
      command.write('!! garbage\r\n')
      return undefined
    })
    expect(await store.ready(1)).toBe(true)
    await sleep(50)
    expect(store.revocations.isKnownRevoked?.({ sessionId: 's', userId: 1, issuedAt: 0 })).toBe(false)
    expect(events.every((event) => event.type === 'redis_value_rejected')).toBe(true)
    expect(events.length).toBeGreaterThan(0)
  })
})
