import { setTimeout as sleep } from 'node:timers/promises'
import {
  type CacheStore,
  createMemoryCacheStore,
  type RateBudget,
  type SessionRevocationStore,
  type SharingKeyStore,
} from '@plexauth/core'
import {
  checkKeys,
  count,
  durationMs,
  fail,
  func,
  number,
  optionNames,
  parseUrl,
  safeEmitter,
  secretList,
} from '@plexauth/core/plex-tv'
import { createClient } from '@redis/client'
import type { RedisStoreEvent } from './events.js'
import { type RedisConnection, RedisGate } from './gate.js'
import { Sealer } from './seal.js'
import { SharedBudget } from './shared-budget.js'
import { SharedCache } from './shared-cache.js'
import { SharedKeyStore } from './shared-key-store.js'
import { SharedRevocations } from './shared-revocations.js'

/**
 * Options of `createRedisStore`. Durations are in seconds; only `url` and `secret` are required.
 *
 * @example
 * ```ts
 * const options: RedisStoreOptions = {
 *   url: process.env.REDIS_URL!,            // redis://[[user]:password@]host[:port][/db], or rediss:// for TLS
 *   secret: process.env.PLEXAUTH_SECRET!,   // the app's secret: at least 32 characters (or a list, newest first)
 *   prefix: 'my-app:plexauth:',
 *   onEvent: (event) => console.info(event),
 * }
 * ```
 */
export interface RedisStoreOptions {
  /** Where Redis listens: `redis://…` or `rediss://…` (TLS). */
  url: string
  /**
   * The app's secret (at least 32 characters), or a list of them: the first seals and names what is written,
   * every one opens what is read (so a rotation keeps working; names change, so the cache starts cold).
   */
  secret: string | readonly string[]
  /**
   * Put before every key, so that several apps (or environments) can share one Redis. Default `'plexauth:'`.
   * @default 'plexauth:'
   */
  prefix?: string
  /**
   * After this long without an answer, Redis counts as down and the instance answers alone. Default 0.25.
   * @default 0.25
   */
  timeout?: number
  /**
   * Entries of the in-process cache in front of Redis (and behind it during an outage). Default 10000.
   * @default 10000
   */
  localCacheSize?: number
  /**
   * Longest wait for another instance's key fetch before fetching alone; also the lock's lifetime. Default 10.
   * @default 10
   */
  keyLockTimeout?: number
  /**
   * The fleet's budget of legacy-token lookups at plex.tv per second (`legacyLookupBudget`). Default 10.
   * @default 10
   */
  legacyLookupsPerSecond?: number
  /** Receives `RedisStoreEvent`s. Must not throw (errors it throws are ignored). */
  onEvent?: (event: RedisStoreEvent) => void
}

/**
 * Options of `RedisStore.budget`: `perSecond` units a second for the whole fleet, at most `burst` saved up.
 *
 * @example
 * ```ts
 * const shared = createRedisStore({ url: 'redis://127.0.0.1:6379', secret: process.env.PLEXAUTH_SECRET! })
 * const options: SharedBudgetOptions = { perSecond: 2, burst: 10 }
 * const pinBudget = shared.budget('pins', options)
 * ```
 */
export interface SharedBudgetOptions {
  /** Units a second, for every instance together. */
  perSecond: number
  /**
   * Most units saved up. Default `max(1, perSecond)`.
   * @default max(1, perSecond)
   */
  burst?: number
}

/**
 * What `createRedisStore` builds: plexauth's state, shared by every instance that uses the same Redis, prefix
 * and secret.
 *
 * @example
 * ```ts
 * import { plexAuth, requireServerAccess } from '@plexauth/express'
 * import { createRedisStore, type RedisStore } from '@plexauth/redis'
 * import express from 'express'
 *
 * const shared: RedisStore = createRedisStore({ url: process.env.REDIS_URL!, secret: process.env.PLEXAUTH_SECRET! })
 * const app = express()
 * app.use(plexAuth({ clientIdentifier: 'my-app', legacyTokens: true, ...shared.verifierOptions }))
 * app.get('/requests', requireServerAccess({ machineIdentifier: 'abc123', ownerId: 123456, cache: shared.cache }), (req, res) => {
 *   res.json({ user: req.plex?.user.id })
 * })
 * ```
 */
