import {
  authenticatorOf,
  createScopeGuard,
  createServerAccessGuard,
  createUserGuard,
  type Guard,
  type ServerAccessOptions,
  type UserPredicate,
} from '@plexauth/core'
import type { RequestHandler } from 'express'
import { reject } from './plex-auth.js'

function guardHandler(guard: Guard): RequestHandler {
  return (req, res, next) => {
    new Promise<Awaited<ReturnType<Guard>>>((resolve) => resolve(guard(req.plex))).then(
      (identity) => {
        // A guard that decided something (server access) hands back the identity carrying it.
        if (identity) req.plex = identity
        next()
      },
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

/**
 * Middleware that lets a request through only when its user may use the Plex Media Server
 * `machineIdentifier` (the owner, or a user it is shared with), asking plex.tv with the user's own token
 * (`/api/v2/resources`, cached per user for `accessTtl`, default 10 minutes). Sets `req.plex.access`
 * (`{ machineIdentifier, owner, source, stale }`). 403 `ACCESS_DENIED` without access, 401 when
 * anonymous or when plex.tv rejects the token, 503 `PLEX_UNAVAILABLE` with `Retry-After` when plex.tv
 * cannot answer (unless a last known answer within `staleIfError` serves). With `ownerToken`, the owner's
 * friends list is a second source. Throws `TypeError` at once for bad options.
 *
 * @example
 * ```ts
 * app.get('/requests', requireServerAccess({ machineIdentifier: 'abc123' }), (req, res) => {
 *   res.json({ owner: req.plex?.access?.owner })
 * })
 * ```
 */
export function requireServerAccess(options: ServerAccessOptions): RequestHandler {
  return guardHandler(createServerAccessGuard(options, 'access'))
}

/**
 * Middleware that lets only the owner of the Plex Media Server `machineIdentifier` through (`owned` in
 * the owner's `/api/v2/resources`); otherwise as `requireServerAccess`.
 *
 * @example
 * ```ts
 * app.get('/settings', requireServerOwner({ machineIdentifier: 'abc123' }), handler)
 * ```
 */
export function requireServerOwner(options: ServerAccessOptions): RequestHandler {
  return guardHandler(createServerAccessGuard(options, 'owner'))
}
