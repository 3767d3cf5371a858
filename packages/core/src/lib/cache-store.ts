import { Lru } from './lru.js'
import { count, fail } from './options.js'
import type { CacheStore } from './store-types.js'

/**
 * Options of `createMemoryCacheStore`.
 *
 * @example
 * ```ts
 * const options: MemoryCacheStoreOptions = { maxEntries: 50_000 }
 * ```
 */
export interface MemoryCacheStoreOptions {
  /**
   * Most entries kept; the least recently used goes first. Default 10000.
   * @default 10000
   */
  maxEntries?: number
}

/**
 * The default `CacheStore`: an in-memory LRU bounded by `maxEntries`, whose entries expire after their
 * TTL (by `Date.now()`). Values are kept as they are given.
 *
 * @example
 * ```ts
 * import { createMemoryCacheStore, createPlexVerifier } from '@plexauth/core'
 *
 * const verifier = createPlexVerifier({
 *   clientIdentifier: 'my-app',
 *   legacyTokens: true,
 *   legacyTokenCache: createMemoryCacheStore({ maxEntries: 50_000 }),
 * })
 * ```
 */
export function createMemoryCacheStore<T = unknown>(options: MemoryCacheStoreOptions = {}): CacheStore<T> {
  if (typeof options !== 'object' || options === null)
    fail('createMemoryCacheStore options must be an object')
  const max = count('maxEntries', options.maxEntries, 10_000, 1, Number.MAX_SAFE_INTEGER)
  const entries = new Lru<{ value: T; expiresAt: number }>(max)
  return {
    get(key) {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      if (Date.now() < entry.expiresAt) return entry.value
      entries.delete(key)
      return undefined
    },
    set(key, value, ttlSeconds) {
      if (!(ttlSeconds > 0)) {
        entries.delete(key)
        return
      }
      entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 })
    },
  }
}

/**
 * A `CacheStore` that never throws nor rejects: a failing store is a miss (for `get`) or a no-op (for
 * `set`), reported once per failure through `onFailure`. Takes milliseconds like the rest of core, and
 * hands the store seconds, the unit of the public `CacheStore`.
 */
export class SafeStore<T> {
  readonly #store: CacheStore<T>
  readonly #onFailure: (operation: 'get' | 'set') => void

  constructor(store: CacheStore<T>, onFailure: (operation: 'get' | 'set') => void) {
    this.#store = store
    this.#onFailure = onFailure
  }

  async get(key: string): Promise<T | undefined> {
    try {
      return (await this.#store.get(key)) ?? undefined
    } catch {
      this.#onFailure('get')
      return undefined
    }
  }

  async set(key: string, value: T, ttlMs: number): Promise<void> {
    try {
      await this.#store.set(key, value, ttlMs / 1000)
    } catch {
      this.#onFailure('set')
    }
  }
}
