import type { KeyObject } from 'node:crypto'
import type { PlexJwtIdentity } from './identity-types.js'

/** A verified token, remembered with the key that verified it. */
export interface TokenCacheEntry {
  identity: PlexJwtIdentity
  kid: string
  key: KeyObject
}

// An Ed25519 signature is 86 base64url characters, the end of every well-formed token.
const SIGNATURE_LENGTH = 86

// An entry is filed under its token's signature and confirmed on the whole token: V8 hashes a new
// string in full, and hashing 86 characters rather than the whole token (600 and more) was most of
// the cost of a hit.
function keyOf(token: string): string {
  return token.length > SIGNATURE_LENGTH ? token.slice(-SIGNATURE_LENGTH) : token
}

interface Node {
  readonly key: string
  entry: TokenCacheEntry
  older: Node | undefined
  newer: Node | undefined
}

/**
 * A bounded LRU of verified tokens; an entry matches only the exact token it was verified for.
 * Callers re-check expiry and the key on every hit, so an entry never outlives `exp` nor its key.
 *
 * Recency is a linked list beside the map: a hit moves its node to the newest end without touching
 * the map. (Deleting and re-inserting a map entry on every hit cost close to a microsecond on a full
 * cache, more than the rest of a hit.)
 */
export class TokenCache {
  readonly #max: number
  readonly #nodes = new Map<string, Node>()
  #oldest: Node | undefined
  #newest: Node | undefined

  constructor(max: number) {
    this.#max = max
  }

  get(token: string): TokenCacheEntry | undefined {
    const node = this.#nodes.get(keyOf(token))
    if (node === undefined || node.entry.identity.token !== token) return undefined
    this.#touch(node)
    return node.entry
  }

  /** `entry.identity` is the identity of `token`. */
  set(token: string, entry: TokenCacheEntry): void {
    if (this.#max === 0) return
    const key = keyOf(token)
    const existing = this.#nodes.get(key)
    if (existing !== undefined) {
      existing.entry = entry
      this.#touch(existing)
      return
    }
    const node: Node = { key, entry, older: this.#newest, newer: undefined }
    if (this.#newest === undefined) this.#oldest = node
    else this.#newest.newer = node
    this.#newest = node
    this.#nodes.set(key, node)
    if (this.#nodes.size > this.#max) this.#remove(this.#oldest!)
  }

  delete(token: string): void {
    const node = this.#nodes.get(keyOf(token))
    if (node !== undefined && node.entry.identity.token === token) this.#remove(node)
  }

  get size(): number {
    return this.#nodes.size
  }

  #unlink(node: Node): void {
    if (node.older === undefined) this.#oldest = node.newer
    else node.older.newer = node.newer
    if (node.newer === undefined) this.#newest = node.older
    else node.newer.older = node.older
    node.older = undefined
    node.newer = undefined
  }

  #touch(node: Node): void {
    if (node === this.#newest) return
    this.#unlink(node)
    node.older = this.#newest
    if (this.#newest === undefined) this.#oldest = node
    else this.#newest.newer = node
    this.#newest = node
  }

  #remove(node: Node): void {
    this.#unlink(node)
    this.#nodes.delete(node.key)
  }
}
