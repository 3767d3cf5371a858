/**
 * A map bounded to `max` entries that forgets the least recently used first: the one LRU of core's caches
 * and backoff tables. (The verified-token cache keeps its own list: its hit path is measured, see
 * jwt/token-cache.ts.) A `Map` keeps insertion order, so moving an entry to the end on use makes the first
 * key the least recently used one.
 *
 * @example
 * ```ts
 * const lru = new Lru<number>(2)
 * lru.set('a', 1); lru.set('b', 2); lru.get('a'); lru.set('c', 3) // 'b' is forgotten
 * ```
 */
export class Lru<V> {
  readonly #max: number
  readonly #entries = new Map<string, V>()

  constructor(max: number) {
    this.#max = max
  }

  /** The value of `key`, now the most recently used. */
  get(key: string): V | undefined {
    const value = this.#entries.get(key)
    if (value === undefined) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, value)
    return value
  }

  /** The value of `key`, leaving the order as it is. */
  peek(key: string): V | undefined {
    return this.#entries.get(key)
  }

  /** Stores `value` as the most recently used, forgetting the least recently used beyond `max`. */
  set(key: string, value: V): void {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
  }

  delete(key: string): boolean {
    return this.#entries.delete(key)
  }

  get size(): number {
    return this.#entries.size
  }
}
