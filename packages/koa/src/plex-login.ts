import type { PlexLoginOptions } from '@plexauth/core'
import { createLoginHandler, nodeLoginRequest } from '@plexauth/core/adapter'
import type { Middleware } from 'koa'
import { reportBug } from './plex-auth.js'

/**
 * Koa middleware (Koa 2 and 3) serving "Sign in with Plex" under `basePath` (default `/auth/plex`):
 * `POST /pin`, `GET /pin/:id`, `GET /start`, `GET /callback`, `GET /session` and `POST /logout`. Other
 * requests go on to the next middleware. Needs no body parser. Throws `TypeError` at once for a
 * misconfiguration.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { plexAuth, plexLogin } from '@plexauth/koa'
 *
 * const session = { secret: process.env.PLEXAUTH_SECRET! }
 * const app = new Koa()
 * app.use(plexLogin({ product: 'My App', clientIdentifier: 'my-app', session }))
 * app.use(plexAuth({ clientIdentifier: 'my-app', session }))
 * ```
 */
export function plexLogin(options: PlexLoginOptions): Middleware {
  const login = createLoginHandler(options)
  return async (ctx, next) => {
    // originalUrl, not ctx.path (which koa-mount rewrites): the routes answer at basePath whatever the
    // middleware is mounted under.
    const url = ctx.originalUrl
    if (!login.matches(url)) return next()
    const answer = await login.handle(nodeLoginRequest(ctx.req, ctx, url))
    if (answer === undefined) return next()
    // The client gets a bare 500 (e.g. `onLogin` threw); the app still hears about its bug.
    if (answer.bug !== undefined) reportBug(ctx, answer.bug)
    ctx.status = answer.status
    // Cookies join those an earlier middleware set (as on Express and Fastify); other headers are the login's.
    for (const [name, value] of Object.entries(answer.headers)) {
      if (name === 'set-cookie') ctx.append(name, value)
      else ctx.set(name, value)
    }
    if (answer.body !== undefined) ctx.body = answer.body
  }
}
