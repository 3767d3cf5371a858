import type { PlexAuthErrorCode } from './errors.js'

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
 * What a verified token tells the app. Deeply frozen: the same object may serve many requests.
 * `token` is not enumerable, so `JSON.stringify(identity)` never echoes it.
 *
 * @example
 * ```ts
 * const identity = await verifier.verify(token)
 * identity.user.id          // 123456
 * identity.scopes           // ['username', 'email']
 * ```
 */
export interface PlexIdentity {
  /** How the identity was established: a locally verified Plex JWT. */
  readonly kind: 'jwt'
  readonly user: PlexUser
  /** From a `scope` claim when present, otherwise the user fields the token carries. */
  readonly scopes: readonly string[]
  /** The audience entry that matched `clientIdentifier`, or the first non-`plex.tv` audience. */
  readonly clientIdentifier?: string
  /** The `kid` of the device key the client registered with Plex. */
  readonly thumbprint: string
  /** `iat`, seconds since the epoch. */
  readonly issuedAt: number
  /** `exp`, seconds since the epoch. */
  readonly expiresAt: number
  /** Every claim of the token, frozen. */
  readonly claims: Readonly<Record<string, unknown>>
  /** The raw token (not enumerable). */
  readonly token: string
}

/** Where a token may be read from. `query` (`?X-Plex-Token=`) is off unless named. */
export type TokenSource = 'authorization' | 'x-plex-token' | 'query'

/** Persists the last good key set across restarts. Both methods may be sync or async. */
export interface KeyStore {
  load(): PlexJwks | undefined | null | Promise<PlexJwks | undefined | null>
  save(jwks: PlexJwks): void | Promise<void>
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
  /** The client identifier(s) of this app: `aud` must contain one of them. Strongly recommended. */
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
  /** The fetch implementation used for keys. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch
  /** Persists the last good key set across restarts. */
  keyStore?: KeyStore
  /** Receives events worth logging. Must not throw (errors it throws are ignored). */
  onEvent?: (event: PlexAuthEvent) => void
}

/** Counters of a verifier since it was built. */
export interface PlexVerifierStats {
  verified: number
  cacheHits: number
  rejected: Partial<Record<PlexAuthErrorCode, number>>
  keyFetches: number
  keyFetchFailures: number
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
