import { isPlexAuthError, type PlexIdentity, type PlexVerifier } from '@plexauth/core'
import {
  AUTHENTICATOR_KEY,
  type AuthenticateOptions,
  type Authenticator,
  createSessionAuthenticator,
  nodeRequest,
  type PlexAuthSessionOptions,
  peekRequest,
  rememberAuthenticator,
} from '@plexauth/core/adapter'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { logSerializers } from './log-serializers.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified Plex identity; `null` when the request is anonymous or the route skips authentication. */
    plex: PlexIdentity | null
  }
  interface FastifyInstance {
    /** What the plugin built: `app.plexAuth.verifier` is the verifier in use (stats, warm-up). */
    plexAuth: PlexAuthDecoration
  }
  interface FastifyContextConfig {
    /** `false`: the route skips authentication. `'optional'`: anonymous requests pass, bad tokens do not. */
    plexAuth?: false | 'optional'
  }
}

/**
 * Options of the plugin: core's verifier options (`clientIdentifier`, `jwksUrl`, …) plus `verifier`,
 * `credentialsRequired`, `tokenSources`, `realm`, `forwardErrors`, and `session` (with `publicUrl`) to
 * accept `plexLogin`'s session cookie.
 *
 * @example
 * ```ts
 * const options: PlexAuthOptions = { clientIdentifier: 'my-app', realm: 'my-api' }
 * ```
 */
export type PlexAuthOptions = PlexAuthSessionOptions

/**
 * What the plugin decorates the Fastify instance with (`app.plexAuth`): the verifier in use and the realm
 * of its answers. Guards do not read it: like on Express and Koa, they find the request's authenticator
 * on the request itself.
 *
 * @example
 * ```ts
 * await app.register(plexAuth, { clientIdentifier: 'my-app' })
 * await app.plexAuth.verifier.ready() // warm the key cache before listening
 * ```
 */
export interface PlexAuthDecoration {
  readonly verifier: PlexVerifier
  readonly realm: string
}

const OPTIONAL: AuthenticateOptions = Object.freeze({ credentialsRequired: false })
// Fastify's own register options reach the plugin too; they are Fastify's business, not unknown options.
const REGISTER_OPTION_NAMES = ['prefix', 'logLevel', 'logSerializers']
/** @internal Answers an error, or hands it to the framework when `forwardErrors` is set. */
export function reject(
  authenticator: Authenticator,
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (authenticator.forwardErrors) throw authenticator.toForwardedError(err)
  return respond(authenticator, err, request, reply)
}

function respond(
  authenticator: Authenticator,
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  // The client gets a bare 500; the log still shows the bug.
  if (!isPlexAuthError(err)) request.log.error({ err }, 'plexauth: unexpected error')
  const { status, headers, body } = authenticator.toHttpError(err)
  // An outage (Plex's keys or plex.tv unreachable) is the operator's to see, in the request's own log line.
  if (status === 503) request.log.warn({ plexauth: body.code }, `plexauth: ${body.error_description}`)
  return reply.code(status).headers(headers).type('application/json; charset=utf-8').send(body)
}

function ignoreEvent(): void {}

const plugin: FastifyPluginAsync<PlexAuthOptions> = async (fastify, options) => {
  // Outages are logged through each refused request's logger (see respond), so core's console warning,
  // meant for apps that handle no events, stays quiet here.
  const quiet = options.verifier === undefined && options.onEvent === undefined
  const authenticator = createSessionAuthenticator(
    quiet ? { ...options, onEvent: ignoreEvent } : options,
    REGISTER_OPTION_NAMES,
  )
  const decoration: PlexAuthDecoration = Object.freeze({
    verifier: authenticator.verifier,
    realm: authenticator.realm,
  })
  fastify.decorate('plexAuth', decoration)
  fastify.decorateRequest('plex', null)
  // Declared, so that recording the authenticator on each request leaves its shape alone.
  if (!fastify.hasRequestDecorator(AUTHENTICATOR_KEY)) fastify.decorateRequest(AUTHENTICATOR_KEY, null)
  // Fastify logs each request's URL, where a `?X-Plex-Token=` would show: routes of this scope log it
  // redacted, unless they bring a `req` serializer of their own.
  fastify.addHook('onRoute', (route) => {
    if (route.logSerializers?.req !== undefined) return
    route.logSerializers = Object.assign(Object.create(route.logSerializers ?? null), logSerializers)
  })
  // Callback style, so that a token verified before passes without a promise.
  fastify.addHook('onRequest', (request, reply, done) => {
    // Before a skipped route returns: its guards answer in this plugin's realm and error mode. On Fastify's
    // request, which declares the slot: one on Node's request would change the shape of every request
    // Node's HTTP code then handles.
    rememberAuthenticator(request, authenticator)
    const mode = request.routeOptions.config.plexAuth
    if (mode === false) return done()
    const { raw } = request
    const known = peekRequest(authenticator, raw)
    if (known !== undefined) {
      request.plex = known
      return done()
    }
    const source = nodeRequest(raw)
    const setCookie = (value: string) => {
      reply.header('set-cookie', value)
    }
    // `request.ip` honours Fastify's `trustProxy`; a getter, read only if a legacy-token lookup is to be made.
    const client = {
      get client() {
        return request.ip
      },
    }
    authenticator
      .authenticate(Object.assign(client, source, { setCookie }), mode === 'optional' ? OPTIONAL : undefined)
      .then(
        (identity) => {
          request.plex = identity ?? null
          done()
        },
        (err: unknown) => {
          // Answering from a callback hook means not calling done; if answering fails, Fastify's error path takes over.
          if (authenticator.forwardErrors) return done(authenticator.toForwardedError(err) as Error)
          try {
            respond(authenticator, err, request, reply)
          } catch (failure) {
            done(failure as Error)
          }
        },
      )
  })
}

/**
 * Fastify plugin (Fastify 4 and 5) that verifies the Plex token of every request in its scope, in an
 * `onRequest` hook (before the body is read), and sets `request.plex`. A missing or bad token is
 * answered with 401 (400 for a malformed request, 503 while Plex's keys are unavailable) and the
 * handler is not called. Per route, `config: { plexAuth: false }` skips authentication and
 * `config: { plexAuth: 'optional' }` lets anonymous requests in. Every method is authenticated,
 * `OPTIONS` too: register `@fastify/cors` before it to answer preflights. A misconfiguration makes `register` fail with `TypeError`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import plexAuth from '@plexauth/fastify'
 *
 * const app = Fastify()
 * await app.register(plexAuth, { clientIdentifier: 'my-app' })
 * app.get('/me', async (request) => request.plex)
 * app.get('/health', { config: { plexAuth: false } }, async () => ({ ok: true }))
 * ```
 */
export const plexAuth = fp(plugin, { name: '@plexauth/fastify', fastify: '4.x || 5.x' })
