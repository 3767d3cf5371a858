import type { PlexLoginOptions } from '@plexauth/core'
import { createLoginHandler, type LoginResponse, nodeLoginRequest } from '@plexauth/core/adapter'
import type { RequestHandler, Response } from 'express'
import { reportBug } from './plex-auth.js'

function send(res: Response, answer: LoginResponse): void {
  // The client gets a bare 500 (e.g. `onLogin` threw); the app still hears about its bug.
  if (answer.bug !== undefined) reportBug(res.app, answer.bug)
  res.status(answer.status)
  // Cookies join those an earlier middleware set; other headers are the login's, as on Fastify and Koa.
  for (const [name, value] of Object.entries(answer.headers)) {
    if (name === 'set-cookie') res.append(name, value)
    else res.set(name, value)
  }
  if (answer.body === undefined) res.end()
  else res.json(answer.body)
}

/**
 * Express middleware (Express 4 and 5) serving "Sign in with Plex" under `basePath` (default `/auth/plex`):
 * `POST /pin`, `GET /pin/:id`, `GET /start`, `GET /callback`, `GET /session` and `POST /logout`. Other
 * requests pass on. Needs no body or cookie parser. Throws `TypeError` at once for a misconfiguration.
 *
 * @example
 * ```ts
 * const session = { secret: process.env.PLEXAUTH_SECRET! }
 * app.use(plexLogin({ product: 'My App', clientIdentifier: 'my-app', session, access: { machineIdentifier: MACHINE_ID } }))
 * app.use(plexAuth({ clientIdentifier: 'my-app', session }))
 * ```
 */
export function plexLogin(options: PlexLoginOptions): RequestHandler {
  const login = createLoginHandler(options)
  return (req, res, next) => {
    // originalUrl (which Express always sets): the routes answer at basePath whatever path or router the
    // middleware is mounted on.
    const url = req.originalUrl
    if (!login.matches(url)) {
      next()
      return
    }
    login
      .handle(nodeLoginRequest(req, req, url))
      .then((answer) => (answer === undefined ? next() : send(res, answer)), next)
  }
}
