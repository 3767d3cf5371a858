import type { CacheStore } from '@plexauth/core'
import type { RedisStoreEvent } from './events.js'
import { type RedisGate, UNAVAILABLE } from './gate.js'
import type { Sealer } from './seal.js'

/**
 * A `CacheStore` shared through Redis, in front of an in-process LRU. A hit in the LRU costs no round trip;
 * a miss asks Redis and keeps what it finds (sealed, unexpired) for the rest of its lifetime. Writes go to
 * both. While Redis is unavailable the LRU alone answers, as a single instance would.
 */
export class SharedCache implements CacheStore {
  readonly #gate: RedisGate
  readonly #sealer: Sealer
  readonly #local: CacheStore
  readonly #emit: (event: RedisStoreEvent) => void

  constructor(gate: RedisGate, sealer: Sealer, local: CacheStore, emit: (event: RedisStoreEvent) => void) {
    this.#gate = gate
    this.#sealer = sealer
    this.#local = local
    this.#emit = emit
  }

  get(key: string): unknown {
    const local = this.#local.get(key)
    return local !== undefined ? local : this.#read(key)
  }

  set(key: string, value: unknown, ttlSeconds: number): Promise<void> | undefined {
    void this.#local.set(key, value, ttlSeconds)
    if (!(ttlSeconds > 0)) return undefined
    const redisKey = this.#sealer.hashed('cache', key)
    const ttlMs = Math.ceil(ttlSeconds * 1000)
    const sealed = this.#sealer.seal(redisKey, value, Date.now() + ttlMs)
    return this.#gate.send('cache', ['SET', redisKey, sealed, 'PX', String(ttlMs)]).then(() => undefined)
  }

  async #read(key: string): Promise<unknown> {
    const redisKey = this.#sealer.hashed('cache', key)
    const reply = await this.#gate.send('cache', ['GET', redisKey])
    if (reply === UNAVAILABLE || reply === null) return undefined
    const now = Date.now()
    const opened = this.#sealer.open(redisKey, reply, now)
    if (opened === undefined) {
      this.#emit({ type: 'redis_value_rejected', operation: 'cache' })
      return undefined
    }
    void this.#local.set(key, opened.value, (opened.expiresAt - now) / 1000)
    return opened.value
  }
}
