import {
  type AccessDeniedReason,
  ERROR_CODES,
  isPlexAuthError,
  type PlexAuthErrorCode,
} from '../lib/errors.js'

/**
 * The JSON body of an error response.
 *
 * @example
 * ```ts
 * const body: HttpErrorBody = toHttpError(new PlexAuthError('TOKEN_EXPIRED')).body
 * body.code // 'TOKEN_EXPIRED'
 * ```
 */
export interface HttpErrorBody {
  /** The RFC 6750 error code (`invalid_token`, `invalid_request`, `insufficient_scope`) or a close cousin. */
  error: string
  /** A fixed description; never contains request data. */
  error_description: string
  /** The plexauth code, or `INTERNAL_ERROR` for anything unexpected. */
  code: PlexAuthErrorCode | 'INTERNAL_ERROR'
  /** For `ACCESS_DENIED` from the login routes: why the sign-in was refused. */
  reason?: AccessDeniedReason
}

/**
 * A ready-to-send HTTP error.
 *
 * @example
 * ```ts
 * declare const res: import('node:http').ServerResponse
 * const { status, headers, body }: HttpErrorResult = toHttpError(new PlexAuthError('TOKEN_MISSING'))
 * res.writeHead(status, headers).end(JSON.stringify(body))
 * ```
 */
export interface HttpErrorResult {
  status: number
  headers: Record<string, string>
  body: HttpErrorBody
}

/**
 * Options of `toHttpError`.
 *
 * @example
 * ```ts
 * const options: ToHttpErrorOptions = { realm: 'my-app' }
 * toHttpError(new PlexAuthError('TOKEN_MISSING'), options).headers['www-authenticate'] // Bearer realm="my-app"
 * ```
 */
export interface ToHttpErrorOptions {
  /**
   * The `realm` of `WWW-Authenticate`. Default `"plex"`.
   * @default "plex"
   */
  realm?: string
}

const RFC_ERROR: Record<PlexAuthErrorCode, string> = {
  TOKEN_MISSING: 'unauthorized',
  TOKEN_MALFORMED: 'invalid_token',
  TOKEN_UNSUPPORTED: 'invalid_token',
  TOKEN_SIGNATURE_INVALID: 'invalid_token',
  TOKEN_EXPIRED: 'invalid_token',
  TOKEN_NOT_YET_VALID: 'invalid_token',
  TOKEN_CLAIMS_INVALID: 'invalid_token',
  TOKEN_KEY_UNKNOWN: 'invalid_token',
  TOKEN_INVALID: 'invalid_token',
  REQUEST_INVALID: 'invalid_request',
  INSUFFICIENT_SCOPE: 'insufficient_scope',
  ACCESS_DENIED: 'access_denied',
  KEYS_UNAVAILABLE: 'temporarily_unavailable',
  PLEX_UNAVAILABLE: 'temporarily_unavailable',
  // RFC 8628 (device authorization) names for the PIN flow's outcomes.
  PIN_EXPIRED: 'expired_token',
  LOGIN_STATE_INVALID: 'access_denied',
  CSRF_REJECTED: 'access_denied',
  RATE_LIMITED: 'slow_down',
}
const REASONS: ReadonlySet<string> = new Set<AccessDeniedReason>(['no_server_access', 'not_owner', 'refused'])

// Quoted-string content per RFC 9110, minus backslash and quote so no escaping is ever needed.
const SAFE_QUOTED = /^[\t\x20\x21\x23-\x5b\x5d-\x7e]*$/
const SCOPE_LIST = /^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/

/**
 * Validates a realm once, at construction. Throws `TypeError` when it could not be sent as a
 * quoted string as it is.
 */
export function resolveRealm(realm: unknown): string {
  if (realm === undefined) return 'plex'
  if (typeof realm !== 'string' || realm.length > 128 || !SAFE_QUOTED.test(realm)) {
    throw new TypeError(
      'plexauth: realm must be a string of printable characters without quotes or backslashes',
    )
  }
  return realm
}

function quote(value: string): string {
  return `"${SAFE_QUOTED.test(value) ? value : ''}"`
}

/**
 * Maps any error to its HTTP answer, per RFC 6750: `WWW-Authenticate: Bearer realm="plex"` without an
 * error attribute for a missing token; `error="invalid_token"` and a fixed description for a bad one;
 * `invalid_request` (400); `insufficient_scope` with `scope` (403); `Retry-After` on 503. Anything that
 * is not a `PlexAuthError` becomes a bare 500: the process keeps running and nothing leaks.
 *
 * @example
 * ```ts
 * declare const err: unknown // what verification threw
 * declare const res: import('node:http').ServerResponse
 * const { status, headers, body } = toHttpError(err, { realm: 'my-app' })
 * res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body))
 * ```
 */
export function toHttpError(err: unknown, options: ToHttpErrorOptions = {}): HttpErrorResult {
  const realm = `realm=${quote(options.realm ?? 'plex')}`
  if (!isPlexAuthError(err)) {
    return {
      status: 500,
      headers: { 'www-authenticate': `Bearer ${realm}` },
      body: { error: 'server_error', error_description: 'Internal server error', code: 'INTERNAL_ERROR' },
    }
  }
  const error = RFC_ERROR[err.code]
  // From the code, not the object: an error from another copy of plexauth (or one mutated by the
  // app) must not choose what is sent.
  const { status, description } = ERROR_CODES[err.code]
  const headers: Record<string, string> = {}
  const params = [realm]
  if (err.code === 'INSUFFICIENT_SCOPE') {
    params.push(`error="insufficient_scope"`, `error_description=${quote(description)}`)
    // RFC 6750: one or more scope tokens separated by single spaces; a list that is not one is left out.
    const scope = Array.isArray(err.scopes) ? err.scopes.join(' ') : ''
    if (SCOPE_LIST.test(scope)) params.push(`scope="${scope}"`)
  } else if (status === 401 && err.code !== 'TOKEN_MISSING') {
    params.push(`error="invalid_token"`, `error_description=${quote(description)}`)
  } else if (status === 400) {
    params.push(`error="invalid_request"`, `error_description=${quote(description)}`)
  }
  headers['www-authenticate'] = `Bearer ${params.join(', ')}`
  if (status === 503 || status === 429) {
    const retryAfter = Number.isFinite(err.retryAfter) ? Math.ceil(err.retryAfter as number) : 1
    // delay-seconds is digits only: a huge value would print as "1e+21". More than a day helps no client.
    headers['retry-after'] = String(Math.min(86_400, Math.max(1, retryAfter)))
  }
  const body: HttpErrorBody = { error, error_description: description, code: err.code }
  // Only a value of the fixed list: the reason is read from the error object, which the app may have built.
  if (err.code === 'ACCESS_DENIED' && typeof err.reason === 'string' && REASONS.has(err.reason)) {
    body.reason = err.reason
  }
  return { status, headers, body }
}
