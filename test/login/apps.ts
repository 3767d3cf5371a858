import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PlexLoginOptions } from '@plexauth/core'
import type { PlexAuthSessionOptions } from '@plexauth/core/adapter'
import * as plexExpress from '@plexauth/express'
import * as plexFastify from '@plexauth/fastify'
import * as plexKoa from '@plexauth/koa'
import express5, { type Express } from 'express'
import express4 from 'express4'
import fastify5, { type FastifyInstance } from 'fastify'
import fastify4 from 'fastify4'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import { listen } from '../contract/apps.js'

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

function fastifyFramework(name: string, create: () => FastifyInstance): LoginFramework {
  return {
    name,
    async start({ login, auth }) {
      const app = create()
      await app.register(plexFastify.plexLogin, login)
      await app.register(plexFastify.plexAuth, auth)
      app.get('/me', async (request) => ({ plex: request.plex }))
      app.post('/me', async (request) => ({ plex: request.plex }))
      await app.listen({ host: '127.0.0.1', port: 0 })
      const { port } = app.server.address() as AddressInfo
      return { url: `http://127.0.0.1:${port}`, close: () => app.close() }
    },
  }
}

function koaFramework(name: string, KoaClass: typeof Koa3): LoginFramework {
  return {
    name,
    async start({ login, auth }) {
      const app = new KoaClass<plexKoa.PlexAuthState>()
      app.silent = true
      app.use(plexKoa.plexLogin(login))
      app.use(plexKoa.plexAuth(auth))
      app.use((ctx) => {
        if (ctx.path === '/me' && (ctx.method === 'GET' || ctx.method === 'POST')) {
          ctx.body = { plex: ctx.state.plex ?? null }
        }
      })
      return listen(createServer(app.callback()))
    },
  }
}

export const LOGIN_FRAMEWORKS: readonly LoginFramework[] = [
  expressFramework('Express 5', () => express5()),
  expressFramework('Express 4', () => express4()),
  fastifyFramework('Fastify 5', () => fastify5()),
  fastifyFramework('Fastify 4', () => fastify4() as unknown as FastifyInstance),
  koaFramework('Koa 3', Koa3),
  koaFramework('Koa 2', Koa2),
]
