import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PlexAuthOptions } from '@plexauth/core'
import * as plexExpress from '@plexauth/express'
import fastifyPlexAuth, * as plexFastify from '@plexauth/fastify'
import * as plexKoa from '@plexauth/koa'
import express5, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express'
import express4 from 'express4'
import fastify5, { type FastifyInstance, type RouteOptions } from 'fastify'
import fastify4 from 'fastify4'
import Koa3, { type Middleware, type ParameterizedContext } from 'koa'
import Koa2 from 'koa2'
import { type AuthName, type GuardSpec, ROUTES, type RouteSpec } from './cases.js'

/**
 * One small factory per framework: each builds the test app described by `ROUTES` with its adapter,
 * plus the app's own error handler answering `{ handledBy: 'app', code }` with the error's status and
 * headers (what `forwardErrors: true` must reach).
 */

export interface AppContext {
  options: Record<AuthName, PlexAuthOptions>
  /** Called by every route handler: rejected requests must never reach one. */
  onHandler: () => void
}

export interface RunningApp {
  url: string
  close: () => Promise<void>
}

export interface Framework {
  name: string
  start: (context: AppContext) => Promise<RunningApp>
}

interface AppError extends Error {
  status?: number
  statusCode?: number
  headers?: Record<string, string>
  code?: string
}

const appErrorBody = (err: AppError) => ({ handledBy: 'app', code: err.code ?? null })

function options(context: AppContext, route: RouteSpec & { auth: AuthName }): PlexAuthOptions {
  const base = context.options[route.auth]
  return route.optional === true ? { ...base, credentialsRequired: false } : base
}

/** One middleware per configuration, shared by its routes (and so one key cache). */
function perConfiguration<T>(build: (route: RouteSpec & { auth: AuthName }) => T) {
  const built = new Map<string, T>()
  return (route: RouteSpec & { auth: AuthName }): T => {
    const key = `${route.auth}:${route.optional === true}`
    let value = built.get(key)
    if (value === undefined) {
      value = build(route)
      built.set(key, value)
    }
    return value
  }
}

function hasAuth(route: RouteSpec): route is RouteSpec & { auth: AuthName } {
  return route.auth !== null
}

