import type { ServerAccessOptions, UserPredicate } from '@plexauth/core'
import { authenticatorOf, createGuards } from '@plexauth/core/adapter'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { reject } from './plex-auth.js'

/**
 * A route check usable as a `preHandler`, e.g. from `requireScopes`.
 *
 * @example
 * ```ts
 * const mailOnly: PlexGuard = requireScopes('email')
 * app.get('/mail', { preHandler: mailOnly }, handler)
 * ```
 */
export type PlexGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>

const guards = createGuards<PlexGuard>((guard) => async (request, reply) => {
  try {
    const identity = await guard(request.plex)
    // A guard that decided something (server access) hands back the identity carrying it.
    if (identity) request.plex = identity
  } catch (err) {
    return reject(authenticatorOf(request), err, request, reply)
  }
  return undefined
})

/**
 * A `preHandler` that lets a request through only when its token carries every one of `scopes`:
 * 403 `insufficient_scope` (with `scope="…"`) when one is missing, 401 when the request is anonymous.
 * Throws `TypeError` at once when no scope is given.
 *
 * @example
 * ```ts
 * app.get('/mail', { preHandler: requireScopes('email') }, async (request) => request.plex?.user.email)
 * ```
 */
export const requireScopes: (...scopes: string[]) => PlexGuard = guards.requireScopes

/**
 * A `preHandler` that lets a request through when its token carries at least one of `scopes`.
 *
 * @example
 * ```ts
 * app.get('/contact', { preHandler: requireAnyScope('email', 'username') }, handler)
 * ```
 */
export const requireAnyScope: (...scopes: string[]) => PlexGuard = guards.requireAnyScope

/**
 * A `preHandler` running the app's own check of the identity (sync or async): 403 `ACCESS_DENIED`
 * unless it returns `true`, 401 when the request is anonymous. A predicate that throws yields a 500.
 *
 * @example
 * ```ts
 * app.get('/admin', { preHandler: requireUser((identity) => identity.user.id === 123456) }, handler)
 * ```
 */
export const requireUser: (predicate: UserPredicate) => PlexGuard = guards.requireUser

/**
 * A `preHandler` that lets a request through only when its user may use the Plex Media Server
 * `machineIdentifier` (the owner, or a user it is shared with), and sets `request.plex.access`
 * (`{ machineIdentifier, owner, source, stale }`); the full behaviour is `PlexGuards.requireServerAccess`
 * in `@plexauth/core/adapter`. 403 `ACCESS_DENIED` without access, 401 when anonymous, 503
 * `PLEX_UNAVAILABLE` with `Retry-After` when plex.tv cannot answer. Throws `TypeError` at once for bad options.
 *
 * @example
 * ```ts
 * app.get('/requests', { preHandler: requireServerAccess({ machineIdentifier: 'abc123', ownerId: 123456 }) }, async (request) =>
 *   ({ owner: request.plex?.access?.owner }))
 * ```
 */
export const requireServerAccess: (options: ServerAccessOptions) => PlexGuard = guards.requireServerAccess

/**
 * A `preHandler` that lets only the owner of the Plex Media Server `machineIdentifier` through (`owned`
 * in the owner's `/api/v2/resources`); otherwise as `requireServerAccess`.
 *
 * @example
 * ```ts
 * app.get('/settings', { preHandler: requireServerOwner({ machineIdentifier: 'abc123', ownerId: 123456 }) }, handler)
 * ```
 */
export const requireServerOwner: (options: ServerAccessOptions) => PlexGuard = guards.requireServerOwner
