import type { KeyObject } from 'node:crypto'
import { Lru, ownString, tailKey } from '../lib/lru.js'
import type { PlexJwtIdentity } from './identity-types.js'

/** A verified token, remembered with the key that verified it. */
export interface TokenCacheEntry {
  identity: PlexJwtIdentity
  kid: string
  key: KeyObject
}

interface Cached {
  /** The token as a string of its own (verified tokens are ASCII). */
  readonly token: string
  readonly entry: TokenCacheEntry
}

/**
 * A bounded LRU of verified tokens; an entry matches only the exact token it was verified for. It is
 * filed under the tail of the token's signature (`tailKey`) and confirmed on the whole token. Callers
 * re-check expiry and the key on every hit, so an entry never outlives `exp` nor its key.
 */
export class TokenCache {
  readonly #lru: Lru<Cached>

  constructor(max: number) {
    this.#lru = new Lru(max)
  }

  get(token: string): TokenCacheEntry | undefined {
    const cached = this.#lru.get(tailKey(token))
    return cached !== undefined && cached.token === token ? cached.entry : undefined
  }

  /** `entry.identity` is the identity of `token`. */
  set(token: string, entry: TokenCacheEntry): void {
    this.#lru.set(tailKey(token), { token: ownString(token), entry })
  }

  delete(token: string): void {
    const key = tailKey(token)
    if (this.#lru.peek(key)?.token === token) this.#lru.delete(key)
  }

  get size(): number {
    return this.#lru.size
  }
}
