import { type Authenticator, createAuthenticator } from './create-authenticator.js'

/**
 * The property `rememberAuthenticator` sets. A symbol costs less per request than a `WeakMap` entry and
 * stays invisible to the app. A framework whose request objects declare their fields up front declares
 * this one too (Fastify: `decorateRequest(AUTHENTICATOR_KEY, null)`), so that recording is a plain write
 * that leaves the object's shape alone; on objects that were never declared it is added per request.
 *
 * @example
 * ```ts
 * declare const app: import('fastify').FastifyInstance
 * app.decorateRequest(AUTHENTICATOR_KEY, null) // then rememberAuthenticator(request, …) keeps its shape
 * ```
 */
export const AUTHENTICATOR_KEY: unique symbol = Symbol('plexauth.authenticator')
const AUTHENTICATOR = AUTHENTICATOR_KEY
type Tagged = { [AUTHENTICATOR]?: Authenticator | null }
let fallback: Authenticator | undefined

/**
 * Records on a request (any object: Node's `IncomingMessage`, a framework request) which authenticator
 * authenticated it, so that guards later in the chain answer in its realm and error mode.
 *
 * @example
 * ```ts
 * const authenticator = createAuthenticator({ clientIdentifier: 'my-app' })
 * rememberAuthenticator(req, authenticator)
 * authenticatorOf(req) === authenticator // true
 * ```
 */
export function rememberAuthenticator(request: object, authenticator: Authenticator): void {
  ;(request as Tagged)[AUTHENTICATOR] = authenticator
}

/**
 * The authenticator recorded for a request by `rememberAuthenticator`, or a default one (realm
 * `"plex"`, errors answered) for a guard used without a preceding `plexAuth`.
 *
 * @example
 * ```ts
 * declare const err: unknown // what a guard threw
 * const { status, headers, body } = authenticatorOf(req).toHttpError(err)
 * ```
 */
export function authenticatorOf(request: object | undefined): Authenticator {
  const found = request === undefined ? undefined : (request as Tagged)[AUTHENTICATOR]
  // null: a declared slot nothing was recorded in.
  if (found !== undefined && found !== null) return found
  // Only its error mapping is used: it never verifies a token, so it checks no audience and warns of none.
  fallback ??= createAuthenticator({ acceptAnyAudience: true })
  return fallback
}
