/**
 * Keeping tokens out of logs. A log line is kept longer and shown to more people than a token should be:
 * whatever a request carries as a credential is replaced before it is written.
 */

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]'

// A compact JWS or JWE: a JSON header (base64url of `{"` is `eyJ`), then two to four dot-separated parts.
const TOKEN_SHAPED = /eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){2,4}/g
// Credentials after an HTTP authentication scheme, e.g. in an error message that quotes a header.
const SCHEME_CREDENTIALS = /\b(Bearer|Basic)([ \t]+)[A-Za-z0-9\-._~+/]+=*/gi
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-plex-token', 'cookie'])

/**
 * Replaces every token-shaped string (a JWT, a JWE) and every `Bearer`/`Basic` credential in `text`.
 *
 * @example
 * ```ts
 * redactTokens('bad token eyJhbGciOi.eyJ1c2VyIjo.c2lnbmF0dXJl') // 'bad token [REDACTED]'
 * ```
 */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_SHAPED, REDACTED).replace(SCHEME_CREDENTIALS, `$1$2${REDACTED}`)
}

function isTokenParameter(name: string): boolean {
  let decoded = name
  try {
    decoded = decodeURIComponent(name.replaceAll('+', ' '))
  } catch {
    // A malformed escape: judge the name as written.
  }
  // Any case, and `X-Plex-Token[]` / `X-Plex-Token[a]` too: what a lenient query parser would read.
  return /^\s*x-plex-token/i.test(decoded)
}

/**
 * A request target fit for a log line: the value of every `X-Plex-Token` query parameter (in any case,
 * with or without brackets) is replaced, and so is any token-shaped string elsewhere in it.
 *
 * @example
 * ```ts
 * redactUrl('/library?X-Plex-Token=2ffLuB84dqLswk9skLos&page=2') // '/library?X-Plex-Token=[REDACTED]&page=2'
 * ```
 */
export function redactUrl(url: string): string {
  const start = url.indexOf('?')
  if (start === -1) return redactTokens(url)
  const hash = url.indexOf('#', start)
  const end = hash === -1 ? url.length : hash
  const query = url
    .slice(start + 1, end)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=')
      const name = equals === -1 ? pair : pair.slice(0, equals)
      return isTokenParameter(name) ? `${name}=${REDACTED}` : pair
    })
    .join('&')
  return redactTokens(`${url.slice(0, start + 1)}${query}${url.slice(end)}`)
}

/**
 * A copy of request headers fit for a log line: `Authorization`, `Proxy-Authorization`, `X-Plex-Token`
 * and `Cookie` are replaced whole, token-shaped strings in the others.
 *
 * @example
 * ```ts
 * logger.info({ headers: redactHeaders(req.headers) }, 'request')
 * ```
 */
export function redactHeaders(
  headers: Readonly<Record<string, string | readonly string[] | number | undefined>>,
): Record<string, string | string[] | number | undefined> {
  const copy: Record<string, string | string[] | number | undefined> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (CREDENTIAL_HEADERS.has(name.toLowerCase())) copy[name] = REDACTED
    else if (typeof value === 'string') copy[name] = redactTokens(value)
    else if (Array.isArray(value)) copy[name] = value.map((item: string) => redactTokens(item))
    else copy[name] = value as number | undefined
  }
  return copy
}
