import type { PlexIdentity } from '../jwt/identity-types.js'
import type { JwksCacheOptions, KeyStore, PlexJwks } from '../keys/key-set-types.js'
import type { PlexAuthErrorCode } from '../lib/errors.js'
import type { PlexAuthEvent } from '../lib/event-types.js'
import type { CacheStore, RateBudget } from '../lib/store-types.js'

/**
 * Options of `createPlexVerifier`. Every option is optional; durations are in seconds.
 *
 * @example
 * ```ts
 * const options: PlexVerifierOptions = {
 *   clientIdentifier: 'my-app',
 *   legacyTokens: true,
 *   jwks: { staleIfError: 7 * 86400 },
 *   onEvent: (event) => console.info(event.type),
 * }
 * const verifier = createPlexVerifier(options)
 * ```
 */
export interface PlexVerifierOptions {
  /**
   * Where Plex publishes its keys. https only, except loopback hosts. Default `https://clients.plex.tv/api/v2/auth/keys`.
   * @default https://clients.plex.tv/api/v2/auth/keys
   */
  jwksUrl?: string
  /** A static key set. With `keys` and no `jwksUrl`, nothing is ever fetched. */
  keys?: PlexJwks
  /**
   * The client identifier(s) of this app: `aud` must contain one of them, so that tokens Plex issued to other
   * apps are refused. The first one is sent to plex.tv as `X-Plex-Client-Identifier`. Without it (and without
   * `acceptAnyAudience: true`) no app is known to be this one: every token issued to an app is refused
   * (`TOKEN_CLAIMS_INVALID`), and the verifier warns once when it is built.
   */
  clientIdentifier?: string | readonly string[]
  /**
   * `true`: this app knowingly accepts tokens Plex issued to any app (no `clientIdentifier`, no audience
   * check, no warning). Not allowed together with `clientIdentifier`. Default false.
   * @default false
   */
  acceptAnyAudience?: boolean
  /**
   * Expected `iss`. Default `"plex.tv"`.
   * @default "plex.tv"
   */
  issuer?: string
  /**
   * Leeway for `exp`, `iat` and `nbf`. Default 60, at most 300.
   * @default 60
   */
  clockTolerance?: number
  /**
   * Longest accepted `exp - iat`. Default 604800 (7 days).
   * @default 604800
   */
  maxTokenLifetime?: number
  /** Key set cache tuning. */
  jwks?: JwksCacheOptions
  /**
   * Verified-token cache size (entries). 0 disables it. Default 10000.
   * @default 10000
   */
  tokenCacheSize?: number
  /**
   * The fetch implementation used for keys (and legacy-token lookups). Default `globalThis.fetch`.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch
  /** Persists the last good key set across restarts. */
  keyStore?: KeyStore
  /**
   * Receives events worth logging. Must not throw (errors it throws are ignored). Without it, an outage of
   * Plex's key endpoint is still reported: once per outage, with `console.warn`.
   */
  onEvent?: (event: PlexAuthEvent) => void
  /**
   * Also send `onEvent` a `token_rejected` event for every refused token, with its code and, for a claim, the
   * check that failed (`aud`, `iss`, `exp`, …): what the answer never tells the client. Never carries the
   * token. Meant for diagnosing "why is this token refused?"; off in production by default.
   *
   * @default false
   */
  rejectionEvents?: boolean
  /**
   * Also accept legacy (opaque) Plex tokens, by asking plex.tv (`GET /api/v2/user`) and caching the
   * answer. Needs `clientIdentifier` (plex.tv refuses requests without one). Default false.
   * @default false
   */
  legacyTokens?: boolean
  /**
   * How long plex.tv's "valid" for a legacy token is trusted. Default 300.
   * @default 300
   */
  legacyTokenTtl?: number
  /**
   * How long plex.tv's "invalid" (401) for a legacy token is remembered; at most `legacyTokenTtl`. Default 30 (or `legacyTokenTtl` when shorter).
   * @default 30
   */
  legacyTokenNegativeTtl?: number
  /**
   * Most legacy-token lookups one client (address, as the framework reports it) may cause per second, in
   * bursts of up to 3; taken before the global `legacyLookupsPerSecond`, so that one client cannot spend the
   * budget of the others. Default 1.
   * @default 1
   */
  legacyLookupsPerClient?: number
  /**
   * Most legacy-token lookups sent to plex.tv per second (a token bucket; beyond it, `PLEX_UNAVAILABLE`). Default 10.
   * @default 10
   */
  legacyLookupsPerSecond?: number
  /**
   * A budget for legacy-token lookups shared by several instances (e.g. `@plexauth/redis`'s). When it answers,
   * it replaces the in-process `legacyLookupsPerSecond` bucket; when it cannot tell, that bucket decides.
   */
  legacyLookupBudget?: RateBudget
  /**
   * Where legacy-token answers are kept, keyed by a SHA-256 hash of the token. Default an in-memory LRU of 10000.
   * @default createMemoryCacheStore({ maxEntries: 10000 })
   */
  legacyTokenCache?: CacheStore
  /**
   * plex.tv's base URL (for a fake or a proxy). https only, except loopback hosts. Default `https://plex.tv`.
   * @default https://plex.tv
   */
  plexTvUrl?: string
  /**
   * Abort a plex.tv lookup after this long (headers and body). Default 5.
   * @default 5
   */
  plexTvTimeout?: number
}

/**
 * Counters of a verifier since it was built.
 *
 * @example
 * ```ts
 * const { verified, cacheHits, rejected }: PlexVerifierStats = verifier.stats()
 * console.info(`${cacheHits}/${verified} from cache, ${rejected.TOKEN_EXPIRED ?? 0} expired`)
 * ```
 */
export interface PlexVerifierStats {
  verified: number
  cacheHits: number
  rejected: Partial<Record<PlexAuthErrorCode, number>>
  keyFetches: number
  keyFetchFailures: number
  /** Requests sent to plex.tv to check legacy tokens. */
  legacyLookups: number
}

/**
 * Verifies Plex tokens. Build it once, call `verify` per request.
 *
 * @example
 * ```ts
 * const verifier = createPlexVerifier({ clientIdentifier: 'my-app' })
 * const identity = await verifier.verify(token)
 * ```
 */
export interface PlexVerifier {
  /** Verifies a token; rejects with a `PlexAuthError`. */
  verify(
    token: unknown,
    /**
     * Who asks. `client`: the client address as the framework reports it (`req.ip`, `request.ip`, `ctx.ip`,
     * so after its trust-proxy setting): each address gets its own budget of legacy-token lookups. The
     * adapters pass it; a direct call may leave it out (then only the global budget applies).
     */
    context?: { readonly client?: string },
  ): Promise<PlexIdentity>
  /** Fetches the keys now if none are cached. Resolves when keys are usable; rejects with `KEYS_UNAVAILABLE`. */
  ready(): Promise<void>
  /** Counters since creation. */
  stats(): PlexVerifierStats
}
