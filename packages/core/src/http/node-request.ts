import type { IncomingMessage } from 'node:http'
import type { AuthRequest } from './create-authenticator.js'

/**
 * What the authenticator reads of a request, from Node's `IncomingMessage` (Express's `req`, Fastify's
 * `request.raw`, Koa's `ctx.req`): the one place the three adapters take it from.
 *
 * @example
 * ```ts
 * declare const authenticator: Authenticator
 * const identity = authenticator.peek(nodeRequest(req))
 * ```
 */
export function nodeRequest(req: IncomingMessage): AuthRequest {
  return {
    method: req.method,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    url: req.url,
    // The cookie's `Secure` and `__Host-` depend on it (with the Host header).
    encrypted: (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true,
  }
}
