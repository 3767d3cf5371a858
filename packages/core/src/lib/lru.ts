interface Node<V> {
  readonly key: string
  value: V
  older: Node<V> | undefined
  newer: Node<V> | undefined
}

/**
 * The key to file an entry under when its natural key is a long string that ends in random characters (a
 * JWS signature, a JWE tag): its last 12 characters, confirmed by the caller on the whole value. V8 hashes
 * a key string in full, and a slice of 13 or more characters is a view into its parent that hashes and
 * compares on a slow path; 12 characters are copied (measured: a lookup under a 600-character token cost
 * 5 times as much as under its last 12).
 */
export function tailKey(value: string): string {
  return value.slice(-12)
}

/**
 * A copy of an ASCII string that is a string of its own, for a cache to keep and compare with: a value cut
 * from a request's header is a view into the header, and one built by concatenation a tree of parts; kept,
 * either is compared with the next request's value on V8's slow path (measured: twice as long).
 */
export function ownString(value: string): string {
  return Buffer.from(value, 'latin1').toString('latin1')
}

/**
 * A map bounded to `max` entries that forgets the least recently used first: the one LRU of core's caches
 * and backoff tables. Recency is a linked list beside the map, so that a hit moves its node to the newest
 * end without touching the map: deleting and re-inserting a map entry on every hit (the simple way, with a
 * `Map`'s insertion order) cost close to a microsecond on a full cache, more than the rest of a cached
 * token's or session's request (see BENCHMARKS.md).
 *
 * @example
 * ```ts
 * const lru = new Lru<number>(2)
 * lru.set('a', 1); lru.set('b', 2); lru.get('a'); lru.set('c', 3) // 'b' is forgotten
 * ```
 */
export class Lru<V> {
  readonly #max: number
  readonly #nodes = new Map<string, Node<V>>()
  #oldest: Node<V> | undefined
  #newest: Node<V> | undefined

  constructor(max: number) {
    this.#max = max
  }

  /** The value of `key`, now the most recently used. */
  get(key: string): V | undefined {
    const node = this.#nodes.get(key)
    if (node === undefined) return undefined
    this.#touch(node)
    return node.value
  }

  /** The value of `key`, leaving the order as it is. */
  peek(key: string): V | undefined {
    return this.#nodes.get(key)?.value
  }

  /** Stores `value` as the most recently used, forgetting the least recently used beyond `max`. */
  set(key: string, value: V): void {
    if (this.#max <= 0) return
    const existing = this.#nodes.get(key)
    if (existing !== undefined) {
      existing.value = value
      this.#touch(existing)
      return
    }
    const node: Node<V> = { key, value, older: this.#newest, newer: undefined }
    if (this.#newest === undefined) this.#oldest = node
    else this.#newest.newer = node
    this.#newest = node
    this.#nodes.set(key, node)
    if (this.#nodes.size > this.#max) this.#remove(this.#oldest!)
  }

  delete(key: string): boolean {
    const node = this.#nodes.get(key)
    if (node === undefined) return false
    this.#remove(node)
    return true
  }

  get size(): number {
    return this.#nodes.size
  }

  #unlink(node: Node<V>): void {
    if (node.older === undefined) this.#oldest = node.newer
    else node.older.newer = node.newer
    if (node.newer === undefined) this.#newest = node.older
    else node.newer.older = node.older
    node.older = undefined
    node.newer = undefined
  }

  #touch(node: Node<V>): void {
    if (node === this.#newest) return
    this.#unlink(node)
    node.older = this.#newest
    if (this.#newest === undefined) this.#oldest = node
    else this.#newest.newer = node
    this.#newest = node
  }

  #remove(node: Node<V>): void {
    this.#unlink(node)
    this.#nodes.delete(node.key)
  }
}
