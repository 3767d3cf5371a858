import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import fastifyCors5 from '@fastify/cors'
import koaCors from '@koa/cors'
import type { ServerAccessOptions } from '@plexauth/core'
import type { PlexAuthOptions } from '@plexauth/core/adapter'
import * as plexExpress from '@plexauth/express'
import fastifyPlexAuth, * as plexFastify from '@plexauth/fastify'
import * as plexKoa from '@plexauth/koa'
import cors from 'cors'
import express5, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express'
import express4 from 'express4'
import fastify5, { type FastifyInstance, type RouteOptions } from 'fastify'
import fastifyCors4 from 'fastify-cors4'
import fastify4 from 'fastify4'
import Koa3, { type Middleware, type ParameterizedContext } from 'koa'
import Koa2 from 'koa2'
import { type AuthName, CORS_OPTIONS, CORS_PREFIX, type GuardSpec, ROUTES, type RouteSpec } from './cases.js'

/**
 * One small factory per framework: each builds the test app described by `ROUTES` with its adapter,
 * plus the app's own error handler answering `{ handledBy: 'app', code }` with the error's status and
 * headers (what `forwardErrors: true` must reach).
 */

export interface AppContext<A extends string = AuthName> {
  options: Record<A, PlexAuthOptions>
  /** Called by every route handler: rejected requests must never reach one. */
  onHandler: () => void
  /** The `requireServerAccess` / `requireServerOwner` configurations `serverAccess` guards name. */
  access?: Readonly<Record<string, ServerAccessOptions>>
  /** The routes to serve. Default `ROUTES`; a route without `auth` needs an `options.main` (Fastify registers it there). */
  routes?: readonly RouteSpec<A>[]
  /**
   * Called when a request is done, with the identity its framework request holds then (`req.plex`,
   * `request.plex`, `ctx.state.plex`): a refused request must hold none.
   */
  onFinished?: (identity: unknown) => void
  /** Fastify apps log every line (level `trace`) to this stream; Express and Koa have no logger of their own. */
  logStream?: { write(line: string): void }
  /** Koa apps: listens to the app's `error` events (Koa only logs them when nobody listens). */
  onAppError?: (err: unknown) => void
}

export interface RunningApp {
  url: string
  close: () => Promise<void>
}

export interface Framework {
  name: string
  start: <A extends string = AuthName>(context: AppContext<A>) => Promise<RunningApp>
}

interface AppError extends Error {
  status?: number
  statusCode?: number
  headers?: Record<string, string>
  code?: string
}

const appErrorBody = (err: AppError) => ({ handledBy: 'app', code: err.code ?? null })

type Authenticated<A extends string> = RouteSpec<A> & { auth: A }

function options<A extends string>(context: AppContext<A>, route: Authenticated<A>): PlexAuthOptions {
  const base = context.options[route.auth]
  return route.optional === true ? { ...base, credentialsRequired: false } : base
}

/** One middleware per configuration, shared by its routes (and so one key cache). */
function perConfiguration<A extends string, T>(build: (route: Authenticated<A>) => T) {
  const built = new Map<string, T>()
  return (route: Authenticated<A>): T => {
    const key = `${route.auth}:${route.optional === true}`
    let value = built.get(key)
    if (value === undefined) {
      value = build(route)
      built.set(key, value)
    }
    return value
  }
}

function hasAuth<A extends string>(route: RouteSpec<A>): route is Authenticated<A> {
  return route.auth !== null
}

function routesOf<A extends string>(context: AppContext<A>): readonly RouteSpec<A>[] {
  return context.routes ?? (ROUTES as readonly RouteSpec<string>[] as readonly RouteSpec<A>[])
}

