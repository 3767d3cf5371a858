/**
 * Where plexauth keeps what plex.tv answered (legacy tokens, server access): `get` and `set` with a
 * time to live, sync or async. Keys are hashes and ids, never tokens; values are plain JSON data. The
 * default is a bounded in-memory LRU (`createMemoryCacheStore`); a shared store (e.g. Redis) lets several
 * instances of an app share the answers. A store that throws is treated as a miss.
 *
 * @example
 * ```ts
 * const store: CacheStore = {
 *   get: async (key) => JSON.parse((await redis.get(key)) ?? 'null') ?? undefined,
 *   set: async (key, value, ttlSeconds) => { await redis.set(key, JSON.stringify(value), 'EX', Math.ceil(ttlSeconds)) },
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
 * createPlexVerifier({ clientIdentifier: 'my-app', legacyTokens: true, legacyLookupBudget: shared.legacyLookupBudget })
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
 * const query: RevocationQuery = { sessionId: session.id, userId: identity.user.id, issuedAt: session.issuedAt }
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
 * await revocations.revoke(session.id, session.expiresAt - Date.now() / 1000)      // sign out
 * await revocations.revokeUser(identity.user.id, sessionMaxAge)                     // everywhere
 * if (await revocations.isRevoked({ sessionId, userId, issuedAt })) return anonymous
 * ```
 */
export interface SessionRevocationStore {
  /** Ends one session, for `ttlSeconds` (at least what remains of its lifetime). */
  revoke(sessionId: string, ttlSeconds: number): unknown
  /** Ends every session of `userId` issued before `before` (seconds since the epoch; default now), for `ttlSeconds` (at least the session `maxAge`). */
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
