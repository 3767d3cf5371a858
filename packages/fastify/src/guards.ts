import { createScopeGuard, createUserGuard, type Guard, type UserPredicate } from '@plexauth/core'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { authenticatorOf, reject } from './plex-auth.js'

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
      await guard(request.plex)
    } catch (err) {
      return reject(authenticatorOf(request), err, request, reply)
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
