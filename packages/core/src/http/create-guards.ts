import type { ServerAccessOptions } from '../plex-tv/server-access.js'
import {
  createScopeGuard,
  createServerAccessGuard,
  createUserGuard,
  type Guard,
  type UserPredicate,
} from './create-guard.js'

/**
 * The five route checks every adapter offers, each returning the framework's own handler type
 * (Express `RequestHandler`, a Fastify `preHandler`, Koa `Middleware`). Each throws `TypeError` at once
 * for a bad argument, when the route is declared.
 *
 * @example
 * ```ts
 * import type { RequestHandler } from 'express'
 * import { createGuards, type Guard, type PlexGuards } from '@plexauth/core/adapter'
 *
 * declare function toRequestHandler(guard: Guard): RequestHandler // the adapter's translation
 * const guards: PlexGuards<RequestHandler> = createGuards(toRequestHandler)
 * const requireMail: RequestHandler = guards.requireScopes('email')
 * ```
 */
export interface PlexGuards<Handler> {
  /**
   * Lets a request through only when its token carries every one of `scopes`: 403
   * `insufficient_scope` (with `scope="…"`) when one is missing, 401 when the request is anonymous.
   * `TypeError` when no scope is given.
   */
  requireScopes(...scopes: string[]): Handler
  /** Lets a request through when its token carries at least one of `scopes`; otherwise as `requireScopes`. */
  requireAnyScope(...scopes: string[]): Handler
  /**
   * Runs the app's own check of the identity (sync or async): 403 `ACCESS_DENIED` unless it returns
   * `true`, 401 when the request is anonymous. A predicate that throws yields a 500.
   */
  requireUser(predicate: UserPredicate): Handler
  /**
   * Lets a request through only when its user may use the Plex Media Server `machineIdentifier` (the
   * owner, or a user it is shared with), asking plex.tv with the user's own token (`/api/v2/resources`,
   * cached per user for `accessTtl`: 10 minutes unless set), and attaches the decision as the identity's
   * `access` (`{ machineIdentifier, owner, source, stale }`). 403 `ACCESS_DENIED` without access, 401 when
   * anonymous or when plex.tv rejects the token, 503 `PLEX_UNAVAILABLE` with `Retry-After` when plex.tv
   * cannot answer (unless a last known answer within `staleIfError` serves). With `ownerToken`, the
   * owner's friends list is a second source. `TypeError` for bad options.
   */
  requireServerAccess(options: ServerAccessOptions): Handler
  /**
   * Lets only the owner of the Plex Media Server `machineIdentifier` through (`owned` in the owner's
   * `/api/v2/resources`); otherwise as `requireServerAccess`.
   */
  requireServerOwner(options: ServerAccessOptions): Handler
}

/**
 * Writes the route checks once for a framework: `toHandler` turns a core `Guard` into the framework's
 * handler (run the guard on the request's identity, attach the identity it resolves to, answer its
 * error through `authenticatorOf(request)`), and every check of `PlexGuards` is built on it.
 *
 * @example
 * ```ts
 * import type { PlexIdentity } from '@plexauth/core'
 * import { createGuards } from '@plexauth/core/adapter'
 * import type { RequestHandler } from 'express'
 *
 * const identities = new WeakMap<object, PlexIdentity>() // what authentication attached
 * const guards = createGuards<RequestHandler>((guard) => (req, _res, next) => {
 *   Promise.resolve(identities.get(req))
 *     .then(guard)
 *     .then((identity) => { if (identity) identities.set(req, identity); next() }, next)
 * })
 * export const requireScopes = guards.requireScopes
 * ```
 */
export function createGuards<Handler>(toHandler: (guard: Guard) => Handler): PlexGuards<Handler> {
  return Object.freeze({
    requireScopes: (...scopes: string[]) => toHandler(createScopeGuard(scopes, 'all')),
    requireAnyScope: (...scopes: string[]) => toHandler(createScopeGuard(scopes, 'any')),
    requireUser: (predicate: UserPredicate) => toHandler(createUserGuard(predicate)),
    requireServerAccess: (options: ServerAccessOptions) =>
      toHandler(createServerAccessGuard(options, 'access')),
    requireServerOwner: (options: ServerAccessOptions) =>
      toHandler(createServerAccessGuard(options, 'owner')),
  })
}
