import { createScopeGuard, createUserGuard, type Guard, type UserPredicate } from '@plexauth/core'
import type { RequestHandler } from 'express'
import { authenticatorOf, reject } from './plex-auth.js'

function guardHandler(guard: Guard): RequestHandler {
  return (req, res, next) => {
    new Promise<void>((resolve) => resolve(guard(req.plex))).then(
      () => next(),
      (err: unknown) => reject(authenticatorOf(req), err, res, next),
    )
  }
}

/**
 * Middleware that lets a request through only when its token carries every one of `scopes`:
 * 403 `insufficient_scope` (with `scope="…"`) when one is missing, 401 when the request is anonymous.
 * Throws `TypeError` at once when no scope is given.
 *
 * @example
 * ```ts
 * app.get('/mail', requireScopes('email'), (req, res) => res.json({ to: req.plex?.user.email }))
 * ```
 */
export function requireScopes(...scopes: string[]): RequestHandler {
  return guardHandler(createScopeGuard(scopes, 'all'))
}

/**
 * Middleware that lets a request through when its token carries at least one of `scopes`.
 *
 * @example
 * ```ts
 * app.get('/contact', requireAnyScope('email', 'username'), handler)
 * ```
 */
export function requireAnyScope(...scopes: string[]): RequestHandler {
  return guardHandler(createScopeGuard(scopes, 'any'))
}

/**
 * Middleware running the app's own check of the identity (sync or async): 403 `ACCESS_DENIED` unless
 * it returns `true`, 401 when the request is anonymous. A predicate that throws yields a 500.
 *
 * @example
 * ```ts
 * app.get('/admin', requireUser((identity) => identity.user.id === OWNER_ID), handler)
 * ```
 */
export function requireUser(predicate: UserPredicate): RequestHandler {
  return guardHandler(createUserGuard(predicate))
}
