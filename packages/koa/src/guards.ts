import type { ServerAccessOptions, UserPredicate } from '@plexauth/core'
import { authenticatorOf, createGuards } from '@plexauth/core/adapter'
import type { Middleware } from 'koa'
import { type PlexAuthState, reject } from './plex-auth.js'

const guards = createGuards<Middleware<PlexAuthState>>((guard) => async (ctx, next) => {
  try {
    const identity = await guard(ctx.state.plex)
    // A guard that decided something (server access) hands back the identity carrying it.
    if (identity) ctx.state.plex = identity
  } catch (err) {
    reject(authenticatorOf(ctx.state), err, ctx)
    return
  }
  await next()
})

/**
 * Middleware that lets a request through only when its token carries every one of `scopes`:
 * 403 `insufficient_scope` (with `scope="…"`) when one is missing, 401 when the request is anonymous.
 * Throws `TypeError` at once when no scope is given.
 *
 * @example
 * ```ts
 * router.get('/mail', requireScopes('email'), (ctx) => { ctx.body = ctx.state.plex?.user.email })
 * ```
 */
export const requireScopes: (...scopes: string[]) => Middleware<PlexAuthState> = guards.requireScopes

/**
 * Middleware that lets a request through when its token carries at least one of `scopes`.
 *
 * @example
 * ```ts
 * router.get('/contact', requireAnyScope('email', 'username'), handler)
 * ```
 */
export const requireAnyScope: (...scopes: string[]) => Middleware<PlexAuthState> = guards.requireAnyScope

/**
 * Middleware running the app's own check of the identity (sync or async): 403 `ACCESS_DENIED` unless
 * it returns `true`, 401 when the request is anonymous. A predicate that throws yields a 500.
 *
 * @example
 * ```ts
 * router.get('/admin', requireUser((identity) => identity.user.id === 123456), handler)
 * ```
 */
export const requireUser: (predicate: UserPredicate) => Middleware<PlexAuthState> = guards.requireUser

/**
 * Middleware that lets a request through only when its user may use the Plex Media Server
 * `machineIdentifier` (the owner, or a user it is shared with), and sets `ctx.state.plex.access`
 * (`{ machineIdentifier, owner, source, stale }`); the full behaviour is `PlexGuards.requireServerAccess`
 * in `@plexauth/core/adapter`. 403 `ACCESS_DENIED` without access, 401 when anonymous, 503
 * `PLEX_UNAVAILABLE` with `Retry-After` when plex.tv cannot answer. Throws `TypeError` at once for bad options.
 *
 * @example
 * ```ts
 * router.get('/requests', requireServerAccess({ machineIdentifier: 'abc123', ownerId: 123456 }), (ctx) => {
 *   ctx.body = { owner: ctx.state.plex?.access?.owner }
 * })
 * ```
 */
export const requireServerAccess: (options: ServerAccessOptions) => Middleware<PlexAuthState> =
  guards.requireServerAccess

/**
 * Middleware that lets only the owner of the Plex Media Server `machineIdentifier` through (`owned` in
 * the owner's `/api/v2/resources`); otherwise as `requireServerAccess`.
 *
 * @example
 * ```ts
 * router.get('/settings', requireServerOwner({ machineIdentifier: 'abc123', ownerId: 123456 }), handler)
 * ```
 */
export const requireServerOwner: (options: ServerAccessOptions) => Middleware<PlexAuthState> =
  guards.requireServerOwner
