/**
 * The signed-in Plex account, as the token describes it. Optional fields depend on the scopes asked for.
 *
 * @example
 * ```ts
 * const user: PlexUser = identity.user
 * const name = user.friendlyName ?? user.username ?? String(user.id)
 * ```
 */
export interface PlexUser {
  /** The Plex account id. */
  readonly id: number
  readonly uuid: string
  readonly username?: string
  readonly email?: string
  /** `friendly_name` in the token. */
  readonly friendlyName?: string
  /** True for a managed user (a Plex Home member with restrictions); such users may have no email or username. */
  readonly restricted?: boolean
  readonly anonymous?: boolean
  /** True when the account belongs to a Plex Home (`home` of `/api/v2/user`). */
  readonly home?: boolean
  /** `joinedAt` in the token: seconds since the epoch. */
  readonly joinedAt?: number
}

/**
 * The session an identity came from, when it was read from plexauth's session cookie.
 *
 * @example
 * ```ts
 * const left = identity.session ? identity.session.expiresAt - Date.now() / 1000 : undefined // seconds
 * ```
 */
export interface PlexSessionInfo {
  /** The session's random id: what a `SessionRevocationStore` revokes. */
  readonly id: string
  /** When the user signed in, seconds since the epoch. */
  readonly issuedAt: number
  /** When the session ends at the latest, seconds since the epoch. */
  readonly expiresAt: number
}

/**
 * Whether a user may use a given Plex Media Server, as `requireServerAccess` / `requireServerOwner`
 * decided it; exposed as `identity.access` (`req.plex.access`) on the routes they guard.
 *
 * @example
 * ```ts
 * // On a route guarded by requireServerAccess({ machineIdentifier, ownerId }):
 * const showEveryonesRequests = identity.access?.owner === true
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
  /** Set by `requireServerAccess` / `requireServerOwner` on the routes they guard, or by the session cookie. */
  readonly access?: ServerAccess
  /** Present when the identity came from the session cookie. */
  readonly session?: PlexSessionInfo
  /** What the app's `onLogin` returned at sign-in, kept in the session. */
  readonly app?: unknown
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
  // `never`, not `undefined`: under `exactOptionalPropertyTypes` an optional `undefined` would not extend the
  // base's optional record, and every user with that setting and `skipLibCheck: false` would see the error.
  readonly claims?: never
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
 * if (identity.kind === 'jwt') console.log(identity.thumbprint)
 * ```
 */
export type PlexIdentity = PlexJwtIdentity | PlexLegacyIdentity
