import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PlexLoginOptions } from '@plexauth/core'
import type { PlexAuthSessionOptions } from '@plexauth/core/adapter'
import * as plexExpress from '@plexauth/express'
import express5, { type Express } from 'express'
import express4 from 'express4'

/** What a login test app is built from: `plexLogin`'s options and `plexAuth`'s, sharing one session object. */
export interface LoginAppOptions {
  login: PlexLoginOptions
  auth: PlexAuthSessionOptions
}

export interface RunningLoginApp {
  url: string
  close: () => Promise<void>
}

export interface LoginFramework {
  name: string
  /** An app with the login routes, `plexAuth`, and `GET /me` / `POST /me` answering `{ plex }`. */
  start: (options: LoginAppOptions) => Promise<RunningLoginApp>
}

async function listen(server: Server): Promise<RunningLoginApp> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function expressFramework(name: string, create: () => Express): LoginFramework {
  return {
    name,
    async start({ login, auth }) {
      const app = create()
      app.set('env', 'test')
      app.use(plexExpress.plexLogin(login))
      app.use(plexExpress.plexAuth(auth))
      app.get('/me', (req, res) => res.json({ plex: req.plex ?? null }))
      app.post('/me', (req, res) => res.json({ plex: req.plex ?? null }))
      return listen(createServer(app))
    },
  }
}

export const LOGIN_FRAMEWORKS: readonly LoginFramework[] = [
  expressFramework('Express 5', () => express5()),
  expressFramework('Express 4', () => express4()),
]
