import { format } from 'node:util'
import { isPlexAuthError, type PlexIdentity } from '@plexauth/core'
import {
  type Authenticator,
  createSessionAuthenticator,
  nodeRequest,
  type PlexAuthSessionOptions,
  peekRequest,
  rememberAuthenticator,
} from '@plexauth/core/adapter'
import type { Middleware, Next, ParameterizedContext } from 'koa'

/**
 * Options of `plexAuth`: core's verifier options (`clientIdentifier`, `jwksUrl`, …) plus `verifier`,
 * `credentialsRequired`, `tokenSources`, `realm`, `forwardErrors`, and `session` (with `publicUrl`) to
 * accept `plexLogin`'s session cookie.
 *
 * @example
 * ```ts
 * const options: PlexAuthOptions = { clientIdentifier: 'my-app', forwardErrors: true }
 * ```
 */
export type PlexAuthOptions = PlexAuthSessionOptions

/**
 * What `plexAuth` adds to `ctx.state`: `plex` is the verified identity, `undefined` when anonymous.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { type PlexAuthState, plexAuth } from '@plexauth/koa'
 *
 * const app = new Koa<PlexAuthState>().use(plexAuth({ clientIdentifier: 'my-app' }))
 * app.use((ctx) => { ctx.body = ctx.state.plex?.user.username })
 * ```
 */
export interface PlexAuthState {
  plex?: PlexIdentity
}

/**
 * @internal Emits an app's bug (a guard's predicate or `onLogin` that threw) as Koa reports errors: `'error'`
 * on the app. Its listeners, Koa's own default among them, take an `Error`: anything else thrown is wrapped
 * as Koa's `ctx.onerror` wraps it.
 */
export function reportBug(ctx: ParameterizedContext, err: unknown): void {
  ctx.app.emit('error', err instanceof Error ? err : new Error(format('non-error thrown: %j', err)), ctx)
}

/** @internal Answers an error, or hands it to the framework when `forwardErrors` is set. */
export function reject(authenticator: Authenticator, err: unknown, ctx: ParameterizedContext): void {
  if (authenticator.forwardErrors) throw authenticator.toForwardedError(err)
  // The client gets a bare 500; the app still hears about its bug.
  if (!isPlexAuthError(err)) reportBug(ctx, err)
  const { status, headers, body } = authenticator.toHttpError(err)
  ctx.status = status
  ctx.set(headers)
  ctx.body = body
}

/**
 * Koa middleware (Koa 2 and 3) that verifies the request's Plex token and sets `ctx.state.plex`.
 * A missing or bad token is answered with 401 (400 for a malformed request, 503 while Plex's keys are
 * unavailable) and later middleware does not run. Every method is authenticated, `OPTIONS` too: mount
 * the CORS middleware before it to answer preflights.
 * Throws `TypeError` at once for a misconfiguration.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { plexAuth } from '@plexauth/koa'
 *
 * const app = new Koa().use(plexAuth({ clientIdentifier: 'my-app' }))
 * app.use((ctx) => { ctx.body = ctx.state.plex })
 * ```
 */
export function plexAuth(options: PlexAuthOptions = {}): Middleware<PlexAuthState> {
  const authenticator = createSessionAuthenticator(options)
  const accept = (
    ctx: ParameterizedContext<PlexAuthState>,
    identity: PlexIdentity | undefined,
    next: Next,
  ) => {
    // On the request's own state, not Node's request: a property added there would change the shape of
    // every request Node's HTTP code then handles.
    rememberAuthenticator(ctx.state, authenticator)
    ctx.state.plex = identity
    return next()
  }
  // Not async: a token verified before passes without a promise of this middleware's own.
  return (ctx, next) => {
    const { req } = ctx
    const known = peekRequest(authenticator, req)
    if (known !== undefined) return accept(ctx, known, next)
    const request = nodeRequest(req)
    const setCookie = (value: string) => ctx.append('set-cookie', value)
    // `ctx.ip` honours Koa's `app.proxy`; a getter, read only if a legacy-token lookup is to be made.
    const client = {
      get client() {
        return ctx.ip
      },
    }
    return authenticator.authenticate(Object.assign(client, request, { setCookie })).then(
      (identity) => accept(ctx, identity, next),
      (err: unknown) => reject(authenticator, err, ctx),
    )
  }
}