export interface RedisStore extends AsyncDisposable {
  /** Answers of plex.tv (legacy tokens, server access) for `legacyTokenCache` and `requireServerAccess`'s `cache`. */
  readonly cache: CacheStore
  /** Plex's key set for the verifier's `keyStore`: one fetch per `maxAge` for the fleet. */
  readonly keyStore: SharingKeyStore
  /** The fleet's budget of legacy-token lookups, for the verifier's `legacyLookupBudget`. */
  readonly legacyLookupBudget: RateBudget
  /** Session revocation ("sign out", "sign out everywhere") that holds on every instance. */
  readonly revocations: SessionRevocationStore
  /** `{ keyStore, legacyTokenCache, legacyLookupBudget }`: spread into `plexAuth` or `createPlexVerifier` options. */
  readonly verifierOptions: {
    readonly keyStore: SharingKeyStore
    readonly legacyTokenCache: CacheStore
    readonly legacyLookupBudget: RateBudget
  }
  /** Whether Redis is being used right now (false while it is down or backing off). */
  readonly available: boolean
  /**
   * A budget shared by the fleet under `name` (e.g. PIN creation at plex.tv). Asked again with the same
   * limits, the same budget; with other limits (`legacy-lookups` is the store's own), `TypeError`.
   */
  budget(name: string, options: SharedBudgetOptions): RateBudget
  /**
   * Resolves `true` once connected to Redis and listening to the fleet's revocations, or `false` after `timeoutSeconds` (default 5)
   * or when Redis refuses the subscription (e.g. an ACL without the channel). Never rejects.
   * @default 5
   */
  ready(timeoutSeconds?: number): Promise<boolean>
  /** Closes the connection. */
  close(): Promise<void>
}

const OPTION_NAMES = optionNames<RedisStoreOptions>({
  url: true,
  secret: true,
  prefix: true,
  timeout: true,
  localCacheSize: true,
  keyLockTimeout: true,
  legacyLookupsPerSecond: true,
  onEvent: true,
})
const PREFIX = /^[\x21-\x7e]{0,128}$/
const BUDGET_NAME = /^[A-Za-z0-9._:-]{1,64}$/

// A Redis URL is where its user and password go.
function urlOf(value: unknown): string {
  const { protocol } = parseUrl('url', value, 'allowed')
  if (protocol !== 'redis:' && protocol !== 'rediss:') fail('url must be a redis:// or rediss:// URL')
  return value as string
}

/**
 * Closes a connection; a hung Redis never answers the commands `close` waits for, so after `timeoutMs` the
 * connection is cut, and one that is not up yet is not waited for.
 */
async function closeConnection(
  connection: {
    readonly isReady: boolean
    close(): Promise<unknown>
    destroy(): void
  },
  timeoutMs: number,
): Promise<void> {
  // Still (re)connecting, e.g. to a Redis that never came up, or already closed (destroy is idempotent).
  if (!connection.isReady) return connection.destroy()
  const quit = connection.close().then(
    () => true,
    () => false,
  )
  if (!(await Promise.race([quit, sleep(timeoutMs, false, { ref: false })]))) connection.destroy()
}

