import type { PlexIdentity } from '../jwt/identity-types.js'
import { asError, PlexAuthError } from '../lib/errors.js'
import { boolean, fail, optionNames } from '../lib/options.js'
import { createPlexVerifier, peekOf } from '../verifier/create-plex-verifier.js'
import { VERIFIER_OPTION_NAMES } from '../verifier/resolve-options.js'
import type { PlexVerifier, PlexVerifierOptions } from '../verifier/verifier-types.js'
import type { TokenSource } from './extract-token.js'
import { bearerReader, extractToken, resolveTokenSources, type TokenRequest } from './extract-token.js'
import { type HttpErrorResult, resolveRealm, toHttpError } from './to-http-error.js'

/**
 * The options every adapter takes: core's verifier options plus how requests are read and how
 * errors leave. Adapters extend this type; they never copy it.
 *
 * @example
 * ```ts
 * const options: PlexAuthOptions = { clientIdentifier: 'my-app', credentialsRequired: false, realm: 'my-app' }
 * const authenticator = createAuthenticator(options)
 * ```
 */
export interface PlexAuthOptions extends PlexVerifierOptions {
  /** Share one verifier (and its key cache) between several middlewares. Verifier options are then not allowed. */
  verifier?: PlexVerifier
  /**
   * Default true. When false, a request without a token passes with no identity; a bad token is still refused.
   * @default true
   */
  credentialsRequired?: boolean
  /**
   * Where tokens are read from. Default `['authorization', 'x-plex-token']`.
   * @default ['authorization', 'x-plex-token']
   */
  tokenSources?: readonly TokenSource[]
  /**
   * The `realm` of `WWW-Authenticate`. Default `"plex"`.
   * @default "plex"
   */
  realm?: string
  /**
   * Default false: the adapter answers errors itself (JSON body, `WWW-Authenticate`, `Retry-After`).
   * When true, a `PlexAuthError` carrying `status` and `headers` goes to the framework's error path.
   * @default false
   */
  forwardErrors?: boolean
}

/**
 * A request as the authenticator sees it.
 *
 * @example
 * ```ts
 * const request: AuthRequest = { ...nodeRequest(req), client: req.socket.remoteAddress }
 * ```
 */
export interface AuthRequest extends TokenRequest {
  method?: string | undefined
  /** True when the connection is TLS (`req.socket.encrypted`): decides, with the Host, how cookies are set. */
  encrypted?: boolean | undefined
  /** The peer's address (`req.socket.remoteAddress`): the login routes' per-client budget. */
  remoteAddress?: string | undefined
  /**
   * The client's address as the framework reports it (`req.ip`, `request.ip`, `ctx.ip`: after the
   * framework's own trust-proxy setting). Keys the per-client budget of legacy-token lookups. Read only
   * when a lookup is to be made, so adapters pass a getter.
   */
  readonly client?: string | undefined
  /** Adds a `Set-Cookie` to the response: how a session re-sealed while authenticating reaches the browser. */
  setCookie?: (value: string) => void
}

/**
 * Per-call overrides, e.g. a route that allows anonymous access.
 *
 * @example
 * ```ts
 * declare const authenticator: Authenticator
 * const identity = await authenticator.authenticate(nodeRequest(req), { credentialsRequired: false }) // anonymous is fine here
 * ```
 */
export interface AuthenticateOptions {
  credentialsRequired?: boolean
}

/**
 * What an adapter builds once from its options: the verifier, the request logic and the error
 * mapping, so that the three adapters only translate between core and their framework.
 *
 * @example
 * ```ts
 * const authenticator: Authenticator = createAuthenticator({ clientIdentifier: 'my-app' })
 * try {
 *   const identity = peekRequest(authenticator, req) ?? (await authenticator.authenticate(nodeRequest(req)))
 * } catch (err) {
 *   const { status, headers, body } = authenticator.toHttpError(err)
 * }
 * ```
 */
