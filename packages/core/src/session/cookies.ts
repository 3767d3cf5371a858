import type { AuthRequest } from '../http/create-authenticator.js'
import { isLoopback } from '../lib/options.js'

/** The session cookie's name over plain http on a loopback host; elsewhere it carries the `__Host-` prefix. */
export const SESSION_COOKIE = 'plexauth_session'
/** The login-state cookie's name (binding a PIN to the browser that asked for it), prefixed as above. */
export const LOGIN_COOKIE = 'plexauth_login'
/** Browsers drop a cookie larger than this (name, value and attributes). */
export const MAX_COOKIE_BYTES = 4096

/** How a request reached the app, as far as cookies and origins care. */
export interface RequestContext {
  /** `Secure` and `__Host-`: false only over plain http on a loopback host. */
  secure: boolean
  /** `scheme://host` of the request as the browser addressed it, or `undefined` without a usable Host. */
  origin: string | undefined
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined
}

// A Host header: a name or address and an optional port, nothing a URL could be smuggled in.
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

/**
 * How the browser reached this request: from `publicUrl` when the app set one (behind a proxy), else from
 * the connection (TLS), `X-Forwarded-Proto: https` and the Host header. Plain http counts as such only on
 * a loopback host: anywhere else the cookie is `Secure` whatever the connection looks like here.
 */
export function requestContext(request: AuthRequest, publicOrigin: string | undefined): RequestContext {
  const host = first(request.headers.host)
  const https = isHttps(request)
  const origin =
    host !== undefined && HOST.test(host) ? `${https ? 'https' : 'http'}://${host.toLowerCase()}` : undefined
  return { secure: isSecure(request, publicOrigin), origin }
}

function isHttps(request: AuthRequest): boolean {
  if (request.encrypted === true) return true
  const forwarded = first(request.headers['x-forwarded-proto'])
  return forwarded !== undefined && forwarded.split(',')[0]?.trim().toLowerCase() === 'https'
}

/**
 * `requestContext(…).secure` alone, without building the origin: what the session cookie's name depends on,
 * asked on every request that carries the unprefixed cookie.
 */
export function isSecure(request: AuthRequest, publicOrigin: string | undefined): boolean {
  if (publicOrigin !== undefined) return publicOrigin.startsWith('https:')
  const host = first(request.headers.host)
  if (host === undefined || isHttps(request)) return true
  return !isLoopbackHost(host)
}

// The last Host asked about: a session request on plain http asks on every request, and an app hears
// one or two Host values, not one per request.
let lastHost: string | undefined
let lastLoopback = false

function isLoopbackHost(host: string): boolean {
  if (host !== lastHost) {
    const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!
    lastLoopback = isLoopback(hostname.toLowerCase())
    lastHost = host
  }
  return lastLoopback
}

/** The cookie's name for this request: `__Host-` prefixed unless plain http on a loopback host. */
export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base
}

/** Whether a cookie name that starts at `at` starts the header or follows "; " (else it is another's tail). */
function startsName(text: string, at: number): boolean {
  let before = at - 1
  while (before >= 0 && text.charCodeAt(before) === 32) before--
  return before < 0 || text.charCodeAt(before) === 59 /* ; */
}

/** The value of the cookie whose `=` is at `equals`: up to the next `;`, trimmed. */
function valueAt(text: string, equals: number): string {
  const end = text.indexOf(';', equals)
  return text.slice(equals + 1, end === -1 ? text.length : end).trim()
}

/**
 * The value of the first cookie called `name` in a `Cookie` header, or `undefined`. Hand-written rather
 * than a cookie library: it runs on every request authenticated by the session, looks for one name with
 * `indexOf` and allocates nothing but the value (measured in BENCHMARKS.md); values are not decoded
 * (plexauth's own values are base64url).
 */
export function readCookie(header: string | readonly string[] | undefined, name: string): string | undefined {
  const text = first(header)
  if (text === undefined) return undefined
  let at = text.indexOf(name)
  while (at !== -1) {
    const after = at + name.length
    if (text.charCodeAt(after) === 61 /* = */ && startsName(text, at)) return valueAt(text, after)
    at = text.indexOf(name, at + 1)
  }
  return undefined
}

const HOST_PREFIX = '__Host-'

/**
 * The value of the cookie `__Host-<base>`, else of `<base>` when `plainAllowed()` says so, found in one
 * pass over the header: the session's cookie is looked for on every request it authenticates, and the
 * header holds the session's 1-3 KB (reading the header once per name cost twice as much).
 */
export function readHostCookie(
  header: string | readonly string[] | undefined,
  base: string,
  plainAllowed: () => boolean,
): string | undefined {
  const text = first(header)
  if (text === undefined) return undefined
  let plain: string | undefined
  let at = text.indexOf(base)
  while (at !== -1) {
    const after = at + base.length
    let next = at + 1
    if (text.charCodeAt(after) === 61 /* = */) {
      const prefixed = at >= HOST_PREFIX.length && text.startsWith(HOST_PREFIX, at - HOST_PREFIX.length)
      if (startsName(text, prefixed ? at - HOST_PREFIX.length : at)) {
        if (prefixed) return valueAt(text, after)
        plain ??= valueAt(text, after)
        // A value holds no ";": the next cookie's name comes after it.
        const end = text.indexOf(';', after)
        if (end === -1) break
        next = end
      }
    }
    at = text.indexOf(base, next)
  }
  return plain !== undefined && plainAllowed() ? plain : undefined
}

/** Options of one `Set-Cookie`. */
export interface CookieAttributes {
  secure: boolean
  /** Seconds; 0 deletes the cookie. */
  maxAge: number
}

/** A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when asked, and Max-Age. */
export function serializeCookie(name: string, value: string, { secure, maxAge }: CookieAttributes): string {
  const expiry = maxAge <= 0 ? 'Max-Age=0' : `Max-Age=${Math.floor(maxAge)}`
  return `${name}=${value}; Path=/; ${expiry}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}

/** A `Set-Cookie` that deletes the cookie `base` (under the name this request uses). */
export function clearCookie(base: string, secure: boolean): string {
  return serializeCookie(cookieName(base, secure), '', { secure, maxAge: 0 })
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** True for the methods a CSRF check applies to. */
export function isUnsafeMethod(method: string | undefined): boolean {
  // Node hands the usual methods over upper-case: most requests are answered without a copy.
  return method !== undefined && method !== 'GET' && UNSAFE.has(method.toUpperCase())
}

/**
 * Whether a request comes from the app's own origin: `Origin` equal to the request's origin, `publicUrl`'s
 * or a trusted one; or, when `Origin` is absent, `Sec-Fetch-Site: same-origin`. `lenient` also lets a
 * request with neither header through (a client that is not a browser, which no site can make send the
 * cookie without one of them).
 */
export function isSameOrigin(
  request: AuthRequest,
  context: RequestContext,
  allowed: ReadonlySet<string>,
  lenient = false,
): boolean {
  const origin = first(request.headers.origin)
  if (origin !== undefined) {
    const lower = origin.toLowerCase()
    return lower !== 'null' && (lower === context.origin || allowed.has(lower))
  }
  const site = first(request.headers['sec-fetch-site'])
  if (site !== undefined) return site === 'same-origin' || (lenient && site === 'none')
  return lenient
}
