import type { PlexLoginOptions } from '@plexauth/core'
import { createLoginHandler, type LoginHandler, nodeLoginRequest } from '@plexauth/core/adapter'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

// Fastify's own register options reach the plugin too; they are Fastify's business, not plexLogin's.
const REGISTER_OPTION_NAMES = new Set(['prefix', 'logLevel', 'logSerializers'])

const plugin: FastifyPluginAsync<PlexLoginOptions> = async (fastify, options) => {
  const own = Object.fromEntries(Object.entries(options).filter(([name]) => !REGISTER_OPTION_NAMES.has(name)))
  const login = createLoginHandler(own)
  // A scope of its own: the login routes read no body (a browser's `POST /pin` may come with any or none),
  // and their catch-all content type must not change how the app's other routes parse theirs.
  fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 4096 }, (_request, _body, done) =>
      done(null, undefined),
    )
    routes(scope, login)
  })
}

function routes(fastify: FastifyInstance, login: LoginHandler): void {
  // Only the login's own routes skip plexAuth: every other path under basePath reaches the app's not-found
  // handler through plexAuth, as on Express and Koa.
  for (const { method, path } of login.routes) {
    fastify.route({
      method,
      url: `${login.basePath}${path}`,
      // A HEAD is no login request: it goes, like any other, through plexAuth.
      exposeHeadRoute: false,
      // The login routes authenticate by themselves: a plexAuth hook in the same scope lets them be.
      config: { plexAuth: false },
      handler: async (request, reply) => {
        // The route Fastify matched, whatever variant of it the router let through (Fastify 4 ends a path at
        // `;`, `ignoreTrailingSlash`, …): the login answers every request that skipped plexAuth.
        const { id } = request.params as { id?: string }
        const route = id === undefined ? path : path.replace(':id', encodeURIComponent(id))
        const query = request.url.indexOf('?')
        const url = `${login.basePath}${route}${query === -1 ? '' : request.url.slice(query)}`
        const answer = await login.handle(nodeLoginRequest(request.raw, request, url))
        if (answer === undefined) return reply.callNotFound()
        // The client gets a bare 500 (e.g. `onLogin` threw); the log still shows the bug.
        if (answer.bug !== undefined) request.log.error({ err: answer.bug }, 'plexauth: unexpected error')
        reply.code(answer.status)
        for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value)
        return reply.send(answer.body)
      },
    })
  }
}

/**
 * Fastify plugin (Fastify 4 and 5) serving "Sign in with Plex" under `basePath` (default `/auth/plex`):
 * `POST /pin`, `GET /pin/:id`, `GET /start`, `GET /callback`, `GET /session` and `POST /logout`. Its routes
 * skip `plexAuth`. Needs no cookie plugin. A misconfiguration makes `register` fail with `TypeError`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { plexAuth, plexLogin } from '@plexauth/fastify'
 *
 * const app = Fastify()
 * const session = { secret: process.env.PLEXAUTH_SECRET! }
 * await app.register(plexLogin, { product: 'My App', clientIdentifier: 'my-app', session })
 * await app.register(plexAuth, { clientIdentifier: 'my-app', session })
 * ```
 */
export const plexLogin = fp(plugin, { name: '@plexauth/fastify/login', fastify: '4.x || 5.x' })
