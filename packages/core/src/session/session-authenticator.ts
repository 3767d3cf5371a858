import {
  type Authenticator,
  type AuthRequest,
  createAuthenticator,
  type PlexAuthOptions,
} from '../http/create-authenticator.js'
import { extractToken, resolveTokenSources } from '../http/extract-token.js'
import type { PlexIdentity } from '../jwt/identity-types.js'
import { PlexAuthError } from '../lib/errors.js'
import {
  clearCookie,
  cookieName,
  isSameOrigin,
  isSecure,
  isUnsafeMethod,
  readHostCookie,
  requestContext,
  SESSION_COOKIE,
  serializeCookie,
} from './cookies.js'
import { createSessionChecks } from './session-checks.js'
import { type SessionChecks, sessionManagerFor } from './session-manager.js'
import { resolveOrigin } from './session-options.js'
import type { SessionOptions } from './session-types.js'

/**
 * The options of `plexAuth` in every adapter: core's, plus the session cookie.
 *
 * @example
 * ```ts
 * const options: PlexAuthSessionOptions = { clientIdentifier: 'my-app', session: { secret: process.env.PLEXAUTH_SECRET! } }
 * ```
 */
export interface PlexAuthSessionOptions extends PlexAuthOptions {
  /**
   * Also accept plexauth's session cookie (set by `plexLogin`) when the request carries no token header.
   * Pass the same object as to `plexLogin`.
   */
  session?: SessionOptions
  /** The app's external origin behind a proxy: decides `Secure` cookies and is an allowed `Origin`. */
  publicUrl?: string
}

function hasTokenHeader(request: AuthRequest): boolean {
  const { headers } = request
  return headers.authorization !== undefined || headers['x-plex-token'] !== undefined
}

/**
 * Builds an adapter's authenticator: `createAuthenticator` (a token from the request's headers), and, with
 * `session`, the session cookie when no token header is present (the header wins). A cookie request costs a
 * cache lookup once its cookie was opened; after `revalidateAfter` it is checked again (and re-sealed via
 * `request.setCookie`). An unsafe method (POST, PUT, PATCH, DELETE) authenticated by the cookie must come from
 * the app's own origin: otherwise `CSRF_REJECTED`. Throws `TypeError` for a misconfiguration.
 *
 * @example
 * ```ts
 * declare const res: import('node:http').ServerResponse
 * const auth = createSessionAuthenticator({ clientIdentifier: 'my-app', session: { secret: process.env.PLEXAUTH_SECRET! } })
 * const identity = await auth.authenticate({
 *   ...nodeRequest(req),
 *   setCookie: (cookie) => res.appendHeader('set-cookie', cookie),
 * })
 * ```
 */
export function createSessionAuthenticator(
  options: PlexAuthSessionOptions = {},
  extraOptionNames: readonly string[] = [],
): Authenticator {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('plexauth: options must be an object')
  const { session, publicUrl, ...rest } = options
  const base = createAuthenticator(rest, extraOptionNames)
  const publicOrigin = publicUrl === undefined ? undefined : resolveOrigin('publicUrl', publicUrl)
  if (session === undefined) return base
  const manager = sessionManagerFor(session)
  const sources = resolveTokenSources(options.tokenSources)
  const extractOptions = { sources }
  const readsQuery = sources.includes('query')
  const allowed = new Set(manager.options.trustedOrigins)
  if (publicOrigin !== undefined) allowed.add(publicOrigin)
  const clientIdentifier =
    typeof options.clientIdentifier === 'string' ? options.clientIdentifier : options.clientIdentifier?.[0]
  let ownChecks: SessionChecks | undefined
  // plexLogin's checks when it shares the session object (they know its ownerToken), else checks of our own.
  const checks = (): SessionChecks => {
    if (manager.loginChecks !== undefined) return manager.loginChecks
    ownChecks ??= createSessionChecks({
      verifier: base.verifier,
      clientIdentifier,
      plexTvUrl: options.plexTvUrl,
      fetch: options.fetch,
      onEvent: options.onEvent,
      revalidateAfterMs: manager.options.revalidateAfterMs,
    })
    return ownChecks
  }

  /** The session cookie's value, under the name this request may use: `__Host-` unless plain http on loopback. */
  function cookieOf(request: AuthRequest): string | undefined {
    return readHostCookie(request.headers.cookie, SESSION_COOKIE, () => !isSecure(request, publicOrigin))
  }

  function fromOwnOrigin(request: AuthRequest): boolean {
    return (
      !isUnsafeMethod(request.method) || isSameOrigin(request, requestContext(request, publicOrigin), allowed)
    )
  }

  async function fromCookie(request: AuthRequest, required: boolean): Promise<PlexIdentity | undefined> {
    const value = cookieOf(request)
    if (value !== undefined) {
      const result = await manager.resolve(value, checks())
      const { secure } = requestContext(request, publicOrigin)
      if (result.renewed !== undefined) {
        const { value: renewed, maxAge } = result.renewed
        request.setCookie?.(serializeCookie(cookieName(SESSION_COOKIE, secure), renewed, { secure, maxAge }))
      } else if (result.clear === true) {
        request.setCookie?.(clearCookie(SESSION_COOKIE, secure))
      }
      if (result.identity !== undefined) {
        if (!fromOwnOrigin(request)) throw new PlexAuthError('CSRF_REJECTED')
        return result.identity
      }
    }
    if (required) throw new PlexAuthError('TOKEN_MISSING')
    return undefined
  }

  return {
    ...base,
    authenticate(request, perCall) {
      try {
        if (extractToken(request, extractOptions) !== undefined) return base.authenticate(request, perCall)
        return fromCookie(request, perCall?.credentialsRequired ?? base.credentialsRequired)
      } catch (err) {
        return Promise.reject(err)
      }
    },
    peek(request) {
      if (hasTokenHeader(request) || (readsQuery && request.url?.includes('?') === true)) {
        return base.peek(request)
      }
      const value = cookieOf(request)
      if (value === undefined) return undefined
      const identity = manager.peek(value)
      return identity !== undefined && fromOwnOrigin(request) ? identity : undefined
    },
  }
}
