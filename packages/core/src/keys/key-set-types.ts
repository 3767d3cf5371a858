/**
 * A JSON Web Key as published by Plex (`OKP` / `Ed25519`). Other members are tolerated and ignored.
 *
 * @example
 * ```ts
 * const jwk: PlexJwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1', alg: 'EdDSA' }
 * ```
 */
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

/**
 * A JSON Web Key Set: `{ keys: [...] }`, the body of `GET /api/v2/auth/keys`.
 *
 * @example
 * ```ts
 * const jwks: PlexJwks = await (await fetch(PLEX_JWKS_URL)).json() as PlexJwks
 * const kids = jwks.keys.map((key) => key.kid)
 * ```
 */
export interface PlexJwks {
  keys: PlexJwk[]
}

/**
 * Persists the last good key set across restarts. Both methods may be sync or async.
 *
 * @example
 * ```ts
 * import { readFile, writeFile } from 'node:fs/promises'
 * import { createPlexVerifier, type KeyStore, type PlexJwks } from '@plexauth/core'
 *
 * const keyStore: KeyStore = {
 *   load: async () => JSON.parse(await readFile('plex-keys.json', 'utf8').catch(() => 'null')) as PlexJwks | null,
 *   save: (jwks) => writeFile('plex-keys.json', JSON.stringify(jwks)),
 * }
 * const verifier = createPlexVerifier({ clientIdentifier: 'my-app', keyStore })
 * ```
 */
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
 * const jwks: PlexJwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' }] }
 * const shared: SharedKeySet = { jwks, fetchedAt: Date.now(), maxAge: 600 }
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
 * // Two verifiers in one process sharing one slot: a fleet of two, without Redis.
 * let slot: SharedKeySet | undefined
 * const store: SharingKeyStore = {
 *   load: () => undefined,
 *   save: () => {},
 *   share: async (newerThan, fetchKeys) => {
 *     if (slot !== undefined && (newerThan === undefined || slot.fetchedAt > newerThan)) return slot
 *     slot = await fetchKeys()
 *     return slot
 *   },
 * }
 * const first = createPlexVerifier({ clientIdentifier: 'my-app', keyStore: store })
 * const second = createPlexVerifier({ clientIdentifier: 'my-app', keyStore: store })
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
 * Tuning of the Plex key set cache. All durations are in seconds.
 *
 * @example
 * ```ts
 * const jwks: JwksCacheOptions = { maxAge: 3600, staleIfError: 7 * 86400 }
 * const verifier = createPlexVerifier({ clientIdentifier: 'my-app', jwks })
 * ```
 */
export interface JwksCacheOptions {
  /**
   * How long fetched keys are fresh. Default: the response's `Cache-Control: max-age` clamped to [60, 86400], else 600.
   * @default 600
   */
  maxAge?: number
  /**
   * Minimum gap between fetches caused by unknown key ids.
   * @default 30
   */
  cooldown?: number
  /**
   * Abort a key fetch after this long (headers and body).
   * @default 5
   */
  timeout?: number
  /**
   * After the keys expire and refreshing fails, keep using them this long.
   * @default 86400
   */
  staleIfError?: number
  /**
   * Largest key set body accepted, counted while reading.
   * @default 262144
   */
  maxBytes?: number
  /**
   * Most keys a key set may hold.
   * @default 32
   */
  maxKeys?: number
}
