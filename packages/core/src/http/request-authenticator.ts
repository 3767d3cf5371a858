import { type Authenticator, createAuthenticator } from './create-authenticator.js'

// A symbol property costs less per request than a WeakMap entry and stays invisible to the app.
const AUTHENTICATOR = Symbol('plexauth.authenticator')
type Tagged = { [AUTHENTICATOR]?: Authenticator }
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
  if (found !== undefined) return found
  // Only its error mapping is used: it never verifies a token, so it checks no audience and warns of none.
  fallback ??= createAuthenticator({ acceptAnyAudience: true })
  return fallback
}
