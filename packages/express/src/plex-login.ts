import type { PlexLoginOptions } from '@plexauth/core'
import { createLoginHandler, type LoginResponse, nodeLoginRequest } from '@plexauth/core/adapter'
import type { Request, RequestHandler, Response } from 'express'

function send(req: Request, res: Response, answer: LoginResponse): void {
  // Express's own way (its final handler's `logerror`) for a bug such as an `onLogin` that threw.
  if (answer.bug !== undefined && req.app?.get('env') !== 'test') {
    const bug = answer.bug
    console.error(bug instanceof Error && bug.stack !== undefined ? bug.stack : String(bug))
  }
  res.status(answer.status)
  for (const [name, value] of Object.entries(answer.headers)) res.append(name, value)
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
    // originalUrl: the routes answer at basePath whatever router the middleware is mounted on.
    const url = req.originalUrl ?? req.url
    const query = url.indexOf('?')
    if (!login.matches(query === -1 ? url : url.slice(0, query))) {
      next()
      return
    }
    login
      .handle(nodeLoginRequest(req, req, url))
      .then((answer) => (answer === undefined ? next() : send(req, res, answer)), next)
  }
}
