import { createServer } from 'node:http'
import { type PlexAuthState, plexAuth } from '@plexauth/koa'
import Koa from 'koa'
import type { AppOptions } from './app-options.js'
import { ROUTE } from './app-options.js'
import { listen, type RunningApp } from './listen.js'
import { plexAuthOptions } from './plexauth-options.js'

/** The tiny Koa 3 app: one JSON route answering the user id it was given (0 without auth). */
export function startKoaApp(options: AppOptions): Promise<RunningApp> {
  const app = new Koa<PlexAuthState>()
  if (options.auth === 'plexauth' || options.auth === 'session') app.use(plexAuth(plexAuthOptions(options)))
  if (options.auth === 'oauth2') throw new Error('express-oauth2-jwt-bearer is Express only')
  app.use((ctx) => {
    if (ctx.path !== ROUTE) return
    ctx.body = { id: ctx.state.plex?.user.id ?? 0 }
  })
  return listen(createServer(app.callback()), options.backlog)
}
