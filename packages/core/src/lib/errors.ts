/**
 * Every way a request can fail authentication or authorization. A closed union: switch on it.
 *
 * @example
 * ```ts
 * try { await verifier.verify(token) } catch (err) {
 *   if (err instanceof PlexAuthError && err.code === 'TOKEN_EXPIRED') console.log('ask the client to refresh')
 * }
 * ```
 */
export type PlexAuthErrorCode =
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_UNSUPPORTED'
  | 'TOKEN_SIGNATURE_INVALID'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_CLAIMS_INVALID'
  | 'TOKEN_KEY_UNKNOWN'
  | 'TOKEN_INVALID'
  | 'REQUEST_INVALID'
  | 'INSUFFICIENT_SCOPE'
  | 'ACCESS_DENIED'
  | 'KEYS_UNAVAILABLE'
  | 'PLEX_UNAVAILABLE'
  | 'PIN_EXPIRED'
  | 'LOGIN_STATE_INVALID'
  | 'CSRF_REJECTED'
  | 'RATE_LIMITED'

/**
 * Why a sign-in was refused (`ACCESS_DENIED` from the login routes): the user has no access to the server,
 * is not its owner (`access.ownerOnly`), or the app's `onLogin` returned `false`.
 *
 * @example
 * ```ts
 * declare const err: PlexAuthError
 * if (err.code === 'ACCESS_DENIED' && err.reason === 'not_owner') console.log('Only the server owner may sign in')
 * ```
 */
export type AccessDeniedReason = 'no_server_access' | 'not_owner' | 'refused'

/**
 * Every HTTP status a `PlexAuthError` maps to.
 *
 * @example
 * ```ts
 * const status: PlexAuthErrorStatus = new PlexAuthError('TOKEN_EXPIRED').status // 401
 * ```
 */
export type PlexAuthErrorStatus = 400 | 401 | 403 | 410 | 429 | 503

interface CodeInfo {
  readonly status: PlexAuthErrorStatus
  readonly description: string
}

/**
 * The fixed status and description of each code. Descriptions never contain request data.
 *
 * @example
 * ```ts
 * ERROR_CODES.TOKEN_EXPIRED.status // 401
 * ```
 */
export const ERROR_CODES: Readonly<Record<PlexAuthErrorCode, CodeInfo>> = Object.freeze({
  TOKEN_MISSING: { status: 401, description: 'Authentication required' },
  TOKEN_MALFORMED: { status: 401, description: 'The token is malformed' },
  TOKEN_UNSUPPORTED: { status: 401, description: 'The token uses an unsupported algorithm or header' },
  TOKEN_SIGNATURE_INVALID: { status: 401, description: 'The token signature is invalid' },
  TOKEN_EXPIRED: { status: 401, description: 'The token has expired' },
  TOKEN_NOT_YET_VALID: { status: 401, description: 'The token is not valid yet' },
  TOKEN_CLAIMS_INVALID: { status: 401, description: 'The token claims are invalid' },
  TOKEN_KEY_UNKNOWN: { status: 401, description: 'The token was signed with an unknown key' },
  TOKEN_INVALID: { status: 401, description: 'The token was rejected by Plex' },
  REQUEST_INVALID: { status: 400, description: 'The request carries its credentials incorrectly' },
  INSUFFICIENT_SCOPE: { status: 403, description: 'The token lacks a required scope' },
  ACCESS_DENIED: { status: 403, description: 'Access denied' },
  KEYS_UNAVAILABLE: { status: 503, description: 'Plex signing keys are unavailable, try again later' },
  PLEX_UNAVAILABLE: { status: 503, description: 'Plex is unavailable, try again later' },
  PIN_EXPIRED: { status: 410, description: 'The sign-in PIN has expired or was withdrawn' },
  LOGIN_STATE_INVALID: { status: 403, description: 'This sign-in was not started by this browser' },
  CSRF_REJECTED: { status: 403, description: 'Cross-site request refused' },
  RATE_LIMITED: { status: 429, description: 'Too many sign-in attempts, try again later' },
})

/**
 * Which check refused a token, carried by `TOKEN_CLAIMS_INVALID`, `TOKEN_EXPIRED` and
 * `TOKEN_NOT_YET_VALID` for the operator's logs (the `token_rejected` event); never sent to clients.
 *
 * @example
 * ```ts
 * const check: RejectedCheck = 'aud' // the token was issued to another app
 * ```
 */