/**
 * Connects to Redis and builds plexauth's shared state on it: answers of plex.tv (`cache`), Plex's key set
 * (`keyStore`), rate budgets (`legacyLookupBudget`, `budget(name)`) and session revocation (`revocations`).
 * Give every instance of the app the same `url`, `secret` and `prefix`. Every value kept has a TTL, key names
 * are HMACs (no token, no token hash, no user id in Redis), and every value read back must carry a MAC under a
 * key derived from `secret`: a Redis an attacker can write to cannot mint an identity. When Redis is slow or
 * down, each instance answers from its in-process state after `timeout`, emits `redis_unavailable`, and
 * leaves Redis alone on core's backoff; nothing answers 500 or 401 because of Redis. Throws `TypeError` for
 * bad options; never throws nor rejects because of Redis.
 *
 * @example
 * ```ts
 * import { plexAuth } from '@plexauth/express'
 * import { createRedisStore } from '@plexauth/redis'
 * import express from 'express'
 *
 * const shared = createRedisStore({ url: process.env.REDIS_URL!, secret: process.env.PLEXAUTH_SECRET! })
 * const app = express()
 * app.use(plexAuth({ clientIdentifier: 'my-app', legacyTokens: true, ...shared.verifierOptions }))
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  if (typeof options !== 'object' || options === null) fail('createRedisStore needs options: { url, secret }')
  checkKeys('', options, OPTION_NAMES)
  const url = urlOf(options.url)
  const secrets = secretList('secret', options.secret)
  const prefix = options.prefix ?? 'plexauth:'
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    fail('prefix must be at most 128 printable characters without spaces')
  }
  const timeoutMs = Math.ceil(durationMs('timeout', options.timeout, 0.25, 0.001, 60))
  const localCacheSize = count('localCacheSize', options.localCacheSize, 10_000, 1, 10_000_000)
  const lockMs = Math.ceil(durationMs('keyLockTimeout', options.keyLockTimeout, 10, 0.1, 300))
  const lookups = number('legacyLookupsPerSecond', options.legacyLookupsPerSecond, 10, 0.01, 100_000)
  const emit = safeEmitter<RedisStoreEvent>(func('onEvent', options.onEvent))

  const client = createClient({ url, socket: { connectTimeout: Math.max(timeoutMs, 1000) } })
  const gate = new RedisGate(client as unknown as RedisConnection, timeoutMs, emit)
  // Without a listener, node-redis's `error` events would end the process.
  client.on('error', () => gate.disconnected('cache'))
  client.on('ready', () => gate.connected())
  const connecting = client.connect().catch(() => {})

  const sealer = new Sealer(secrets, prefix)
  const cache = new SharedCache(gate, sealer, createMemoryCacheStore({ maxEntries: localCacheSize }), emit)
  const keyStore = new SharedKeyStore(gate, sealer, lockMs, emit)
  const budgets = new Map<string, { budget: SharedBudget; perSecond: number; burst: number }>()
  const budget = (name: string, budgetOptions: SharedBudgetOptions): RateBudget => {
    if (typeof name !== 'string' || !BUDGET_NAME.test(name)) {
      fail('a budget name is 1 to 64 letters, digits, ".", "_", ":" or "-"')
    }
    if (typeof budgetOptions !== 'object' || budgetOptions === null) fail('budget needs { perSecond }')
    const perSecond = number('perSecond', budgetOptions.perSecond, Number.NaN, 0.001, 1_000_000)
    if (Number.isNaN(perSecond)) fail('budget needs { perSecond }')
    const burst = number('burst', budgetOptions.burst, Math.max(1, perSecond), 1, 10_000_000)
    const existing = budgets.get(name)
    if (existing !== undefined) {
      // The same budget asked for twice is one budget; other limits under its name would be silently lost.
      if (existing.perSecond !== perSecond || existing.burst !== burst) {
        fail(`budget ${name} already exists with other limits`)
      }
      return existing.budget
    }
    const created = new SharedBudget(gate, sealer.fixed(`budget:${name}`), perSecond, burst)
    budgets.set(name, { budget: created, perSecond, burst })
    return created
  }
  const legacyLookupBudget = budget('legacy-lookups', { perSecond: lookups })
  const revocations = new SharedRevocations(gate, sealer, emit)
  // A connection of its own hears the other instances' revocations as they happen; it catches up after each
  // reconnection (node-redis subscribes again by itself). Its failures show on the main connection too.
  const subscriber = client.duplicate()
  subscriber.on('error', () => {})
  let subscribed = false
  subscriber.on('ready', () => {
    if (subscribed) void revocations.catchUp()
  })
  const listening = subscriber
    .connect()
    .then(() => revocations.listen(subscriber))
    .then(() => {
      subscribed = true
      return revocations.catchUp()
    })
    .catch(() => {})

  // Closing again (or twice at once) finds both connections no longer ready and returns.
  const close = async (): Promise<void> => {
    // A connection still being made is waited for only as long as a command would be.
    await Promise.race([Promise.all([connecting, listening]), sleep(timeoutMs, undefined, { ref: false })])
    await Promise.all([closeConnection(client, timeoutMs), closeConnection(subscriber, timeoutMs)])
    await Promise.all([connecting, listening])
  }
  return {
    cache,
    keyStore,
    legacyLookupBudget,
    revocations,
    verifierOptions: Object.freeze({ keyStore, legacyTokenCache: cache, legacyLookupBudget }),
    get available() {
      return gate.available
    },
    budget,
    ready: async (timeoutSeconds = 5) => {
      const timeout = new Promise<false>((resolve) =>
        setTimeout(resolve, timeoutSeconds * 1000, false).unref(),
      )
      // Connected, and listening to the other instances' revocations (caught up with those made before).
      // A subscription Redis refused (e.g. `-NOPERM` for the channel) is not listening: `false`.
      const settled = Promise.all([connecting, listening]).then(() => client.isReady && subscribed)
      return Promise.race([settled, timeout])
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}
