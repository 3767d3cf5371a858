import type { PlexAuthErrorCode } from './lib/errors.js'

/** A JSON Web Key as published by Plex (`OKP` / `Ed25519`). Other members are tolerated and ignored. */
export interface PlexJwk {
  kty: string
  crv?: string
  x?: string
  kid?: string
  use?: string
  alg?: string
  key_ops?: string[]
  [member: string]: unknown
}

/**
 * A public Ed25519 signing key exactly as plex.tv publishes keys and takes device keys.
 *
 * @example
 * ```ts
 * const jwk: Ed25519PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: '…', kid: '…', use: 'sig', alg: 'EdDSA' }
 * ```
 */
// A type alias, not an interface: it stays assignable to `PlexJwk`'s index signature.
export type Ed25519PublicJwk = {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  kid: string
  use: 'sig'
  alg: 'EdDSA'
}

/** A JSON Web Key Set: `{ keys: [...] }`, the body of `GET /api/v2/auth/keys`. */
export interface PlexJwks {
  keys: PlexJwk[]
}

/** The signed-in Plex account, as the token describes it. Optional fields depend on the scopes asked for. */
export interface PlexUser {
  /** The Plex account id. */
  readonly id: number
  readonly uuid: string
  readonly username?: string
  readonly email?: string
  /** `friendly_name` in the token. */
  readonly friendlyName?: string
  readonly restricted?: boolean
  readonly anonymous?: boolean
  /** `joinedAt` in the token: seconds since the epoch. */
  readonly joinedAt?: number
}

/**
 * Whether a user may use a given Plex Media Server, as `requireServerAccess` / `requireServerOwner`
 * decided it; exposed as `identity.access` (`req.plex.access`) on the routes they guard.
 *
 * @example
 * ```ts
 * app.get('/requests', requireServerAccess({ machineIdentifier }), (req, res) => {
 *   res.json(req.plex?.access?.owner ? allRequests() : requestsOf(req.plex!.user.id))
 * })
 * ```
 */
export interface ServerAccess {
  /** The server checked (its `clientIdentifier` in `/api/v2/resources`). */
  readonly machineIdentifier: string
  /** True for the owner of the server, false for a user it is shared with. */
  readonly owner: boolean
  /** Where the answer came from: the user's own `/api/v2/resources`, or the owner's friends list (`/api/users`). */
  readonly source: 'resources' | 'friends'
  /** True when plex.tv could not be asked and the last known answer (within `staleIfError`) was used. */
  readonly stale: boolean
}

/**
 * What every identity has, whichever way it was established.
 *
 * @example
 * ```ts
 * const greet = (identity: PlexIdentityBase) => `Hello ${identity.user.username ?? identity.user.id}`
 * ```
 */
export interface PlexIdentityBase {
  readonly user: PlexUser
  /** JWT: from a `scope` claim when present, otherwise the user fields the token carries. Legacy: the user fields plex.tv gave. */
  readonly scopes: readonly string[]
  /** JWT: the audience entry that matched `clientIdentifier`, or the first non-`plex.tv` audience. Legacy: the client identifier sent to plex.tv. */
  readonly clientIdentifier?: string
  /** Every claim of a Plex JWT, frozen; absent for a legacy token. */
  readonly claims?: Readonly<Record<string, unknown>>
  /** Set by `requireServerAccess` / `requireServerOwner` on the routes they guard. */
  readonly access?: ServerAccess
  /** The raw token (not enumerable). */
  readonly token: string
}

/**
 * A Plex JWT, verified locally against Plex's published keys.
 *
 * @example
 * ```ts
 * if (identity.kind === 'jwt') console.log(identity.thumbprint, new Date(identity.expiresAt * 1000))
 * ```
 */
export interface PlexJwtIdentity extends PlexIdentityBase {
  /** How the identity was established: a locally verified Plex JWT. */
  readonly kind: 'jwt'
  /** The `kid` of the device key the client registered with Plex. */
  readonly thumbprint: string
  /** `iat`, seconds since the epoch. */
  readonly issuedAt: number
  /** `exp`, seconds since the epoch. */
  readonly expiresAt: number
  /** Every claim of the token, frozen. */
  readonly claims: Readonly<Record<string, unknown>>
}

/**
 * A legacy (opaque) Plex token, accepted with `legacyTokens: true` after plex.tv's `GET /api/v2/user`
 * answered 200 for it (the answer is cached for `legacyTokenTtl`).
 *
 * @example
 * ```ts
 * if (identity.kind === 'legacy') console.log('legacy token of', identity.user.username)
 * ```
 */
