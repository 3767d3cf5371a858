import type { PlexLegacyIdentity, PlexUser } from '../jwt/identity-types.js'
import { PLEX_SCOPES } from '../jwt/scopes.js'
import type { SafeStore } from '../lib/cache-store.js'
import { PlexAuthError } from '../lib/errors.js'
import { hashSecret } from '../lib/hash-secret.js'
import { Lru } from '../lib/lru.js'
import type { RateBudget } from '../lib/store-types.js'
import { TokenBucket, takeFromBudget } from '../lib/token-bucket.js'
import { type PlexAccount, parseAccount } from './parse-answers.js'
import type { PlexTvClient } from './plex-tv.js'
import { unavailable } from './plex-tv.js'

/** What is cached for a legacy token: plex.tv's 200 (the user and the scopes it implies) or its 401. */
export type LegacyTokenRecord =
  | { readonly valid: true; readonly user: PlexUser; readonly scopes: readonly string[] }
  | { readonly valid: false }

/** Settings of the legacy token verifier; durations in milliseconds. */
export interface LegacyTokenConfig {
  client: PlexTvClient
  clientIdentifier: string
  ttlMs: number
  negativeTtlMs: number
  bucket: TokenBucket
  /** Lookups one client may cause per second (its own bucket, bursts of `CLIENT_BURST`), before `bucket`. */
  perClient: number
  /** A shared budget (e.g. the fleet's, in Redis); when it cannot tell, `bucket` decides. */
  budget: RateBudget | undefined
  /** Values read back are checked: a shared store may hold anything. */
  store: SafeStore<unknown>
}

const USER_PATH = '/api/v2/user'
/** An account answer is ~1 KiB; anything near this is not one. */
const MAX_ACCOUNT_BYTES = 64 * 1024
// A legacy token: ~20 opaque characters (e.g. `2ffLuB84dqLswk9skLos`); never a dot, so never a JWT.
const LEGACY_TOKEN = /^[A-Za-z0-9_-]{8,64}$/
const INVALID: LegacyTokenRecord = Object.freeze({ valid: false })
/** A client's bucket holds this many lookups: a user's few first requests never wait on each other. */
const CLIENT_BURST = 3
/** Clients whose budget is remembered; beyond it the least recent is forgotten (and starts full again). */
const MAX_CLIENTS = 10_000

/**
 * True when `token` looks like a legacy Plex token (8 to 64 characters of `A-Z a-z 0-9 _ -`). Anything
 * with a dot takes the JWT path, whatever `legacyTokens` says.
 */
export function isLegacyToken(token: string): boolean {
  return LEGACY_TOKEN.test(token)
}

/** What a legacy token's account answer proves: the user, and the scopes of the fields it holds. */
export function accountRecord(account: PlexAccount): LegacyTokenRecord {
  const user: { -readonly [K in keyof PlexUser]: PlexUser[K] } = { id: account.id, uuid: account.uuid }
  if (account.username !== undefined) user.username = account.username
  if (account.email !== undefined) user.email = account.email
  if (account.friendlyName !== undefined) user.friendlyName = account.friendlyName
  if (account.restricted !== undefined) user.restricted = account.restricted
  if (account.anonymous !== undefined) user.anonymous = account.anonymous
  if (account.joinedAt !== undefined) user.joinedAt = account.joinedAt
  // Not a scope: plex.tv says whether the account is in a Plex Home whatever was asked.
  if (account.home !== undefined) user.home = account.home
  const scopes = PLEX_SCOPES.filter(
    (scope) => user[scope === 'friendly_name' ? 'friendlyName' : scope] !== undefined,
  )
  return Object.freeze({ valid: true, user: Object.freeze(user), scopes: Object.freeze(scopes) })
}

/** Reads the account JSON of `GET /api/v2/user` as a record; throws on anything that is not one. */
function parseAccountRecord(text: string): LegacyTokenRecord {
  return accountRecord(parseAccount(JSON.parse(text)))
}

/** A record read back from a store (possibly shared, possibly corrupted): re-checked, else a miss. */
function checkRecord(value: unknown): LegacyTokenRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Partial<{ valid: unknown; user: unknown; scopes: unknown }>
  if (record.valid === false) return INVALID
  if (record.valid !== true || !Array.isArray(record.scopes)) return undefined
  const user = record.user as { id?: unknown } | null
  if (typeof user !== 'object' || user === null) return undefined
  // What this process stored itself comes back frozen and as it was; anything else is re-read.
  if (Object.isFrozen(record) && Object.isFrozen(user) && Object.isFrozen(record.scopes)) {
    return Number.isSafeInteger(user.id) ? (record as LegacyTokenRecord) : undefined
  }
  try {
    return accountRecord(parseAccount(JSON.parse(JSON.stringify(user))))
  } catch {
    return undefined
  }
}

