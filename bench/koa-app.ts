import { createServer } from 'node:http'
import { type PlexAuthState, plexAuth } from '@plexauth/koa'
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose'
import Koa, { type Middleware } from 'koa'
import type { AppOptions } from './app-options.js'
import { ROUTE } from './app-options.js'
import { CLIENT_ID } from './fixtures.js'
import { listen, type RunningApp } from './listen.js'
import { plexAuthOptions } from './plexauth-options.js'

type State = PlexAuthState & { jwt?: JWTPayload }

/**
 * What Koa apps run to verify an EdDSA JWT: koa-jwt's jsonwebtoken 9 has no EdDSA, so a jose `jwtVerify`
 * middleware against the key set URL (jose's remote JWK set fetches and caches it), as
 * express-oauth2-jwt-bearer does on Express.
 */
function joseMiddleware(jwksUrl: string): Middleware<State> {
  const keys = createRemoteJWKSet(new URL(jwksUrl))
  return async (ctx, next) => {
    const match = /^Bearer (.+)$/i.exec(ctx.get('authorization'))
    if (match === null) {
      ctx.status = 401
      return
    }
    try {
      const options = { issuer: 'plex.tv', audience: CLIENT_ID, algorithms: ['EdDSA'] }
      ctx.state.jwt = (await jwtVerify(match[1] ?? '', keys, options)).payload
    } catch {
      ctx.status = 401
      return
    }
    await next()
  }
}

/** The tiny Koa 3 app: one JSON route answering the user id it was given (0 without auth). */
export function startKoaApp(options: AppOptions): Promise<RunningApp> {
  const app = new Koa<State>()
  if (options.auth === 'empty') app.use((_ctx, next) => next())
  if (options.auth === 'plexauth' || options.auth === 'session') app.use(plexAuth(plexAuthOptions(options)))
  if (options.auth === 'peer') app.use(joseMiddleware(options.plex.jwksUrl))
  app.use((ctx) => {
    if (ctx.path !== ROUTE) return
    const fromJwt = (ctx.state.jwt?.user as { id?: number } | undefined)?.id
    ctx.body = { id: ctx.state.plex?.user.id ?? fromJwt ?? 0 }
  })
  return listen(createServer(app.callback()), options.backlog)
}