async function listen(server: Server): Promise<RunningApp> {
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

function expressGuard(spec: GuardSpec): RequestHandler {
  if (spec.kind === 'scopes') return plexExpress.requireScopes(...spec.scopes)
  if (spec.kind === 'anyScope') return plexExpress.requireAnyScope(...spec.scopes)
  return plexExpress.requireUser(spec.predicate)
}

function expressFramework(name: string, create: () => Express): Framework {
  return {
    name,
    async start(context) {
      const app = create()
      const auth = perConfiguration((route) => plexExpress.plexAuth(options(context, route)))
      for (const route of ROUTES) {
        const chain = [...(hasAuth(route) ? [auth(route)] : []), ...(route.guards ?? []).map(expressGuard)]
        const handler: RequestHandler = (req, res) => {
          context.onHandler()
          if (route.method === 'OPTIONS') res.status(204).set('access-control-allow-origin', '*').end()
          else res.json({ route: route.path, plex: req.plex ?? null })
        }
        if (route.method === 'GET') app.get(route.path, ...chain, handler)
        else app.options(route.path, ...chain, handler)
      }
      const onError: ErrorRequestHandler = (err: AppError, _req, res, _next) => {
        res
          .status(err.status ?? 500)
          .set(err.headers ?? {})
          .json(appErrorBody(err))
      }
      app.use(onError)
      return listen(createServer(app))
    },
  }
}

function fastifyGuard(spec: GuardSpec): plexFastify.PlexGuard {
  if (spec.kind === 'scopes') return plexFastify.requireScopes(...spec.scopes)
  if (spec.kind === 'anyScope') return plexFastify.requireAnyScope(...spec.scopes)
  return plexFastify.requireUser(spec.predicate)
}

function fastifyFramework(name: string, create: () => FastifyInstance): Framework {
  return {
    name,
    async start(context) {
      const app = create()
      app.setErrorHandler<AppError>((err, _request, reply) =>
        reply
          .code(err.statusCode ?? 500)
          .headers(err.headers ?? {})
          .send(appErrorBody(err)),
      )
      // One sibling scope per configuration; routes without authentication live in the main one.
      const scopes = new Map<AuthName, RouteSpec[]>()
      for (const route of ROUTES) {
        const scope = route.auth ?? 'main'
        scopes.set(scope, [...(scopes.get(scope) ?? []), route])
      }
      for (const [scopeName, routes] of scopes) {
        app.register(async (scope) => {
          await scope.register(fastifyPlexAuth, context.options[scopeName])
          for (const route of routes) {
            const config: RouteOptions['config'] =
              route.auth === null
                ? { plexAuth: false }
                : route.optional === true
                  ? { plexAuth: 'optional' }
                  : {}
            scope.route({
              method: route.method,
              url: route.path,
              config,
              preHandler: (route.guards ?? []).map(fastifyGuard),
              handler: async (request, reply) => {
                context.onHandler()
                if (route.method === 'OPTIONS')
                  return reply.code(204).header('access-control-allow-origin', '*').send()
                return { route: route.path, plex: request.plex }
              },
            })
          }
        })
      }
      await app.listen({ host: '127.0.0.1', port: 0 })
      const { port } = app.server.address() as AddressInfo
      return { url: `http://127.0.0.1:${port}`, close: () => app.close() }
    },
  }
}

type KoaMiddleware = Middleware<plexKoa.PlexAuthState>

function koaGuard(spec: GuardSpec): KoaMiddleware {
  if (spec.kind === 'scopes') return plexKoa.requireScopes(...spec.scopes)
  if (spec.kind === 'anyScope') return plexKoa.requireAnyScope(...spec.scopes)
  return plexKoa.requireUser(spec.predicate)
}

function run(
  chain: readonly KoaMiddleware[],
  ctx: ParameterizedContext<plexKoa.PlexAuthState>,
): Promise<void> {
  const dispatch = async (i: number): Promise<void> => {
    const middleware = chain[i]
    if (middleware !== undefined) await middleware(ctx, () => dispatch(i + 1))
  }
  return dispatch(0)
}

function koaFramework(name: string, KoaClass: typeof Koa3): Framework {
  return {
    name,
    async start(context) {
      const app = new KoaClass<plexKoa.PlexAuthState>()
      app.silent = true
      app.use(async (ctx, next) => {
        try {
          await next()
        } catch (caught) {
          const err = caught as AppError
          ctx.status = err.status ?? 500
          ctx.set(err.headers ?? {})
          ctx.body = appErrorBody(err)
        }
      })
      const auth = perConfiguration((route) => plexKoa.plexAuth(options(context, route)))
      const table = new Map<string, KoaMiddleware[]>()
      for (const route of ROUTES) {
        const handler: KoaMiddleware = (ctx) => {
          context.onHandler()
          if (route.method === 'OPTIONS') {
            ctx.status = 204
            ctx.set('access-control-allow-origin', '*')
          } else {
            ctx.body = { route: route.path, plex: ctx.state.plex ?? null }
          }
        }
        const chain = [
          ...(hasAuth(route) ? [auth(route)] : []),
          ...(route.guards ?? []).map(koaGuard),
          handler,
        ]
        table.set(`${route.method} ${route.path}`, chain)
      }
      app.use(async (ctx, next) => {
        const chain = table.get(`${ctx.method} ${ctx.path}`)
        if (chain === undefined) return next()
        await run(chain, ctx)
      })
      return listen(createServer(app.callback()))
    },
  }
}

export const FRAMEWORKS: readonly Framework[] = [
  expressFramework('Express 5', () => express5()),
  expressFramework('Express 4', () => express4()),
  fastifyFramework('Fastify 5', () => fastify5()),
  fastifyFramework('Fastify 4', () => fastify4() as unknown as FastifyInstance),
  koaFramework('Koa 3', Koa3),
  koaFramework('Koa 2', Koa2),
]