/** Starts a Node server on a free loopback port; `close` cuts its connections. */
export async function listen(server: Server): Promise<RunningApp> {
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

/** The options of a `serverAccess` guard, from the app's context. */
function accessOptionsOf(
  spec: GuardSpec & { kind: 'serverAccess' },
  context: { access?: AppContext['access'] },
) {
  const options = context.access?.[spec.config]
  if (options === undefined) throw new Error(`no access configuration ${spec.config}`)
  return options
}

function expressGuard(spec: GuardSpec, context: { access?: AppContext['access'] }): RequestHandler {
  if (spec.kind === 'serverAccess') {
    const options = accessOptionsOf(spec, context)
    return spec.owner === true
      ? plexExpress.requireServerOwner(options)
      : plexExpress.requireServerAccess(options)
  }
  if (spec.kind === 'scopes') return plexExpress.requireScopes(...spec.scopes)
  if (spec.kind === 'anyScope') return plexExpress.requireAnyScope(...spec.scopes)
  return plexExpress.requireUser(spec.predicate)
}

function expressFramework(name: string, create: () => Express): Framework {
  return {
    name,
    async start(context) {
      const app = create()
      const { onFinished } = context
      if (onFinished !== undefined) {
        app.use((req, res, next) => {
          res.on('finish', () => onFinished(req.plex))
          next()
        })
      }
      // As the README shows: the CORS middleware first, then plexAuth (here for the routes under the prefix).
      app.use(CORS_PREFIX, cors(CORS_OPTIONS))
      const auth = perConfiguration((route) => plexExpress.plexAuth(options(context, route)))
      for (const route of routesOf(context)) {
        const chain = [
          ...(hasAuth(route) ? [auth(route)] : []),
          ...(route.guards ?? []).map((spec) => expressGuard(spec, context)),
        ]
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

function fastifyGuard(spec: GuardSpec, context: { access?: AppContext['access'] }): plexFastify.PlexGuard {
  if (spec.kind === 'serverAccess') {
    const options = accessOptionsOf(spec, context)
    return spec.owner === true
      ? plexFastify.requireServerOwner(options)
      : plexFastify.requireServerAccess(options)
  }
  if (spec.kind === 'scopes') return plexFastify.requireScopes(...spec.scopes)
  if (spec.kind === 'anyScope') return plexFastify.requireAnyScope(...spec.scopes)
  return plexFastify.requireUser(spec.predicate)
}

/** What a Fastify test app is created with: nothing, or a logger writing every line to a stream. */
type FastifyTestOptions = { logger: { level: 'trace'; stream: { write(line: string): void } } } | undefined

function fastifyFramework(
  name: string,
  create: (options: FastifyTestOptions) => FastifyInstance,
  corsPlugin: typeof fastifyCors5,
): Framework {
  return {
    name,
    async start<A extends string>(context: AppContext<A>) {
      const { logStream, onFinished } = context
      const app = create(
        logStream === undefined ? undefined : { logger: { level: 'trace', stream: logStream } },
      )
      if (onFinished !== undefined) app.addHook('onResponse', async (request) => onFinished(request.plex))
      app.setErrorHandler<AppError>((err, _request, reply) =>
        reply
          .code(err.statusCode ?? 500)
          .headers(err.headers ?? {})
          .send(appErrorBody(err)),
      )
      // One sibling scope per configuration; routes without authentication live in the main one. Routes
      // under the CORS prefix get a scope of their own, where @fastify/cors is registered before the plugin,
      // as the README shows.
      const scopes = new Map<string, { auth: A; cors: boolean; routes: RouteSpec<A>[] }>()
      for (const route of routesOf(context)) {
        const auth = route.auth ?? ('main' as A)
        const cors = route.path.startsWith(`${CORS_PREFIX}/`)
        const key = `${auth}:${cors}`
        const scope = scopes.get(key) ?? { auth, cors, routes: [] }
        scope.routes.push(route)
        scopes.set(key, scope)
      }
      for (const { auth: scopeName, cors, routes } of scopes.values()) {
        app.register(
          async (scope) => {
            if (cors) await scope.register(corsPlugin, CORS_OPTIONS)
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
                url: cors ? route.path.slice(CORS_PREFIX.length) : route.path,
                config,
                preHandler: (route.guards ?? []).map((spec) => fastifyGuard(spec, context)),
                handler: async (request, reply) => {
                  context.onHandler()
                  if (route.method === 'OPTIONS')
                    return reply.code(204).header('access-control-allow-origin', '*').send()
                  return { route: route.path, plex: request.plex }
                },
              })
            }
          },
          cors ? { prefix: CORS_PREFIX } : {},
        )
      }
      await app.listen({ host: '127.0.0.1', port: 0 })
      const { port } = app.server.address() as AddressInfo
      return { url: `http://127.0.0.1:${port}`, close: () => app.close() }
    },
  }
}

type KoaMiddleware = Middleware<plexKoa.PlexAuthState>

function koaGuard(spec: GuardSpec, context: { access?: AppContext['access'] }): KoaMiddleware {
  if (spec.kind === 'serverAccess') {
    const options = accessOptionsOf(spec, context)
    return spec.owner === true ? plexKoa.requireServerOwner(options) : plexKoa.requireServerAccess(options)
  }
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
      const { onAppError, onFinished } = context
      if (onAppError !== undefined) app.on('error', onAppError)
      if (onFinished !== undefined) {
        app.use(async (ctx, next) => {
          try {
            await next()
          } finally {
            onFinished(ctx.state.plex)
          }
        })
      }
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
      // As the README shows: the CORS middleware first, then plexAuth (here for the routes under the prefix).
      const corsMiddleware = koaCors(CORS_OPTIONS)
      app.use((ctx, next) => (ctx.path.startsWith(`${CORS_PREFIX}/`) ? corsMiddleware(ctx, next) : next()))
      const auth = perConfiguration((route) => plexKoa.plexAuth(options(context, route)))
      const table = new Map<string, KoaMiddleware[]>()
      for (const route of routesOf(context)) {
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
          ...(route.guards ?? []).map((spec) => koaGuard(spec, context)),
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
  fastifyFramework('Fastify 5', (options) => fastify5(options), fastifyCors5),
  fastifyFramework(
    'Fastify 4',
    (options) => fastify4(options) as unknown as FastifyInstance,
    fastifyCors4 as unknown as typeof fastifyCors5,
  ),
  koaFramework('Koa 3', Koa3),
  koaFramework('Koa 2', Koa2),
]
