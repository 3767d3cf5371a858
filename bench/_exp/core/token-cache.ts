import type { KeyObject } from 'node:crypto'
import type { PlexIdentity } from './types.js'

/** A verified token, remembered with the key that verified it. */
export interface TokenCacheEntry {
  identity: PlexIdentity
  kid: string
  key: KeyObject
}

/**
 * A bounded LRU of verified tokens keyed on the exact token string. Callers re-check expiry and the
 * key on every hit, so an entry never outlives `exp` nor its key.
 */
export class TokenCache {
  readonly #max: number
  readonly #entries = new Map<string, TokenCacheEntry>()

  constructor(max: number) {
    this.#max = max
  }

  get(token: string): TokenCacheEntry | undefined {
    const entry = this.#entries.get(token)
    if (entry !== undefined) {
      this.#entries.delete(token)
      this.#entries.set(token, entry)
    }
    return entry
  }

  set(token: string, entry: TokenCacheEntry): void {
    if (this.#max === 0) return
    this.#entries.delete(token)
    this.#entries.set(token, entry)
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
  }

  delete(token: string): void {
    this.#entries.delete(token)
  }

  get size(): number {
    return this.#entries.size
  }
}
