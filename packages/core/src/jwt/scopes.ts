/**
 * The scopes Plex knows, in the order plexauth lists them. They only decide which user fields plex.tv copies
 * into a token (and which a legacy token's account answer implies); none grants any right on a Plex Media
 * Server (`shared_user`, `admin` and the like do not exist).
 *
 * @example
 * ```ts
 * PLEX_SCOPES.includes('email') // true
 * ```
 */
export const PLEX_SCOPES = Object.freeze([
  'username',
  'email',
  'friendly_name',
  'restricted',
  'anonymous',
  'joinedAt',
] as const)

/**
 * One of `PLEX_SCOPES`.
 *
 * @example
 * ```ts
 * const scopes: PlexScope[] = ['username', 'email']
 * ```
 */
export type PlexScope = (typeof PLEX_SCOPES)[number]

const KNOWN: ReadonlySet<string> = new Set(PLEX_SCOPES)

/**
 * True for a scope Plex knows.
 *
 * @example
 * ```ts
 * isPlexScope('admin') // false
 * ```
 */
export function isPlexScope(value: unknown): value is PlexScope {
  return typeof value === 'string' && KNOWN.has(value)
}

/**
 * The scopes of a `scope` claim: Plex writes them comma-separated (`"username,email"`), OAuth space-separated;
 * both are read, empty entries dropped. The one reading of a token's scope claim (core's verifier, the fake's
 * device JWTs).
 *
 * @example
 * ```ts
 * splitScopes('username, email') // ['username', 'email']
 * ```
 */
export function splitScopes(scope: string): string[] {
  return scope.split(/[\s,]+/).filter(Boolean)
}