export type RejectedCheck =
  | 'iss'
  | 'aud'
  | 'exp'
  | 'iat'
  | 'nbf'
  | 'lifetime'
  | 'thumbprint'
  | 'user'
  | 'scope'

/**
 * Extra data some codes carry.
 *
 * @example
 * ```ts
 * const options: PlexAuthErrorOptions = { retryAfter: 30 }
 * throw new PlexAuthError('PLEX_UNAVAILABLE', options)
 * ```
 */
export interface PlexAuthErrorOptions {
  /** For token rejections: the check that failed (for logs; the answer never says). */
  check?: RejectedCheck
  /** The underlying error, kept for logs; never sent to clients. */
  cause?: unknown
  /** For `INSUFFICIENT_SCOPE`: the scopes the route requires. */
  scopes?: readonly string[]
  /** For `KEYS_UNAVAILABLE`, `PLEX_UNAVAILABLE` and `RATE_LIMITED`: seconds the client should wait. */
  retryAfter?: number
  /** For `ACCESS_DENIED` from the login routes: why the sign-in was refused (sent as `reason`). */
  reason?: AccessDeniedReason
}

/**
 * The one error class of plexauth. `message` is the fixed description of `code`.
 * `status`/`statusCode`/`expose` let framework error handlers (Express, Fastify, Koa) use it directly;
 * adapters that hand errors on also set `headers` (`WWW-Authenticate`, `Retry-After`).
 *
 * @example
 * ```ts
 * throw new PlexAuthError('INSUFFICIENT_SCOPE', { scopes: ['email'] })
 * ```
 */
export class PlexAuthError extends Error {
  override readonly name = 'PlexAuthError'
  readonly code: PlexAuthErrorCode
  readonly description: string
  readonly status: PlexAuthErrorStatus
  /** Scopes required by the route, for `INSUFFICIENT_SCOPE`. */
  readonly scopes: readonly string[] | undefined
  /** Seconds to wait before retrying, for `KEYS_UNAVAILABLE`, `PLEX_UNAVAILABLE` and `RATE_LIMITED`. */
  readonly retryAfter: number | undefined
  /** Why a sign-in was refused, for `ACCESS_DENIED` from the login routes. */
  readonly reason: AccessDeniedReason | undefined
  /** For token rejections: the check that failed. For the operator's logs; never part of an answer. */
  readonly check: RejectedCheck | undefined
  /** Response headers, filled in by adapters that hand the error to the framework. */
  headers: Record<string, string> | undefined

  constructor(code: PlexAuthErrorCode, options: PlexAuthErrorOptions = {}) {
    const info = ERROR_CODES[code]
    super(info.description, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.description = info.description
    this.status = info.status
    this.scopes = options.scopes
    this.retryAfter = options.retryAfter
    this.reason = code === 'ACCESS_DENIED' ? options.reason : undefined
    this.check = options.check
    this.headers = undefined
  }

  /** Alias of `status`, for frameworks that read `statusCode` (Fastify, Express). */
  get statusCode(): number {
    return this.status
  }

  /** Koa exposes the message of errors with `expose: true`; every description is safe to show. */
  get expose(): boolean {
    return true
  }
}

/**
 * Narrows an unknown error to a `PlexAuthError`, also across duplicated package copies.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(token)
 * } catch (err) {
 *   if (isPlexAuthError(err)) console.log(err.code)
 * }
 * ```
 */
export function isPlexAuthError(err: unknown): err is PlexAuthError {
  return (
    err instanceof PlexAuthError ||
    (err instanceof Error &&
      err.name === 'PlexAuthError' &&
      typeof (err as Error & { code?: unknown }).code === 'string' &&
      Object.hasOwn(ERROR_CODES, (err as Error & { code: string }).code))
  )
}

/**
 * @internal What was thrown, as an `Error`: itself if it is one, else an `Error` carrying it as `cause`
 * (`throw undefined`, a promise rejected without a reason), which a framework never reads as "no error".
 */
export function asError(value: unknown): Error {
  return value instanceof Error
    ? value
    : new Error('plexauth: a value that is not an error was thrown', { cause: value })
}
