import type { KeyObject } from 'node:crypto'
import { backoffMs } from '../lib/backoff.js'
import { PlexAuthError } from '../lib/errors.js'
import type { KeyFetchFailure, PlexAuthEvent } from '../lib/event-types.js'
import { fetchKeySet, KeyFetchError } from './fetch-key-set.js'
import { type ImportedKeySet, importKeySet } from './import-key-set.js'
import type { KeyStore, SharedKeySet, SharingKeyStore } from './key-set-types.js'

/** Resolved settings of a key set cache; durations in milliseconds. */
export interface KeySetCacheConfig {
  url: string | undefined
  staticKeys: ImportedKeySet | undefined
  maxAgeMs: number | undefined
  cooldownMs: number
  timeoutMs: number
  staleIfErrorMs: number
  maxBytes: number
  maxKeys: number
  fetch: typeof globalThis.fetch
  keyStore: KeyStore | undefined
  /** Made safe by `safeEmitter`: it never throws. */
  emit: (event: PlexAuthEvent) => void
}

interface Generation {
  keys: ReadonlyMap<string, KeyObject>
  fetchedAt: number
  refreshAt: number
  freshUntil: number
  usableUntil: number
}

const DEFAULT_MAX_AGE_MS = 600_000
const MIN_MAX_AGE_MS = 60_000
const MAX_MAX_AGE_MS = 86_400_000

// A kid worth reporting: Plex's are 43 base64url characters. No dots and at most 64 characters, so an
// attacker cannot have a token, or a signature segment (86 characters), written to the logs as a kid.
const REPORTABLE_KID = /^[A-Za-z0-9_-]{1,64}$/

function isSharing(store: KeyStore | undefined): store is SharingKeyStore {
  return typeof (store as Partial<SharingKeyStore> | undefined)?.share === 'function'
}

function safeKid(kid: string): string | undefined {
  return REPORTABLE_KID.test(kid) ? kid : undefined
}

/**
 * Plex's keys, fetched once and shared by every request: single-flight fetches, refresh ahead of
 * expiry in the background, a cooldown on unknown-kid refetches, backoff after failures, and
 * stale-if-error. Requests only ever wait for a fetch when no usable key for their kid is cached.
 */
export class KeySetCache {
  readonly #config: KeySetCacheConfig
  #current: Generation | undefined
  #inflight: Promise<void> | undefined
  #lastAttempt = Number.NEGATIVE_INFINITY
  #failures = 0
  #retryAt = 0
  #storeLoad: Promise<void> | undefined
  #staleReported = false
  fetches = 0
  fetchFailures = 0

  constructor(config: KeySetCacheConfig) {
    this.#config = config
  }

  /** The usable key for `kid`, without waiting; starts a background refresh when one is due. */
  peek(kid: string, now: number): KeyObject | undefined {
    const fixed = this.#config.staticKeys?.keys.get(kid)
    if (fixed !== undefined) return fixed
    const current = this.#current
    if (current === undefined || now >= current.usableUntil) return undefined
    if (now >= current.refreshAt) this.#refreshInBackground(now, current)
    return current.keys.get(kid)
  }

