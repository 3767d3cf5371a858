import type { SessionRevocationStore } from '../lib/store-types.js'

/**
 * The `session` option of `plexLogin` and `plexAuth`: the sealed session cookie. Durations in seconds.
 * Pass the same object to both, so that they share one cache of opened cookies and one set of checks.
 *
 * @example
 * ```ts
 * const session: SessionOptions = { secret: [process.env.PLEXAUTH_SECRET!, process.env.PLEXAUTH_OLD_SECRET!] }
 * ```
 */
export interface SessionOptions {
  /** At least 32 characters, or a list of such: the first seals, all open (rotation). Never a public value. */
  secret: string | readonly string[]
  /**
   * Longest life of a session. Default 604800 (7 days).
   * @default 604800
   */
  maxAge?: number
  /**
   * A session last checked longer ago than this is checked again (token and access) before it is used. Default 600.
   * @default 600
   */
  revalidateAfter?: number
  /**
   * While plex.tv cannot answer, a session keeps serving this long past `revalidateAfter`. Default 3600.
   * @default 3600
   */
  staleIfError?: number
  /** Origins (besides the request's own and `publicUrl`) allowed to send unsafe requests with the cookie. */
  trustedOrigins?: readonly string[]
  /**
   * Opened cookies kept in memory (an LRU). Default 10000.
   * @default 10000
   */
  cacheSize?: number
  /**
   * Ends sessions before they expire, on every instance (e.g. `@plexauth/redis`'s `revocations`): asked when a
   * cookie is opened and each time it is checked again (so within `revalidateAfter`); told on logout.
   */
  revocations?: SessionRevocationStore
}
