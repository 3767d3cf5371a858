import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { backoffMs, type PlexJwks, type SharedKeySet, type SharingKeyStore } from '@plexauth/core'
import type { RedisStoreEvent } from './events.js'
import { type RedisGate, UNAVAILABLE } from './gate.js'
import type { Sealer } from './seal.js'

/** How often an instance waiting for another one's fetch looks for its result. */
const POLL_MS = 20
/** Kept after it stops being fresh (at most a day), so that a cold instance has keys while plex.tv is down. */
const MAX_EXTRA_LIFETIME_MS = 86_400_000
/** How long the fleet remembers that a key fetch failed: core's first backoff step. */
const FAILURE_MEMORY_MS = backoffMs(1)
/** `save` without a `maxAge`: as core's default. */
const DEFAULT_MAX_AGE = 600
// Deletes the lock only while it is still ours: a fetch that outlived the lock must not free another's.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

/** Thrown to core when another instance's fetch failed moments ago: core backs off as if its own had. */
class FleetFetchFailed extends Error {
  constructor() {
    super('plexauth: another instance failed to fetch the key set')
  }
}

/**
 * Plex's key set, shared by the fleet: one fetch per `maxAge` for every instance together, and a lock so
 * that N cold instances cost one fetch while the others wait for its result. Core passes whatever this
 * returns through the same member filter as a fresh fetch; the value also carries a MAC.
 */
export class SharedKeyStore implements SharingKeyStore {
  readonly #gate: RedisGate
  readonly #sealer: Sealer
  readonly #lockMs: number
  readonly #emit: (event: RedisStoreEvent) => void
  readonly #key: string
  readonly #lockKey: string
  readonly #failedKey: string

  constructor(gate: RedisGate, sealer: Sealer, lockMs: number, emit: (event: RedisStoreEvent) => void) {
    this.#gate = gate
    this.#sealer = sealer
    this.#lockMs = lockMs
    this.#emit = emit
    this.#key = sealer.fixed('keys')
    this.#lockKey = sealer.fixed('keys:lock')
    this.#failedKey = sealer.fixed('keys:failed')
  }

  async load(): Promise<PlexJwks | undefined> {
    const shared = await this.#read()
    return shared === UNAVAILABLE || shared === undefined ? undefined : (shared.jwks as PlexJwks)
  }

  async save(jwks: PlexJwks): Promise<void> {
    await this.#write({ jwks, fetchedAt: Date.now(), maxAge: DEFAULT_MAX_AGE })
  }

  async share(
    newerThan: number | undefined,
    fetchKeys: () => Promise<SharedKeySet>,
  ): Promise<SharedKeySet | undefined> {
    const deadline = Date.now() + this.#lockMs
    for (;;) {
      const reply = await this.#gate.send('keys', ['MGET', this.#key, this.#failedKey])
      if (!Array.isArray(reply)) return undefined
      const shared = this.#open(reply[0])
      if (shared !== undefined && (newerThan === undefined || shared.fetchedAt > newerThan)) return shared
      // Another instance's fetch failed a moment ago: the fleet backs off as one instead of each fetching.
      // Only the string it writes counts: a reply of another shape is garbage, not a failure.
      if (typeof reply[1] === 'string') throw new FleetFetchFailed()
      const owner = randomUUID()
      const locked = await this.#gate.send('keys', [
        'SET',
        this.#lockKey,
        owner,
        'NX',
        'PX',
        String(this.#lockMs),
      ])
      if (locked === UNAVAILABLE) return undefined
      if (locked === 'OK') return this.#fetchAndShare(newerThan, fetchKeys, owner)
      // Another instance is fetching: wait for its result rather than fetching too.
      await sleep(POLL_MS)
      // Its fetch takes too long (or it died holding the lock): fetch alone.
      if (Date.now() >= deadline) return undefined
    }
  }

  async #fetchAndShare(
    newerThan: number | undefined,
    fetchKeys: () => Promise<SharedKeySet>,
    owner: string,
  ): Promise<SharedKeySet> {
    try {
      // Looked at again under the lock: another instance may have finished (or failed) since the first look.
      const reply = await this.#gate.send('keys', ['MGET', this.#key, this.#failedKey])
      if (Array.isArray(reply)) {
        const shared = this.#open(reply[0])
        if (shared !== undefined && (newerThan === undefined || shared.fetchedAt > newerThan)) return shared
        if (typeof reply[1] === 'string') throw new FleetFetchFailed()
      }
      let fetched: SharedKeySet
      try {
        fetched = await fetchKeys()
      } catch (err) {
        await this.#gate.send('keys', ['SET', this.#failedKey, '1', 'PX', String(FAILURE_MEMORY_MS)])
        throw err
      }
      await this.#write(fetched)
      return fetched
    } finally {
      await this.#gate.send('keys', ['EVAL', RELEASE, '1', this.#lockKey, owner])
    }
  }

  async #write(set: SharedKeySet): Promise<void> {
    const ttlMs = Math.ceil(set.maxAge * 1000 + Math.min(set.maxAge * 1000, MAX_EXTRA_LIFETIME_MS))
    const expiresAt = set.fetchedAt + ttlMs
    const ttlLeft = expiresAt - Date.now()
    if (ttlLeft <= 0) return
    const sealed = this.#sealer.seal(this.#key, set, expiresAt)
    await this.#gate.send('keys', ['SET', this.#key, sealed, 'PX', String(ttlLeft)])
  }

  async #read(): Promise<SharedKeySet | undefined | typeof UNAVAILABLE> {
    const reply = await this.#gate.send('keys', ['GET', this.#key])
    return reply === UNAVAILABLE ? UNAVAILABLE : this.#open(reply)
  }

  /** A key set read back: `undefined` unless sealed under the secret, unexpired and well formed. */
  #open(reply: unknown): SharedKeySet | undefined {
    if (reply === null || reply === undefined) return undefined
    const opened = this.#sealer.open(this.#key, reply, Date.now())
    const set = opened?.value as Partial<SharedKeySet> | undefined
    if (
      typeof set !== 'object' ||
      set === null ||
      typeof set.jwks !== 'object' ||
      set.jwks === null ||
      !Number.isFinite(set.fetchedAt) ||
      !(typeof set.maxAge === 'number' && set.maxAge > 0)
    ) {
      this.#emit({ type: 'redis_value_rejected', operation: 'keys' })
      return undefined
    }
    return set as SharedKeySet
  }
}
