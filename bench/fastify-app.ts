import type { AddressInfo } from 'node:net'
import { plexAuth } from '@plexauth/fastify'
import Fastify from 'fastify'
import type { AppOptions } from './app-options.js'
import { ROUTE } from './app-options.js'
import type { RunningApp } from './listen.js'
import { plexAuthOptions } from './plexauth-options.js'

/** The tiny Fastify 5 app: one JSON route answering the user id it was given (0 without auth). */
export async function startFastifyApp(options: AppOptions): Promise<RunningApp> {
  const app = Fastify({ logger: false })
  if (options.auth === 'plexauth' || options.auth === 'session')
    await app.register(plexAuth, plexAuthOptions(options))
  if (options.auth === 'oauth2') throw new Error('express-oauth2-jwt-bearer is Express only')
  app.get(ROUTE, async (request) => ({ id: request.plex?.user.id ?? 0 }))
  await app.listen({ host: '127.0.0.1', port: 0, backlog: options.backlog ?? 511 })
  const { port } = app.server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() }
}
