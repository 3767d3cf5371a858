import type { ServerAccessOptions, UserPredicate } from '@plexauth/core'
import { createGuards, type Guard } from '@plexauth/core/adapter'
import type { RequestHandler } from 'express'
import { reject } from './plex-auth.js'
import { authenticatorOfRequest } from './request-state.js'

const guards = createGuards<RequestHandler>((guard: Guard) => (req, res, next) => {
  new Promise<Awaited<ReturnType<Guard>>>((resolve) => resolve(guard(req.plex))).then(
    (identity) => {
      // A guard that decided something (server access) hands back the identity carrying it.
      if (identity) req.plex = identity
      next()
    },
    (err: unknown) => reject(authenticatorOfRequest(req), err, res, next),
  )
})

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
export const requireScopes: (...scopes: string[]) => RequestHandler = guards.requireScopes

/**
 * Middleware that lets a request through when its token carries at least one of `scopes`.
 *
 * @example
 * ```ts
 * app.get('/contact', requireAnyScope('email', 'username'), handler)
 * ```
 */
export const requireAnyScope: (...scopes: string[]) => RequestHandler = guards.requireAnyScope

/**
 * Middleware running the app's own check of the identity (sync or async): 403 `ACCESS_DENIED` unless
 * it returns `true`, 401 when the request is anonymous. A predicate that throws yields a 500.
 *
 * @example
 * ```ts
 * app.get('/admin', requireUser((identity) => identity.user.id === 123456), handler)
 * ```
 */
export const requireUser: (predicate: UserPredicate) => RequestHandler = guards.requireUser

/**
 * Middleware that lets a request through only when its user may use the Plex Media Server
 * `machineIdentifier` (the owner, or a user it is shared with), and sets `req.plex.access`
 * (`{ machineIdentifier, owner, source, stale }`); the full behaviour is `PlexGuards.requireServerAccess`
 * in `@plexauth/core/adapter`. 403 `ACCESS_DENIED` without access, 401 when anonymous, 503
 * `PLEX_UNAVAILABLE` with `Retry-After` when plex.tv cannot answer. Throws `TypeError` at once for bad options.
 *
 * @example
 * ```ts
 * app.get('/requests', requireServerAccess({ machineIdentifier: 'abc123', ownerId: 123456 }), (req, res) => {
 *   res.json({ owner: req.plex?.access?.owner })
 * })
 * ```
 */
export const requireServerAccess: (options: ServerAccessOptions) => RequestHandler =
  guards.requireServerAccess

/**
 * Middleware that lets only the owner of the Plex Media Server `machineIdentifier` through (`owned` in
 * the owner's `/api/v2/resources`); otherwise as `requireServerAccess`.
 *
 * @example
 * ```ts
 * app.get('/settings', requireServerOwner({ machineIdentifier: 'abc123', ownerId: 123456 }), handler)
 * ```
 */
export const requireServerOwner: (options: ServerAccessOptions) => RequestHandler = guards.requireServerOwner