export interface PlexLegacyIdentity extends PlexIdentityBase {
  /** How the identity was established: plex.tv vouched for a legacy token. */
  readonly kind: 'legacy'
  readonly claims?: undefined
}

/**
 * What a verified token tells the app: a `PlexJwtIdentity` (`kind: 'jwt'`) or, with `legacyTokens: true`,
 * a `PlexLegacyIdentity` (`kind: 'legacy'`). Deeply frozen: the same object may serve many requests.
 * `token` is not enumerable, so `JSON.stringify(identity)` never echoes it.
 *
 * @example
 * ```ts
 * const identity = await verifier.verify(token)
 * identity.user.id          // 123456
 * identity.scopes           // ['username', 'email']
 * if (identity.kind === 'jwt') identity.thumbprint
 * ```
 */
export type PlexIdentity = PlexJwtIdentity | PlexLegacyIdentity

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

/** Where a token may be read from. `query` (`?X-Plex-Token=`) is off unless named. */
export type TokenSource = 'authorization' | 'x-plex-token' | 'query'

/** Persists the last good key set across restarts. Both methods may be sync or async. */
export interface KeyStore {
  load(): PlexJwks | undefined | null | Promise<PlexJwks | undefined | null>
  save(jwks: PlexJwks): void | Promise<void>
}

/**
 * A key set as a fleet shares it: the members (filtered again by whoever reads them), when they were
 * fetched (milliseconds since the epoch) and for how long they are fresh (seconds).
 *
 * @example
 * ```ts
 * const shared: SharedKeySet = { jwks: { keys: [plexJwk] }, fetchedAt: Date.now(), maxAge: 600 }
 * ```
 */
export interface SharedKeySet {
  jwks: PlexJwks
  fetchedAt: number
  maxAge: number
}

/**
 * A `KeyStore` shared by several instances of an app (e.g. `@plexauth/redis`'s): the verifier calls `share`
 * instead of fetching the key set itself, so the whole fleet fetches it once per `maxAge`. What it returns
 * passes the same member filter as a fresh fetch. `load` and `save` are then not used.
 *
 * @example
 * ```ts
 * const store: SharingKeyStore = {
 *   load: () => undefined,
 *   save: () => {},
 *   // A set fetched after `newerThan` if another instance has one, else this instance's own fetch, shared.
 *   share: async (newerThan, fetchKeys) => (await fleetSetNewerThan(newerThan)) ?? publish(await fetchKeys()),
 * }
 * ```
 */
export interface SharingKeyStore extends KeyStore {
  /**
   * The fleet's key set when one fetched after `newerThan` (milliseconds since the epoch; `undefined` at a
   * cold start: any unexpired set) exists, else the result of `fetchKeys`, run once for the whole fleet
   * while other callers wait for it. `undefined` when the store cannot tell (e.g. it is down): the verifier
   * then fetches alone. A rejection counts as a failed fetch (and backs off).
   */
  share(
    newerThan: number | undefined,
    fetchKeys: () => Promise<SharedKeySet>,
  ): Promise<SharedKeySet | undefined>
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
 * for each session it opens, `revoke` on sign-out and `revokeUser` to sign a user out everywhere. A store
 * that cannot be reached answers from what it knows in process; it never makes a request fail.
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
}

/** Tuning of the Plex key set cache. All durations are in seconds. */
export interface JwksCacheOptions {
  /** How long fetched keys are fresh. Default: the response's `Cache-Control: max-age` clamped to [60, 86400], else 600. */
  maxAge?: number
  /** Minimum gap between fetches caused by unknown key ids. Default 30. */
  cooldown?: number
  /** Abort a key fetch after this long (headers and body). Default 5. */
  timeout?: number
  /** After the keys expire and refreshing fails, keep using them this long. Default 86400. */
  staleIfError?: number
  /** Largest key set body accepted, counted while reading. Default 262144. */
  maxBytes?: number
  /** Most keys a key set may hold. Default 32. */
  maxKeys?: number
}

/** Something worth logging. Events never carry a token. */
export type PlexAuthEvent =
  | { type: 'keys_fetched'; url: string; keyCount: number; dropped: number; maxAge: number }
  | { type: 'keys_fetch_failed'; url: string; reason: KeyFetchFailure; retryIn: number }
  | { type: 'keys_stale'; age: number }
  | { type: 'keys_loaded'; source: 'keyStore'; keyCount: number }
  | { type: 'key_store_failed'; operation: 'load' | 'save' }
  | { type: 'kid_unknown'; kid?: string; refetch: boolean }
  | { type: 'plex_request_failed'; url: string; reason: PlexRequestFailure; status?: number; retryIn: number }
  | { type: 'access_stale'; machineIdentifier: string; age: number }
  | { type: 'cache_store_failed'; operation: 'get' | 'set' }

