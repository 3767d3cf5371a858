import { isPlexAuthError, type PlexIdentity } from '@plexauth/core'
import {
  type Authenticator,
  createSessionAuthenticator,
  nodeRequest,
  type PlexAuthSessionOptions,
  peekRequest,
} from '@plexauth/core/adapter'
import type { Application, NextFunction, Request, RequestHandler, Response } from 'express'
import { rememberIdentity } from './request-state.js'

declare global {
  namespace Express {
    interface Request {
      /** The verified Plex identity; `undefined` when the request is anonymous or not authenticated yet. */
      plex?: PlexIdentity
    }
  }
}

/**
 * Options of `plexAuth`: core's verifier options (`clientIdentifier`, `jwksUrl`, …) plus `verifier`,
 * `credentialsRequired`, `tokenSources`, `realm`, `forwardErrors`, and `session` (with `publicUrl`) to
 * accept `plexLogin`'s session cookie.
 *
 * @example
 * ```ts
 * const options: PlexAuthOptions = { clientIdentifier: 'my-app', credentialsRequired: false }
 * ```
 */
export type PlexAuthOptions = PlexAuthSessionOptions

/**
 * @internal Answers an error, or hands it to the framework when `forwardErrors` is set. A bug (anything but
 * a `PlexAuthError`) gets the same fail-closed 500 as on Fastify and Koa, and is reported as Express
 * reports an error reaching its final handler (where Fastify logs it and Koa emits `'error'`).
 */
export function reject(authenticator: Authenticator, err: unknown, res: Response, next: NextFunction): void {
  if (authenticator.forwardErrors || res.headersSent) {
    next(authenticator.toForwardedError(err))
    return
  }
  if (!isPlexAuthError(err)) reportBug(res.app, err)
  const { status, headers, body } = authenticator.toHttpError(err)
  // JSON whatever content type an earlier middleware gave the response, as on Fastify and Koa.
  res.status(status).set(headers).type('json').json(body)
}

/**
 * @internal Reports a bug (a guard's predicate or `onLogin` that threw) as Express reports an error reaching
 * its final handler (`logerror`): the stack on stderr, except when the app's `env` is `'test'`.
 */
export function reportBug(app: Application, err: unknown): void {
  if (app.get('env') === 'test') return
  console.error(err instanceof Error && err.stack !== undefined ? err.stack : String(err))
}

/**
 * Express middleware (Express 4 and 5) that verifies the request's Plex token and sets `req.plex`.
 * A missing or bad token is answered with 401 (400 for a malformed request, 503 while Plex's keys are
 * unavailable) and the route handler is not called. Every method is authenticated, `OPTIONS` too: mount
 * the CORS middleware before it to answer preflights.
 * Throws `TypeError` at once for a misconfiguration.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { plexAuth } from '@plexauth/express'
 *
 * const app = express()
 * app.use(plexAuth({ clientIdentifier: 'my-app' }))
 * app.get('/me', (req, res) => res.json(req.plex))
 * ```
 */
export function plexAuth(options: PlexAuthOptions = {}): RequestHandler {
  const authenticator = createSessionAuthenticator(options)
  const accept = (req: Request, identity: PlexIdentity | undefined, next: NextFunction): void => {
    rememberIdentity(req, identity, authenticator)
    next()
  }
  return (req, res, next) => {
    const known = peekRequest(authenticator, req)
    if (known !== undefined) {
      accept(req, known, next)
      return
    }
    const request = nodeRequest(req)
    const setCookie = (value: string) => res.append('set-cookie', value)
    // `req.ip` honours Express's `trust proxy`; a getter, read only if a legacy-token lookup is to be made.
    const client = {
      get client() {
        return req.ip
      },
    }
    authenticator.authenticate(Object.assign(client, request, { setCookie })).then(
      (identity) => accept(req, identity, next),
      (err: unknown) => reject(authenticator, err, res, next),
    )
  }
}
