import { redactUrl } from '@plexauth/core'

// `| undefined` spelled out: under `exactOptionalPropertyTypes` Fastify's request (Node's socket's
// `remotePort: number | undefined`) must be assignable to it.
interface LoggedRequest {
  method?: string | undefined
  url?: string | undefined
  headers?: Record<string, unknown> | undefined
  host?: string | undefined
  hostname?: string | undefined
  ip?: string | undefined
  socket?: { remotePort?: number | undefined } | null | undefined
}

/** What the `req` serializer writes: the fields Fastify 4 and 5 type their own serializer's answer with. */
// A type alias, not an interface: it stays assignable to the index signature of Fastify's serializer type.
type LoggedRequestSummary = {
  method?: string
  url?: string
  version?: string
  host?: string
  remoteAddress?: string
  remotePort?: number
}

/**
 * Fastify's own `req` log serializer, with the URL redacted: a `?X-Plex-Token=` query would otherwise be
 * written to every "incoming request" line. Absent fields are left out rather than set to `undefined`, so
 * the serializer fits Fastify's types under `exactOptionalPropertyTypes` too.
 */
function serializeRequest(request: LoggedRequest): LoggedRequestSummary {
  const summary: LoggedRequestSummary = {}
  if (typeof request.method === 'string') summary.method = request.method
  if (typeof request.url === 'string') summary.url = redactUrl(request.url)
  const version = request.headers?.['accept-version']
  if (typeof version === 'string') summary.version = version
  // Fastify 5 logs `host`, Fastify 4 `hostname`.
  const host = request.host ?? request.hostname
  if (typeof host === 'string') summary.host = host
  if (typeof request.ip === 'string') summary.remoteAddress = request.ip
  const port = request.socket?.remotePort
  if (typeof port === 'number') summary.remotePort = port
  return summary
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
  readonly req: (request: LoggedRequest) => LoggedRequestSummary
} = Object.freeze({ req: serializeRequest })
