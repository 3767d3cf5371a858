import { redactUrl } from '@plexauth/core'

interface LoggedRequest {
  method?: string
  url?: string
  headers?: Record<string, unknown>
  host?: string
  hostname?: string
  ip?: string
  socket?: { remotePort?: number } | null
}

/**
 * Fastify's own `req` log serializer, with the URL redacted: a `?X-Plex-Token=` query would otherwise be
 * written to every "incoming request" line.
 */
function serializeRequest(request: LoggedRequest) {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? redactUrl(request.url) : undefined,
    version: request.headers?.['accept-version'],
    // Fastify 5 logs `host`, Fastify 4 `hostname`.
    host: request.host ?? request.hostname,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }
}

/**
 * Log serializers that keep Plex tokens out of Fastify's logs. The plugin sets them on the routes of its
 * scope by itself (unless a route brings its own `req` serializer); pass them to the logger to cover every
 * route, 404s included.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import plexAuth, { logSerializers } from '@plexauth/fastify'
 *
 * const app = Fastify({ logger: { serializers: logSerializers } })
 * await app.register(plexAuth, { clientIdentifier: 'my-app', tokenSources: ['authorization', 'query'] })
 * ```
 */
export const logSerializers: {
  readonly req: (request: LoggedRequest) => ReturnType<typeof serializeRequest>
} = Object.freeze({ req: serializeRequest })