  /** The key for `kid`, fetching when needed; rejects with `TOKEN_KEY_UNKNOWN` or `KEYS_UNAVAILABLE`. */
  async resolve(kid: string): Promise<KeyObject> {
    const now = Date.now()
    const quick = this.peek(kid, now)
    if (quick !== undefined) return quick
    if (this.#config.url === undefined) throw new PlexAuthError('TOKEN_KEY_UNKNOWN')
    await this.#loadStoreOnce()
    if (!this.#usable(Date.now())) {
      await this.#refreshOrThrow()
    } else {
      const again = this.peek(kid, Date.now())
      if (again !== undefined) return again
      const canRefetch =
        this.#inflight !== undefined ||
        (Date.now() - this.#lastAttempt >= this.#config.cooldownMs && Date.now() >= this.#retryAt)
      this.#config.emit({ type: 'kid_unknown', kid: safeKid(kid), refetch: canRefetch })
      if (!canRefetch) throw new PlexAuthError('TOKEN_KEY_UNKNOWN')
      await this.#refresh().catch(() => {})
    }
    const key = this.peek(kid, Date.now())
    if (key === undefined) throw new PlexAuthError('TOKEN_KEY_UNKNOWN')
    return key
  }

  /** Resolves once keys are usable, fetching them if needed. */
  async ready(): Promise<void> {
    if (this.#config.url === undefined) return
    await this.#loadStoreOnce()
    const now = Date.now()
    if (this.#usable(now)) {
      // Keys past maxAge are refreshed, unless a failed fetch backs off: a readiness probe through an
      // outage neither fetches on each call nor waits for each fetch.
      if (now < this.#current!.freshUntil || this.#backingOff(now)) return
      await this.#refresh().catch(() => {})
      return
    }
    await this.#refreshOrThrow()
  }

  #usable(now: number): boolean {
    return this.#current !== undefined && now < this.#current.usableUntil
  }

  /** A failed fetch's backoff is running and no fetch is under way (one under way is joined instead). */
  #backingOff(now: number): boolean {
    return this.#inflight === undefined && now < this.#retryAt
  }

  async #refreshOrThrow(): Promise<void> {
    const now = Date.now()
    if (this.#backingOff(now)) throw this.#unavailable(now)
    try {
      await this.#refresh()
    } catch (err) {
      if (this.#usable(Date.now())) return
      throw this.#unavailable(Date.now(), err)
    }
    // A shared set can be past its usable time already: no usable key, which says nothing about a token.
    if (!this.#usable(Date.now())) throw this.#unavailable(Date.now())
  }

  #unavailable(now: number, cause?: unknown): PlexAuthError {
    const retryAfter = Math.max(1, Math.ceil((this.#retryAt - now) / 1000))
    return new PlexAuthError('KEYS_UNAVAILABLE', { retryAfter, cause })
  }

  #refreshInBackground(now: number, current: Generation): void {
    if (this.#inflight !== undefined || now < this.#retryAt) return
    if (now >= current.freshUntil && !this.#staleReported) {
      this.#staleReported = true
      this.#config.emit({ type: 'keys_stale', age: Math.round((now - current.fetchedAt) / 1000) })
    }
    this.#refresh().catch(() => {})
  }

  #refresh(): Promise<void> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined
    })
    return this.#inflight
  }

  async #fetch(): Promise<void> {
    const { url, keyStore, maxKeys } = this.#config
    this.#lastAttempt = Date.now()
    let reason: KeyFetchFailure
    let cause: unknown
    try {
      let own: { set: SharedKeySet; imported: ImportedKeySet } | undefined
      const download = async (): Promise<SharedKeySet> => {
        own = await this.#download()
        return own.set
      }
      // A sharing store (several instances) hands out the set another instance fetched, or runs this
      // instance's fetch once for the whole fleet; `undefined` when it cannot tell, and we fetch alone.
      const shared = isSharing(keyStore)
        ? await keyStore.share(this.#current?.fetchedAt, download)
        : undefined
      const set = shared ?? (await download())
      const downloaded = own !== undefined && set === own.set
      // What another instance fetched passes the same member filter as this instance's own fetch.
      const imported = downloaded ? own!.imported : importKeySet(set.jwks, maxKeys)
      if (typeof imported !== 'string' && Number.isFinite(set.fetchedAt) && set.maxAge > 0) {
        const ageMs = Math.min(MAX_MAX_AGE_MS, set.maxAge * 1000)
        this.#install(imported, Math.min(set.fetchedAt, Date.now()), ageMs)
        this.#failures = 0
        this.#retryAt = 0
        if (downloaded) {
          this.#config.emit({
            type: 'keys_fetched',
            url: url!,
            keyCount: imported.keys.size,
            dropped: imported.dropped,
            maxAge: Math.round(ageMs / 1000),
          })
          if (!isSharing(keyStore)) this.#save(imported)
        } else {
          this.#config.emit({ type: 'keys_loaded', source: 'keyStore', keyCount: imported.keys.size })
        }
        return
      }
      reason = typeof imported === 'string' ? imported : 'invalid_jwks'
    } catch (err) {
      reason = err instanceof KeyFetchError ? err.reason : 'network'
      cause = err
    }
    this.fetchFailures++
    this.#failures++
    this.#retryAt = Date.now() + backoffMs(this.#failures)
    this.#config.emit({
      type: 'keys_fetch_failed',
      url: url!,
      reason,
      retryIn: Math.ceil((this.#retryAt - Date.now()) / 1000),
    })
    throw new KeyFetchError(reason, cause)
  }

  /** One request to the key endpoint: the trusted members, or a `KeyFetchError`. */
  async #download(): Promise<{ set: SharedKeySet; imported: ImportedKeySet }> {
    const { url, maxAgeMs, timeoutMs, maxBytes, maxKeys } = this.#config
    this.fetches++
    const fetched = await fetchKeySet(url!, { fetch: this.#config.fetch, timeoutMs, maxBytes })
    const imported = importKeySet(fetched.body, maxKeys)
    if (typeof imported === 'string') throw new KeyFetchError(imported)
    const ageMs =
      maxAgeMs ?? Math.min(MAX_MAX_AGE_MS, Math.max(MIN_MAX_AGE_MS, fetched.maxAgeMs ?? DEFAULT_MAX_AGE_MS))
    return { set: { jwks: imported.jwks, fetchedAt: Date.now(), maxAge: ageMs / 1000 }, imported }
  }

  #install(imported: ImportedKeySet, now: number, maxAgeMs: number, usableFor?: number): void {
    this.#staleReported = false
    this.#current = {
      keys: this.#keepUnchanged(imported.keys),
      fetchedAt: now,
      refreshAt: now + maxAgeMs * 0.8,
      freshUntil: now + maxAgeMs,
      usableUntil: now + (usableFor ?? maxAgeMs + this.#config.staleIfErrorMs),
    }
  }

  // Reusing the key objects of unchanged keys keeps verified tokens cached across a refresh; the
  // token cache compares key objects by identity to drop entries whose key is gone.
  #keepUnchanged(keys: ReadonlyMap<string, KeyObject>): ReadonlyMap<string, KeyObject> {
    const previous = this.#current?.keys
    if (previous === undefined) return keys
    const kept = new Map<string, KeyObject>()
    for (const [kid, key] of keys) {
      const old = previous.get(kid)
      kept.set(kid, old?.equals(key) ? old : key)
    }
    return kept
  }

  #save(imported: ImportedKeySet): void {
    const store = this.#config.keyStore
    if (store === undefined) return
    Promise.resolve()
      .then(() => store.save(imported.jwks))
      .catch(() => this.#config.emit({ type: 'key_store_failed', operation: 'save' }))
  }

  #loadStoreOnce(): Promise<void> {
    this.#storeLoad ??= this.#loadStore()
    return this.#storeLoad
  }

  async #loadStore(): Promise<void> {
    const store = this.#config.keyStore
    // A sharing store hands out the fleet's set, with its age, through `share`.
    if (store === undefined || isSharing(store) || this.#current !== undefined) return
    try {
      const loaded = await store.load()
      if (loaded === undefined || loaded === null || this.#current !== undefined) return
      const imported = importKeySet(loaded, this.#config.maxKeys)
      if (typeof imported === 'string') throw new Error(imported)
      const now = Date.now()
      // Stored keys are of unknown age: usable now, but refreshed at the first chance.
      this.#install(imported, now, 0, this.#config.staleIfErrorMs)
      this.#config.emit({ type: 'keys_loaded', source: 'keyStore', keyCount: imported.keys.size })
    } catch {
      this.#config.emit({ type: 'key_store_failed', operation: 'load' })
    }
  }
}
