import { createHash } from 'node:crypto'
import type { CacheStore } from '../types.js'

/**
 * Options of `createMemoryCacheStore`.
 *
 * @example
 * ```ts
 * const options: MemoryCacheStoreOptions = { maxEntries: 50_000 }
 * ```
 */
export interface MemoryCacheStoreOptions {
  /** Most entries kept; the least recently used goes first. Default 10000. */
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
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('plexauth: createMemoryCacheStore options must be an object')
  }
  const max = options.maxEntries ?? 10_000
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError('plexauth: maxEntries must be a positive integer')
  }
  const entries = new Map<string, { value: T; expiresAt: number }>()
  return {
    get(key) {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      entries.delete(key)
      if (Date.now() >= entry.expiresAt) return undefined
      entries.set(key, entry)
      return entry.value
    },
    set(key, value, ttlSeconds) {
      entries.delete(key)
      if (!(ttlSeconds > 0)) return
      entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 })
      if (entries.size > max) {
        const oldest = entries.keys().next()
        if (!oldest.done) entries.delete(oldest.value)
      }
    },
  }
}

/** Validates a user-supplied store once, at construction. */
export function validateCacheStore(name: string, value: unknown): CacheStore | undefined {
  if (value === undefined) return undefined
  const store = value as Partial<CacheStore> | null
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof store.get !== 'function' ||
    typeof store.set !== 'function'
  ) {
    throw new TypeError(`plexauth: ${name} must have get() and set() methods`)
  }
  return store as CacheStore
}

/** The cache key of a secret: a SHA-256 hash, so that no store ever holds a token. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url')
}

/**
 * A `CacheStore` that never throws nor rejects: a failing store is a miss (for `get`) or a no-op (for
 * `set`), reported once per failure through `onFailure`.
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

  async set(key: string, value: T, ttlSeconds: number): Promise<void> {
    try {
      await this.#store.set(key, value, ttlSeconds)
    } catch {
      this.#onFailure('set')
    }
  }
}
