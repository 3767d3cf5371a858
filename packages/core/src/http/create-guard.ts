import type { PlexIdentity } from '../jwt/identity-types.js'
import { PlexAuthError } from '../lib/errors.js'
import { fail } from '../lib/options.js'
import { ServerAccessChecker, type ServerAccessOptions, withAccess } from '../plex-tv/server-access.js'

/**
 * A route check run after authentication: resolves when the request may proceed, throws a
 * `PlexAuthError` (401 when unauthenticated, 403 otherwise, 503 when a service it needs is down) when
 * it may not. A guard may resolve to a new identity (e.g. carrying `access`): adapters then attach it to
 * the request in place of the one they had. Adapters wrap guards in their framework's middleware.
 *
 * @example
 * ```ts
 * const guard: Guard = (identity) => {
 *   if (identity?.user.restricted === true) throw new PlexAuthError('ACCESS_DENIED')
 * }
 * ```
 */
export type Guard = (
  identity: PlexIdentity | undefined | null,
  // biome-ignore lint/suspicious/noConfusingVoidType: a guard that only checks returns nothing at all
) => PlexIdentity | undefined | void | Promise<PlexIdentity | undefined | void>

/**
 * A user check for `requireUser`; may be async.
 *
 * @example
 * ```ts
 * const isOwner: UserPredicate = (identity) => identity.user.id === 123456
 * ```
 */
export type UserPredicate = (identity: PlexIdentity) => boolean | Promise<boolean>

const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/

function authenticated(identity: PlexIdentity | undefined | null): PlexIdentity {
  if (identity === undefined || identity === null) throw new PlexAuthError('TOKEN_MISSING')
  return identity
}

/**
 * A guard requiring scopes: `'all'` of them (`requireScopes`) or `'any'` one (`requireAnyScope`).
 * Throws `TypeError` at construction for an empty list or a value that is not a scope token.
 *
 * @example
 * ```ts
 * const guard = createScopeGuard(['email'], 'all')
 * guard(identity) // throws PlexAuthError('INSUFFICIENT_SCOPE') when identity lacks "email"
 * ```
 */
export function createScopeGuard(scopes: readonly unknown[], mode: 'all' | 'any'): Guard {
  if (scopes.length === 0 || !scopes.every((s) => typeof s === 'string' && SCOPE.test(s))) {
    throw new TypeError('plexauth: scopes must be one or more scope names (no spaces, quotes or backslashes)')
  }
  const required = Object.freeze([...new Set(scopes as string[])])
  return (identity) => {
    const { scopes: granted } = authenticated(identity)
    const ok =
      mode === 'all' ? required.every((s) => granted.includes(s)) : required.some((s) => granted.includes(s))
    if (!ok) throw new PlexAuthError('INSUFFICIENT_SCOPE', { scopes: required })
  }
}

/**
 * A guard running an app's own check of the identity (sync or async). `false` → `ACCESS_DENIED` (403).
 * An exception in the predicate propagates and becomes a fail-closed 500.
 *
 * @example
 * ```ts
 * const ownerOnly = createUserGuard((id) => id.user.id === OWNER_ID)
 * ```
 */
export function createUserGuard(predicate: UserPredicate): Guard {
  if (typeof predicate !== 'function') throw new TypeError('plexauth: requireUser needs a predicate function')
  return async (identity) => {
    if ((await predicate(authenticated(identity))) !== true) throw new PlexAuthError('ACCESS_DENIED')
  }
}

/**
 * A guard requiring access to a Plex Media Server (`mode` `'access'`: owner or shared with) or its
 * ownership (`'owner'`), checked with plex.tv as `ServerAccessChecker` describes. It resolves to a new
 * frozen identity carrying the decision in `access`, which adapters attach to the request. 401 when the
 * request is anonymous or plex.tv rejects the user's token (`TOKEN_INVALID`, or `TOKEN_EXPIRED` for its
 * 498), 403 `ACCESS_DENIED` without access, 503
 * `PLEX_UNAVAILABLE` (with `Retry-After`) when plex.tv cannot answer and no stale answer is usable.
 * Throws `TypeError` at construction for bad options.
 *
 * @example
 * ```ts
 * const guard = createServerAccessGuard({ machineIdentifier: 'abc123', ownerId: 123456 }, 'owner')
 * const withAccess = await guard(identity) // identity.access: { owner: true, source: 'resources', … }
 * ```
 */
export function createServerAccessGuard(
  options: ServerAccessOptions,
  mode: 'access' | 'owner' = 'access',
): Guard {
  if (mode !== 'access' && mode !== 'owner') fail("mode must be 'access' or 'owner'")
  const checker = new ServerAccessChecker(options)
  if (!checker.knowsOwner) {
    fail(
      `${mode === 'owner' ? 'requireServerOwner' : 'requireServerAccess'} needs ownerId (the owner's Plex ` +
        "account id) or ownerToken: a user's own /api/v2/resources lists devices that clients registered " +
        'themselves, so it cannot tell who owns the server',
    )
  }
  return async (identity) => {
    if (identity === undefined || identity === null) throw new PlexAuthError('TOKEN_MISSING')
    const access = await checker.check(identity)
    if (mode === 'owner' && !access.owner) throw new PlexAuthError('ACCESS_DENIED')
    return withAccess(identity, access)
  }
}
