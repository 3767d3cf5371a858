/**
 * Every way `signInWithPlex`, `getSession` and `signOut` can fail. A closed union: switch on it.
 *
 * - `POPUP_BLOCKED`: the sign-in window could not be opened (`mode: 'popup'` only; `'auto'` redirects instead).
 * - `PIN_EXPIRED`: the code expired before the user approved it, or the user pressed Deny (Plex then
 *   withdraws the PIN without saying why).
 * - `ACCESS_DENIED`: the server or the app refused the user; `reason` says why.
 * - `CANCELLED`: the user closed the window without approving, or the `signal` aborted.
 * - `NETWORK`: the server could not be reached, or answered something unexpected (`status`).
 *
 * @example
 * ```ts
 * const code: PlexSignInErrorCode = 'ACCESS_DENIED'
 * ```
 */
export type PlexSignInErrorCode = 'POPUP_BLOCKED' | 'PIN_EXPIRED' | 'ACCESS_DENIED' | 'CANCELLED' | 'NETWORK'

// One fixed message per code: nothing the server or the page sent is ever put into a message.
const MESSAGES: Record<PlexSignInErrorCode, string> = {
  POPUP_BLOCKED: 'The Plex sign-in window could not be opened',
  PIN_EXPIRED: 'The Plex sign-in code expired or was declined',
  ACCESS_DENIED: 'Plex sign-in was refused',
  CANCELLED: 'Plex sign-in was cancelled',
  NETWORK: 'The server could not be reached',
}

/**
 * Extra data a `PlexSignInError` carries.
 *
 * @example
 * ```ts
 * const options: PlexSignInErrorOptions = { reason: 'not_owner', status: 403 }
 * const error = new PlexSignInError('ACCESS_DENIED', options)
 * ```
 */
export interface PlexSignInErrorOptions {
  /** The server's reason: for `ACCESS_DENIED` its `reason`; for an unexpected answer its error `code`. */
  reason?: string | undefined
  /** The HTTP status of the answer that ended the sign-in, when there was one. */
  status?: number | undefined
  /** The underlying error (a failed `fetch`, the signal's reason). */
  cause?: unknown
}

/**
 * The one error class of `@plexauth/browser`. `message` is a fixed sentence for `code`; show `reason` to
 * explain an `ACCESS_DENIED` (`no_server_access`, `not_owner`, `refused`).
 *
 * @example
 * ```ts
 * const status = document.querySelector('#status')!
 * try {
 *   await signInWithPlex()
 * } catch (err) {
 *   if (err instanceof PlexSignInError && err.code === 'ACCESS_DENIED' && err.reason === 'no_server_access') {
 *     status.textContent = 'Ask the owner to share their Plex server with you.'
 *   }
 * }
 * ```
 */
export class PlexSignInError extends Error {
  override readonly name = 'PlexSignInError'
  readonly code: PlexSignInErrorCode
  /** The server's reason, see `PlexSignInErrorOptions.reason`. */
  readonly reason: string | undefined
  /** The HTTP status of the answer that ended the sign-in, when there was one. */
  readonly status: number | undefined

  constructor(code: PlexSignInErrorCode, options: PlexSignInErrorOptions = {}) {
    super(MESSAGES[code], 'cause' in options ? { cause: options.cause } : undefined)
    this.code = code
    this.reason = options.reason
    this.status = options.status
  }
}
