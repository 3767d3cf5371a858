import { createScopeGuard, createUserGuard, type Guard, type UserPredicate } from '@plexauth/core'
import type { Middleware } from 'koa'
import { authenticatorOf, type PlexAuthState, reject } from './plex-auth.js'

function guardMiddleware(guard: Guard): Middleware<PlexAuthState> {
  return async (ctx, next) => {
    try {
      await guard(ctx.state.plex)
    } catch (err) {
      reject(authenticatorOf(ctx.req), err, ctx)
      return
    }
    await next()
  }
}

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
export function requireScopes(...scopes: string[]): Middleware<PlexAuthState> {
  return guardMiddleware(createScopeGuard(scopes, 'all'))
}

/**
 * Middleware that lets a request through when its token carries at least one of `scopes`.
 *
 * @example
 * ```ts
 * router.get('/contact', requireAnyScope('email', 'username'), handler)
 * ```
 */
export function requireAnyScope(...scopes: string[]): Middleware<PlexAuthState> {
  return guardMiddleware(createScopeGuard(scopes, 'any'))
}

/**
 * Middleware running the app's own check of the identity (sync or async): 403 `ACCESS_DENIED` unless
 * it returns `true`, 401 when the request is anonymous. A predicate that throws yields a 500.
 *
 * @example
 * ```ts
 * router.get('/admin', requireUser((identity) => identity.user.id === OWNER_ID), handler)
 * ```
 */
export function requireUser(predicate: UserPredicate): Middleware<PlexAuthState> {
  return guardMiddleware(createUserGuard(predicate))
}