/**
 * Why a plex.tv lookup (`/api/v2/user`, `/api/v2/resources`, `/api/users`) proved nothing.
 *
 * @example
 * ```ts
 * onEvent: (event) => {
 *   if (event.type === 'plex_request_failed' && event.reason === 'rate_limited') log.warn('plex.tv said 429')
 * }
 * ```
 */
export type PlexRequestFailure =
  | 'timeout'
  | 'network'
  | 'status'
  | 'rate_limited'
  | 'redirect'
  | 'too_large'
  | 'invalid_body'

/** Why a key fetch failed. */
export type KeyFetchFailure =
  | 'timeout'
  | 'network'
  | 'status'
  | 'redirect'
  | 'too_large'
  | 'invalid_json'
  | 'invalid_jwks'
  | 'too_many_keys'
  | 'no_usable_keys'

/** Options of `createPlexVerifier`. Every option is optional; durations are in seconds. */
export interface PlexVerifierOptions {
  /** Where Plex publishes its keys. https only, except loopback hosts. Default `https://clients.plex.tv/api/v2/auth/keys`. */
  jwksUrl?: string
  /** A static key set. With `keys` and no `jwksUrl`, nothing is ever fetched. */
  keys?: PlexJwks
  /** The client identifier(s) of this app: `aud` must contain one of them. Strongly recommended. The first one is sent to plex.tv as `X-Plex-Client-Identifier`. */
  clientIdentifier?: string | readonly string[]
  /** Expected `iss`. Default `"plex.tv"`. */
  issuer?: string
  /** Leeway for `exp`, `iat` and `nbf`. Default 60, at most 300. */
  clockTolerance?: number
  /** Longest accepted `exp - iat`. Default 604800 (7 days). */
  maxTokenLifetime?: number
  /** Key set cache tuning. */
  jwks?: JwksCacheOptions
  /** Verified-token cache size (entries). 0 disables it. Default 10000. */
  tokenCacheSize?: number
  /** The fetch implementation used for keys (and legacy-token lookups). Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch
  /** Persists the last good key set across restarts. */
  keyStore?: KeyStore
  /** Receives events worth logging. Must not throw (errors it throws are ignored). */
  onEvent?: (event: PlexAuthEvent) => void
  /**
   * Also accept legacy (opaque) Plex tokens, by asking plex.tv (`GET /api/v2/user`) and caching the
   * answer. Needs `clientIdentifier` (plex.tv refuses requests without one). Default false.
   */
  legacyTokens?: boolean
  /** How long plex.tv's "valid" for a legacy token is trusted. Default 300. */
  legacyTokenTtl?: number
  /** How long plex.tv's "invalid" (401) for a legacy token is remembered; at most `legacyTokenTtl`. Default 30 (or `legacyTokenTtl` when shorter). */
  legacyTokenNegativeTtl?: number
  /** Most legacy-token lookups sent to plex.tv per second (a token bucket; beyond it, `PLEX_UNAVAILABLE`). Default 10. */
  legacyLookupsPerSecond?: number
  /**
   * A budget for legacy-token lookups shared by several instances (e.g. `@plexauth/redis`'s). When it answers,
   * it replaces the in-process `legacyLookupsPerSecond` bucket; when it cannot tell, that bucket decides.
   */
  legacyLookupBudget?: RateBudget
  /** Where legacy-token answers are kept, keyed by a SHA-256 hash of the token. Default an in-memory LRU of 10000. */
  legacyTokenCache?: CacheStore
  /** plex.tv's base URL (for a fake or a proxy). https only, except loopback hosts. Default `https://plex.tv`. */
  plexTvUrl?: string
  /** Abort a plex.tv lookup after this long (headers and body). Default 5. */
  plexTvTimeout?: number
}

/** Counters of a verifier since it was built. */
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
  verify(token: unknown): Promise<PlexIdentity>
  /** Fetches the keys now if none are cached. Resolves when keys are usable; rejects with `KEYS_UNAVAILABLE`. */
  ready(): Promise<void>
  /** Counters since creation. */
  stats(): PlexVerifierStats
}
