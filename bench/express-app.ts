import { createServer } from 'node:http'
import { plexAuth } from '@plexauth/express'
import express, { type ErrorRequestHandler } from 'express'
import { auth } from 'express-oauth2-jwt-bearer'
import type { AppOptions } from './app-options.js'
import { ROUTE } from './app-options.js'
import { CLIENT_ID } from './fixtures.js'
import { listen, type RunningApp } from './listen.js'
import { plexAuthOptions } from './plexauth-options.js'

/** The tiny Express 5 app: one JSON route answering the user id it was given (0 without auth). */
export function startExpressApp(options: AppOptions): Promise<RunningApp> {
  const app = express()
  if (options.auth === 'empty') app.use((_req, _res, next) => next())
  if (options.auth === 'plexauth' || options.auth === 'session') app.use(plexAuth(plexAuthOptions(options)))
  if (options.auth === 'peer') {
    // The only turnkey EdDSA + JWKS middleware for Express, set up like plexauth: same keys (fetched
    // from the fake plex.tv and cached by jose's remote JWK set), issuer, audience and algorithm.
    app.use(
      auth({
        jwksUri: options.plex.jwksUrl,
        issuer: 'plex.tv',
        audience: CLIENT_ID,
        tokenSigningAlg: 'EdDSA',
      }),
    )
  }
  app.get(ROUTE, (req, res) => {
    const fromOauth2 = (req.auth?.payload.user as { id?: number } | undefined)?.id
    res.json({ id: req.plex?.user.id ?? fromOauth2 ?? 0 })
  })
  // Answers the middlewares' errors (the 401 of the sample without a token) without logging a stack.
  const quietErrors: ErrorRequestHandler = (err: { status?: number }, _req, res, _next) => {
    res.status(err.status ?? 500).end()
  }
  app.use(quietErrors)
  return listen(createServer(app), options.backlog)
}
