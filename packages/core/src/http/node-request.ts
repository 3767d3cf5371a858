import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { PlexIdentity } from '../jwt/identity-types.js'
import type { Authenticator, AuthRequest } from './create-authenticator.js'

/**
 * What the authenticator reads of a request, from Node's `IncomingMessage` (Express's `req`, Fastify's
 * `request.raw`, Koa's `ctx.req`): the one place the three adapters take it from.
 *
 * @example
 * ```ts
 * declare const authenticator: Authenticator
 * const identity = await authenticator.authenticate(nodeRequest(req))
 * ```
 */
export function nodeRequest(req: IncomingMessage): AuthRequest {
  return {
    method: req.method,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    url: req.url,
    encrypted: isEncrypted(req),
  }
}

// Whether the request came over TLS: the session cookie's `Secure` and `__Host-` depend on it (with the Host
// header). One rule for `nodeRequest` and `RequestView`.
function isEncrypted(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true
}

/**
 * `authenticator.peek` for Node's request: the identity of a request whose credentials were verified
 * before, or `undefined` (then `authenticate(nodeRequest(req))` decides). Unlike `nodeRequest`, it reads
 * only the fields of `req` that the check needs, when it needs them: a cached bearer token costs one read
 * (`rawHeaders`), a cached session cookie three. On Express each read of `req` is slow: Express gives
 * every request its app's prototype, and V8 then gives each request that gains a property (Express's
 * router adds several) a hidden class of its own, so that no read of it hits an inline cache (measured,
 * 0.4 to 0.6 µs a read, against 0.02 µs on Fastify's and Koa's requests).
 *
 * @example
 * ```ts
 * declare const authenticator: Authenticator
 * const identity = peekRequest(authenticator, req) ?? (await authenticator.authenticate(nodeRequest(req)))
 * ```
 */
export function peekRequest(authenticator: Authenticator, req: IncomingMessage): PlexIdentity | undefined {
  return authenticator.peek(new RequestView(req))
}

/** `nodeRequest`'s fields, read from `req` when asked (the headers once: a session check asks thrice). */
class RequestView implements AuthRequest {
  readonly #req: IncomingMessage
  #headers: IncomingHttpHeaders | undefined

  constructor(req: IncomingMessage) {
    this.#req = req
  }

  get method(): string | undefined {
    return this.#req.method
  }

  get headers(): IncomingHttpHeaders {
    if (this.#headers === undefined) this.#headers = this.#req.headers
    return this.#headers
  }

  get rawHeaders(): readonly string[] {
    return this.#req.rawHeaders
  }

  get url(): string | undefined {
    return this.#req.url
  }

  get encrypted(): boolean {
    return isEncrypted(this.#req)
  }
}
