import type { KeyObject } from 'node:crypto'
import type { PlexJwtIdentity } from './types.js'

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

/**
 * A bounded LRU of verified tokens; an entry matches only the exact token it was verified for.
 * Callers re-check expiry and the key on every hit, so an entry never outlives `exp` nor its key.
 */
export class TokenCache {
  readonly #max: number
  readonly #entries = new Map<string, TokenCacheEntry>()

  constructor(max: number) {
    this.#max = max
  }

  get(token: string): TokenCacheEntry | undefined {
    const key = keyOf(token)
    const entry = this.#entries.get(key)
    if (entry === undefined || entry.identity.token !== token) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    return entry
  }

  /** `entry.identity` is the identity of `token`. */
  set(token: string, entry: TokenCacheEntry): void {
    if (this.#max === 0) return
    const key = keyOf(token)
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
  }

  delete(token: string): void {
    const key = keyOf(token)
    if (this.#entries.get(key)?.identity.token === token) this.#entries.delete(key)
  }

  get size(): number {
    return this.#entries.size
  }
}