export interface Authenticator {
  readonly verifier: PlexVerifier
  readonly realm: string
  readonly forwardErrors: boolean
  readonly credentialsRequired: boolean
  /**
   * Identity of the request; `undefined` for an anonymous request that is allowed. Every method is
   * authenticated alike, `OPTIONS` with `Access-Control-Request-Method` too: a request's method or headers
   * never let it skip authentication (issue 11). CORS preflights are the app's CORS middleware's to answer,
   * mounted before plexAuth. Rejects with a `PlexAuthError` (or, for a bug, any error).
   */
  authenticate(request: AuthRequest, options?: AuthenticateOptions): Promise<PlexIdentity | undefined>
  /**
   * The identity of a request whose token this verifier already verified and which is still valid,
   * without waiting; `undefined` whenever `authenticate` must decide (no token, a new token, a malformed
   * request). Adapters try it first so that the common request skips a promise.
   */
  peek(request: AuthRequest): PlexIdentity | undefined
  /** The HTTP answer for an error, with this authenticator's realm. */
  toHttpError(err: unknown): HttpErrorResult
  /** Prepares an error for the framework's error path: a `PlexAuthError` gets its `headers`. */
  toForwardedError(err: unknown): unknown
}

/** The options of `PlexAuthOptions` that are not the verifier's. */
const ADAPTER_OPTION_NAMES = optionNames<Omit<PlexAuthOptions, keyof PlexVerifierOptions>>({
  verifier: true,
  credentialsRequired: true,
  tokenSources: true,
  realm: true,
  forwardErrors: true,
})

/**
 * Builds the shared core of an adapter. `extraOptionNames` lists options the adapter itself reads,
 * so that a misspelt option still throws `TypeError`.
 *
 * @example
 * ```ts
 * const auth = createAuthenticator({ clientIdentifier: 'my-app', credentialsRequired: false })
 * const identity = await auth.authenticate({ method: req.method, headers: req.headers, url: req.url })
 * ```
 */
export function createAuthenticator(
  options: PlexAuthOptions = {},
  extraOptionNames: readonly string[] = [],
): Authenticator {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const verifierOptions: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(options)) {
    if (ADAPTER_OPTION_NAMES.has(name) || extraOptionNames.includes(name)) continue
    if (!VERIFIER_OPTION_NAMES.has(name)) fail(`unknown option ${name}`)
    if (value !== undefined) verifierOptions[name] = value
  }
  // The adapter's own options first: a misconfigured middleware throws before a verifier is built (and warns).
  const sources = resolveTokenSources(options.tokenSources)
  const realm = resolveRealm(options.realm)
  const credentialsRequired = boolean('credentialsRequired', options.credentialsRequired, true)
  const forwardErrors = boolean('forwardErrors', options.forwardErrors, false)
  let verifier: PlexVerifier
  if (options.verifier !== undefined) {
    const shared = options.verifier
    if (typeof shared !== 'object' || shared === null || typeof shared.verify !== 'function') {
      fail('verifier must come from createPlexVerifier()')
    }
    if (Object.keys(verifierOptions).length > 0) {
      fail('pass verifier options to createPlexVerifier() when sharing a verifier')
    }
    verifier = shared
  } else {
    verifier = createPlexVerifier(verifierOptions as PlexVerifierOptions)
  }
  const extractOptions = { sources }
  const readBearer = bearerReader(sources)
  const peek = peekOf(verifier)

  return {
    verifier,
    realm,
    forwardErrors,
    credentialsRequired,
    // Not `async`: an async function returning the verifier's promise would cost two more microtask
    // turns per request, a measurable share of a fast framework's request (see BENCHMARKS.md).
    authenticate(request, perCall) {
      try {
        const token = extractToken(request, extractOptions)
        if (token === undefined) {
          if (perCall?.credentialsRequired ?? credentialsRequired) throw new PlexAuthError('TOKEN_MISSING')
          return Promise.resolve(undefined)
        }
        // The request itself is the context: its `client` is read only if a lookup is to be made.
        return verifier.verify(token, request)
      } catch (err) {
        return Promise.reject(err)
      }
    },
    peek(request) {
      if (peek === undefined) return undefined
      try {
        // The usual request first: a bearer token verified before, recognised without reading it twice.
        const bearer = readBearer?.(request)
        const known = bearer === undefined ? undefined : peek.bearer(bearer)
        if (known !== undefined) return known
        const token = extractToken(request, extractOptions)
        return token === undefined ? undefined : peek.token(token)
      } catch {
        return undefined
      }
    },
    toHttpError(err) {
      return toHttpError(err, { realm })
    },
    toForwardedError(err) {
      if (err instanceof PlexAuthError) err.headers = toHttpError(err, { realm }).headers
      // A thrown value that is no object (`undefined`, `null`, `0`, `''`, Express's `'route'`) would read as
      // "no error" to `next()` or Fastify's `done()`, and let the request on to its handler: it is wrapped.
      if ((typeof err !== 'object' && typeof err !== 'function') || err === null) return asError(err)
      return err
    },
  }
}