/**
 * Legacy tokens, checked with plex.tv's `GET /api/v2/user`: 200 → an identity, 401 → `TOKEN_INVALID`,
 * anything else → `PLEX_UNAVAILABLE` (never a 401: such answers prove nothing). Answers are cached under a
 * SHA-256 hash of the token (valid for `ttl`, invalid for `negativeTtl`); concurrent requests with one
 * token share one lookup; lookups beyond the token bucket's rate are refused with `PLEX_UNAVAILABLE`.
 */
export class LegacyTokenVerifier {
  readonly #config: LegacyTokenConfig
  readonly #inflight = new Map<string, Promise<LegacyTokenRecord>>()
  readonly #clients = new Lru<TokenBucket>(MAX_CLIENTS)
  lookups = 0
  cacheHits = 0

  constructor(config: LegacyTokenConfig) {
    this.#config = config
  }

  /**
   * `context.client`: who asks (an address), for the per-client budget; read only on a cache miss. What is cached is answered first, so a token
   * plex.tv refused recently (kept for `negativeTtl`) costs no budget; then the client's own budget, then
   * the global one, so that a client spending its own cannot spend the others'.
   */
  async verify(token: string, context?: { readonly client?: string }): Promise<PlexLegacyIdentity> {
    const key = `legacy:${hashSecret(token)}`
    const cached = checkRecord(await this.#config.store.get(key))
    if (cached !== undefined) {
      this.cacheHits++
      return this.#identity(cached, token)
    }
    let pending = this.#inflight.get(key)
    if (pending === undefined) {
      const clientKey = context?.client
      const { client: plexTv, bucket, budget } = this.#config
      // While plex.tv backs off, refuse before spending the rate budget.
      const blocked = plexTv.blocked(USER_PATH, token)
      if (blocked !== undefined) throw blocked
      if (clientKey !== undefined) {
        const waitMs = this.#clientBucket(clientKey).take()
        if (waitMs > 0) throw unavailable(waitMs)
      }
      if (budget === undefined) {
        const waitMs = bucket.take()
        if (waitMs > 0) throw unavailable(waitMs)
        pending = this.#lookup(token, key)
      } else {
        pending = this.#budgetedLookup(budget, token, key)
      }
      pending = pending.finally(() => this.#inflight.delete(key))
      this.#inflight.set(key, pending)
    }
    return this.#identity(await pending, token)
  }

  #clientBucket(client: string): TokenBucket {
    let bucket = this.#clients.get(client)
    if (bucket === undefined) {
      const rate = this.#config.perClient
      bucket = new TokenBucket(rate, Math.max(CLIENT_BURST, rate))
      this.#clients.set(client, bucket)
    }
    return bucket
  }

  // A shared budget answers asynchronously, so the lookup is registered as in flight before it is asked.
  async #budgetedLookup(budget: RateBudget, token: string, key: string): Promise<LegacyTokenRecord> {
    const waitMs = await takeFromBudget(budget, this.#config.bucket)
    if (waitMs > 0) throw unavailable(waitMs)
    return this.#lookup(token, key)
  }

  async #lookup(token: string, key: string): Promise<LegacyTokenRecord> {
    const { client, clientIdentifier, ttlMs, negativeTtlMs, store } = this.#config
    this.lookups++
    const answer = await client.get({
      path: USER_PATH,
      token,
      clientIdentifier,
      accept: 'application/json',
      maxBytes: MAX_ACCOUNT_BYTES,
      parse: parseAccountRecord,
    })
    const record: LegacyTokenRecord = answer.status === 200 ? answer.body : INVALID
    // Not awaited: a slow store must not hold the answer back (the memory store is synchronous anyway).
    void store.set(key, record, record.valid ? ttlMs : negativeTtlMs)
    return record
  }

  #identity(record: LegacyTokenRecord, token: string): PlexLegacyIdentity {
    if (!record.valid) throw new PlexAuthError('TOKEN_INVALID')
    const identity = {
      kind: 'legacy' as const,
      user: record.user,
      scopes: record.scopes,
      clientIdentifier: this.#config.clientIdentifier,
    }
    Object.defineProperty(identity, 'token', { value: token, enumerable: false })
    return Object.freeze(identity) as PlexLegacyIdentity
  }
}
