/**
 * Where plexauth keeps what plex.tv answered (legacy tokens, server access): `get` and `set` with a
 * time to live, sync or async. Keys are hashes and ids, never tokens; values are plain JSON data. The
 * default is a bounded in-memory LRU (`createMemoryCacheStore`). A store shared by several instances must
 * not let whoever can write to it plant an answer (a legacy token's account passes every check a fresh one
 * does): `@plexauth/redis`'s `cache` seals what it keeps under the app's secret. A store that throws is
 * treated as a miss.
 *
 * @example
 * ```ts
 * // A store of one process, the shape any store has (to share one between instances: `@plexauth/redis`).
 * const entries = new Map<string, { value: unknown; expiresAt: number }>()
 * const store: CacheStore = {
 *   get: (key) => {
 *     const entry = entries.get(key)
 *     return entry !== undefined && Date.now() < entry.expiresAt ? entry.value : undefined
 *   },
 *   set: (key, value, ttlSeconds) => {
 *     entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 })
 *   },
 * }
 * ```
 */
export interface CacheStore<T = unknown> {
  /** The value stored under `key` and not yet expired, else `undefined`. */
  get(key: string): T | undefined | Promise<T | undefined>
  /** Stores `value` under `key` for `ttlSeconds`. */
  set(key: string, value: T, ttlSeconds: number): void | Promise<void>
}

/**
 * A rate budget, e.g. one shared by every instance of an app (`@plexauth/redis`): `take` answers 0 when a
 * unit was taken, else the milliseconds until one will be available, or `undefined` when the budget cannot
 * tell (e.g. its store is down), and the caller's in-process bucket decides.
 *
 * @example
 * ```ts
 * // Five lookups a second, and never more than 20 in a row: a budget of one process, the shape a shared one has.
 * let tokens = 20
 * let last = Date.now()
 * const budget: RateBudget = {
 *   take: () => {
 *     const now = Date.now()
 *     tokens = Math.min(20, tokens + ((now - last) / 1000) * 5)
 *     last = now
 *     if (tokens < 1) return Math.ceil(((1 - tokens) / 5) * 1000)
 *     tokens -= 1
 *     return 0
 *   },
 * }
 * createPlexVerifier({ clientIdentifier: 'my-app', legacyTokens: true, legacyLookupBudget: budget })
 * ```
 */
export interface RateBudget {
  take(): number | undefined | Promise<number | undefined>
}

/**
 * Which session `SessionRevocationStore.isRevoked` is asked about: its id, its user, and when it was
 * issued (seconds since the epoch).
 *
 * @example
 * ```ts
 * const query: RevocationQuery = { sessionId: 'Zk3x…', userId: identity.user.id, issuedAt: Date.now() / 1000 - 60 }
 * ```
 */
export interface RevocationQuery {
  sessionId: string
  userId: string | number
  issuedAt: number
}

/**
 * Ends sessions before they expire, on every instance of an app at once: "sign out" (one session) and
 * "sign out everywhere" (every session of a user issued before a time). Session code calls `isRevoked`
 * for each session it opens (and `isKnownRevoked`, when present, on each request), `revoke` on sign-out and
 * `revokeUser` to sign a user out everywhere. A store that cannot be reached answers from what it knows in
 * process; it never makes a request fail.
 *
 * @example
 * ```ts
 * // Revocations of one process (a fleet needs a shared store, e.g. `@plexauth/redis`'s `revocations`).
 * const sessions = new Set<string>()
 * const users = new Map<string | number, number>()
 * const revocations: SessionRevocationStore = {
 *   revoke: (sessionId) => sessions.add(sessionId),
 *   revokeUser: (userId, _ttl, before = Date.now() / 1000) => users.set(userId, before),
 *   isRevoked: ({ sessionId, userId, issuedAt }) =>
 *     sessions.has(sessionId) || issuedAt < (users.get(userId) ?? Number.NEGATIVE_INFINITY),
 * }
 * const session: SessionOptions = { secret: process.env.PLEXAUTH_SECRET!, revocations }
 * ```
 */
export interface SessionRevocationStore {
  /** Ends one session, for `ttlSeconds` (at least what remains of its lifetime). */
  revoke(sessionId: string, ttlSeconds: number): unknown
  /** Ends every session of `userId` issued before `before` (seconds since the epoch; now when absent), for `ttlSeconds` (at least the session `maxAge`). */
  revokeUser(userId: string | number, ttlSeconds: number, before?: number): unknown
  /** Whether the session was revoked. */
  isRevoked(session: RevocationQuery): boolean | Promise<boolean>
  /**
   * Optional: whether this instance already knows the session was revoked, answered at once without I/O (e.g.
   * from revocations the store hears of as they happen). Session code asks it on every request it serves from
   * its cache of opened cookies, so that a sign-out elsewhere ends the session at once rather than at its next
   * check (`revalidateAfter`).
   */
  isKnownRevoked?(session: RevocationQuery): boolean
}
