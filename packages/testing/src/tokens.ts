import { createHash, randomUUID } from 'node:crypto'
import type { PrivateKeyLike } from './jwt.js'
import { mergeDefined } from './merge.js'

/**
 * A Plex account as it appears in the `user` claim of a Plex JWT (snake_case `friendly_name`).
 *
 * @example
 * ```ts
 * const user: PlexTokenUser = { id: 42, uuid: 'a1b2c3', username: 'alice' }
 * ```
 */
export interface PlexTokenUser {
  id: number
  uuid: string
  username?: string
  email?: string
  friendly_name?: string
  restricted?: boolean
  anonymous?: boolean
  joinedAt?: number
}

/**
 * The account tokens describe unless told otherwise.
 *
 * @example
 * ```ts
 * const identity = await verifier.verify(plex.issueToken())
 * expect(identity.user).toMatchObject({ id: DEFAULT_USER.id })
 * ```
 */
export const DEFAULT_USER: Readonly<Required<PlexTokenUser>> = Object.freeze({
  id: 123456,
  uuid: '0f1e2d3c4b5a6978',
  username: 'plexuser',
  email: 'plexuser@example.com',
  friendly_name: 'Plex User',
  restricted: false,
  anonymous: false,
  joinedAt: 1_500_000_000,
})

/**
 * The scopes tokens are issued for unless told otherwise: they decide which user fields the token carries.
 *
 * @example
 * ```ts
 * plex.issueToken({ scopes: [...DEFAULT_SCOPES, 'restricted'] })
 * ```
 */
export const DEFAULT_SCOPES: readonly string[] = Object.freeze(['username', 'email', 'friendly_name'])

/**
 * The `aud` entry next to `plex.tv` unless told otherwise.
 *
 * @example
 * ```ts
 * import { createPlexVerifier } from '@plexauth/core'
 * import { createFakePlex, DEFAULT_CLIENT_IDENTIFIER } from '@plexauth/testing'
 *
 * await using plex = await createFakePlex()
 * createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER })
 * ```
 */
export const DEFAULT_CLIENT_IDENTIFIER = 'plexauth-test-app'

/**
 * `exp - iat` of a Plex JWT: 7 days, in seconds.
 *
 * @example
 * ```ts
 * plex.issueToken({ expiresIn: PLEX_TOKEN_LIFETIME + 1 })
 * ```
 */
export const PLEX_TOKEN_LIFETIME = 604_800

/**
 * The `thumbprint` claim unless told otherwise: the kid of a pretend device key.
 *
 * @example
 * ```ts
 * expect(identity.kind === 'jwt' && identity.thumbprint).toBe(DEFAULT_THUMBPRINT)
 * ```
 */
export const DEFAULT_THUMBPRINT = createHash('sha256').update('plexauth-test-device').digest('base64url')

/**
 * What `issueToken` may change. Every member is optional.
 *
 * @example
 * ```ts
 * plex.issueToken({ user: { id: 7 }, scopes: ['username'], expiresIn: 60, claims: { nonce: undefined } })
 * ```
 */
export interface IssueTokenOptions {
  /** Merged over the fake's account after scope filtering, so fields named here are always present; `undefined` deletes one. */
  user?: { [K in keyof PlexTokenUser]?: PlexTokenUser[K] | undefined }
  /**
   * Which user fields beyond `id` and `uuid` the token carries. Default `DEFAULT_SCOPES`.
   * @default DEFAULT_SCOPES
   */
  scopes?: readonly string[]
  /**
   * The second `aud` entry. Default `DEFAULT_CLIENT_IDENTIFIER`.
   * @default DEFAULT_CLIENT_IDENTIFIER
   */
  clientIdentifier?: string
  /**
   * `exp - iat`, in seconds. Default 7 days.
   * @default 7 * 86400
   */
  expiresIn?: number
  /**
   * `iat`, in seconds. Default `Date.now()` (so fake timers apply).
   * @default Date.now()
   */
  issuedAt?: number
  /** Merged over the claims last; `undefined` deletes a claim. */
  claims?: Record<string, unknown>
  /** Merged over `{ kid, typ: 'JWT', alg: 'EdDSA' }`; `undefined` deletes a member. */
  header?: Record<string, unknown>
  /** Sign with this key of the fake (published or not) instead of the signing key; also the header `kid`. */
  kid?: string
  /** Sign with a foreign key (a bad signature); the header still names the fake's key unless `header` says otherwise. */
  signWith?: PrivateKeyLike
}

export function plexClaims(account: PlexTokenUser, options: IssueTokenOptions): Record<string, unknown> {
  const scopes = new Set(options.scopes ?? DEFAULT_SCOPES)
  const scoped = Object.fromEntries(
    Object.entries(account).filter(([field]) => field === 'id' || field === 'uuid' || scopes.has(field)),
  )
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000)
  const claims = {
    nonce: randomUUID(),
    thumbprint: DEFAULT_THUMBPRINT,
    user: mergeDefined(scoped, options.user),
    iss: 'plex.tv',
    aud: ['plex.tv', options.clientIdentifier ?? DEFAULT_CLIENT_IDENTIFIER],
    iat,
    exp: iat + (options.expiresIn ?? PLEX_TOKEN_LIFETIME),
  }
  return mergeDefined(claims, options.claims)
}

export function plexHeader(
  kid: string,
  override: Record<string, unknown> | undefined,
): Record<string, unknown> {
  return mergeDefined({ kid, typ: 'JWT', alg: 'EdDSA' }, override)
}
