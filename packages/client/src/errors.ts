/**
 * Every way a client operation can fail. A closed union: switch on it.
 *
 * @example
 * ```ts
 * declare const client: PlexClient
 * declare function login(): Promise<void>
 * try { await client.getToken() } catch (err) {
 *   if (isPlexClientError(err) && err.code === 'NOT_LOGGED_IN') await login()
 * }
 * ```
 */
export type PlexClientErrorCode =
  | 'NOT_LOGGED_IN'
  | 'LOGIN_EXPIRED'
  | 'ABORTED'
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'RATE_LIMITED'
  | 'HTTP_ERROR'
  | 'RESPONSE_INVALID'
  | 'RESPONSE_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'TOKEN_EXPIRED'
  | 'THUMBPRINT_TAKEN'
  | 'SIGNATURE_REJECTED'
  | 'TOKEN_INVALID'
  | 'THUMBPRINT_MISMATCH'
  | 'KEYS_UNAVAILABLE'
  | 'STORE_CORRUPT'
  | 'STORE_FAILED'
  | 'STORE_INSECURE'

/**
 * The fixed message of each code. Messages never contain a token or any other response data.
 *
 * @example
 * ```ts
 * CLIENT_ERROR_MESSAGES.NOT_LOGGED_IN // 'No Plex login is stored: log in first'
 * ```
 */
export const CLIENT_ERROR_MESSAGES: Readonly<Record<PlexClientErrorCode, string>> = Object.freeze({
  NOT_LOGGED_IN: 'No Plex login is stored: log in first',
  LOGIN_EXPIRED: 'The login PIN expired before it was approved',
  ABORTED: 'The operation was aborted',
  NETWORK_ERROR: 'The Plex service could not be reached',
  TIMEOUT: 'The Plex service did not answer in time',
  RATE_LIMITED: 'The Plex service is rate limiting requests: try again later',
  HTTP_ERROR: 'The Plex service answered with an unexpected status',
  RESPONSE_INVALID: 'The Plex service sent an answer that could not be understood',
  RESPONSE_TOO_LARGE: 'The Plex service sent an answer larger than allowed',
  UNAUTHORIZED: 'The Plex service did not accept the token',
  TOKEN_EXPIRED: 'The Plex service reports the token as expired',
  THUMBPRINT_TAKEN: 'plex.tv refused the device key: Thumbprint Already Taken (it belongs to another device)',
  SIGNATURE_REJECTED:
    'plex.tv refused the device JWT: Signature Verification Failed (bad signature, unregistered key or stale nonce)',
  TOKEN_INVALID: 'The token from plex.tv failed verification',
  THUMBPRINT_MISMATCH: 'The token from plex.tv is bound to another device key',
  KEYS_UNAVAILABLE: 'Plex signing keys are unavailable, so no token can be verified: try again later',
  STORE_CORRUPT: 'The stored Plex login is corrupted; it was left untouched',
  STORE_FAILED: 'The stored Plex login could not be read or written',
  STORE_INSECURE: 'The Plex login store is not private to this user, so it was not used',
})

/**
 * Extra data some codes carry.
 *
 * @example
 * ```ts
 * const options: PlexClientErrorOptions = { status: 502, cause: new Error('socket hang up') }
 * throw new PlexClientError('HTTP_ERROR', options)
 * ```
 */
export interface PlexClientErrorOptions {
  /** The underlying error, kept for logs. */
  cause?: unknown
  /** The HTTP status behind `HTTP_ERROR`, `UNAUTHORIZED`, `TOKEN_EXPIRED`, `RATE_LIMITED`, 422 codes. */
  status?: number
  /** For `RATE_LIMITED`: seconds the service asked to wait, when it said. */
  retryAfter?: number
  /**
   * For `STORE_INSECURE`: what was found and what to fix (the path, the mode, the `chmod` to run), appended
   * to the fixed message. Only the library's own wording and local facts: never a token or response data.
   */
  detail?: string
}

/**
 * The one error class of @plexauth/client. `message` is the fixed message of `code` (for `STORE_INSECURE`,
 * followed by what to fix).
 *
 * @example
 * ```ts
 * throw new PlexClientError('RATE_LIMITED', { status: 429, retryAfter: 30 })
 * ```
 */
export class PlexClientError extends Error {
  override readonly name = 'PlexClientError'
  readonly code: PlexClientErrorCode
  readonly status: number | undefined
  readonly retryAfter: number | undefined

  constructor(code: PlexClientErrorCode, options: PlexClientErrorOptions = {}) {
    super(
      options.detail === undefined
        ? CLIENT_ERROR_MESSAGES[code]
        : `${CLIENT_ERROR_MESSAGES[code]}: ${options.detail}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    )
    this.code = code
    this.status = options.status
    this.retryAfter = options.retryAfter
  }
}

/**
 * Narrows an unknown error to a `PlexClientError`, also across duplicated package copies.
 *
 * @example
 * ```ts
 * declare const client: PlexClient
 * try { await client.ping() } catch (err) {
 *   if (isPlexClientError(err)) console.error(err.code)
 * }
 * ```
 */
export function isPlexClientError(err: unknown): err is PlexClientError {
  return (
    err instanceof PlexClientError ||
    (err instanceof Error &&
      err.name === 'PlexClientError' &&
      typeof (err as Error & { code?: unknown }).code === 'string' &&
      Object.hasOwn(CLIENT_ERROR_MESSAGES, (err as Error & { code: string }).code))
  )
}
