import {
  createScopeGuard,
  createServerAccessGuard,
  createUserGuard,
  type Guard,
  type ServerAccessOptions,
  type UserPredicate,
} from '@plexauth/core'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { pluginAuthenticator, reject } from './plex-auth.js'

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

function preHandler(guard: Guard): PlexGuard {
  return async (request, reply) => {
    try {
      const identity = await guard(request.plex)
      // A guard that decided something (server access) hands back the identity carrying it.
      if (identity) request.plex = identity
    } catch (err) {
      return reject(pluginAuthenticator(request), err, request, reply)
    }
    return undefined
  }
}

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
export function requireScopes(...scopes: string[]): PlexGuard {
  return preHandler(createScopeGuard(scopes, 'all'))
}

/**
 * A `preHandler` that lets a request through when its token carries at least one of `scopes`.
 *
 * @example
 * ```ts
 * app.get('/contact', { preHandler: requireAnyScope('email', 'username') }, handler)
 * ```
 */
export function requireAnyScope(...scopes: string[]): PlexGuard {
  return preHandler(createScopeGuard(scopes, 'any'))
}

/**
 * A `preHandler` running the app's own check of the identity (sync or async): 403 `ACCESS_DENIED`
 * unless it returns `true`, 401 when the request is anonymous. A predicate that throws yields a 500.
 *
 * @example
 * ```ts
 * app.get('/admin', { preHandler: requireUser((identity) => identity.user.id === OWNER_ID) }, handler)
 * ```
 */
export function requireUser(predicate: UserPredicate): PlexGuard {
  return preHandler(createUserGuard(predicate))
}

/**
 * A `preHandler` that lets a request through only when its user may use the Plex Media Server
 * `machineIdentifier` (the owner, or a user it is shared with), asking plex.tv with the user's own token
 * (`/api/v2/resources`, cached per user for `accessTtl`, default 10 minutes). Sets `request.plex.access`
 * (`{ machineIdentifier, owner, source, stale }`). 403 `ACCESS_DENIED` without access, 401 when
 * anonymous or when plex.tv rejects the token, 503 `PLEX_UNAVAILABLE` with `Retry-After` when plex.tv
 * cannot answer (unless a last known answer within `staleIfError` serves). With `ownerToken`, the owner's
 * friends list is a second source. Throws `TypeError` at once for bad options.
 *
 * @example
 * ```ts
 * app.get('/requests', { preHandler: requireServerAccess({ machineIdentifier: 'abc123' }) }, async (request) =>
 *   ({ owner: request.plex?.access?.owner }))
 * ```
 */
export function requireServerAccess(options: ServerAccessOptions): PlexGuard {
  return preHandler(createServerAccessGuard(options, 'access'))
}

/**
 * A `preHandler` that lets only the owner of the Plex Media Server `machineIdentifier` through (`owned`
 * in the owner's `/api/v2/resources`); otherwise as `requireServerAccess`.
 *
 * @example
 * ```ts
 * app.get('/settings', { preHandler: requireServerOwner({ machineIdentifier: 'abc123' }) }, handler)
 * ```
 */
export function requireServerOwner(options: ServerAccessOptions): PlexGuard {
  return preHandler(createServerAccessGuard(options, 'owner'))
}
