/**
 * Keeping tokens out of logs. A log line is kept longer and shown to more people than a token should be:
 * whatever a request carries as a credential is replaced before it is written.
 *
 * Everything here runs on attacker-controlled text (URLs and headers are logged before authentication), so
 * every pass is a hand-written scan that reads each character a bounded number of times: linear in its
 * input. The regular expression it replaces (`/eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){2,4}/g`) backtracked:
 * 64 KB of repeated `eyJ` took seconds (issue 11). `token-shapes` below matches exactly what it matched.
 */

/**
 * What a redacted value is replaced with.
 *
 * @example
 * ```ts
 * redactUrl('/?X-Plex-Token=2ffLuB84dqLswk9skLos') === `/?X-Plex-Token=${REDACTED}` // true
 * ```
 */
export const REDACTED = '[REDACTED]'

// Credentials after an HTTP authentication scheme, e.g. in an error message that quotes a header. Linear: the
// blanks after a scheme are tried once per scheme word, and the credential class excludes the blanks and `=`.
const SCHEME_CREDENTIALS = /\b(Bearer|Basic)([ \t]+)[A-Za-z0-9\-._~+/]+=*/gi
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-plex-token', 'cookie'])

const DOT = 0x2e
const PERCENT = 0x25
// base64url: A-Z a-z 0-9 _ -
const TOKEN_CHAR = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c)
  TOKEN_CHAR[c] = /[A-Za-z0-9_-]/.test(ch) ? 1 : 0
}
const isTokenChar = (c: number): boolean => c < 128 && TOKEN_CHAR[c] === 1

/**
 * Every compact JWS or JWE (a JSON header, base64url of `{"` being `eyJ`, then two to four dot-separated
 * parts) replaced. In a run of base64url characters, every `eyJ` ends its first part at the same place (the
 * end of the run), so a run is judged once, from its first `eyJ`: leftmost-longest, as the regex was.
 */
function redactTokenShapes(text: string): string {
  const n = text.length
  let out = ''
  let copied = 0
  // The next `eyJ` at or after the current run; searched again only once the scan has passed it.
  let nextHeader = text.indexOf('eyJ')
  let i = 0
  while (i < n && nextHeader !== -1) {
    if (!isTokenChar(text.charCodeAt(i))) {
      i++
      continue
    }
    const runStart = i
    while (i < n && isTokenChar(text.charCodeAt(i))) i++
    if (nextHeader < runStart) nextHeader = text.indexOf('eyJ', runStart)
    if (nextHeader === -1 || nextHeader >= i) continue
    // Up to four `.part`s after the run; a failed try walks at most one part, which is then the next run.
    let end = i
    let parts = 0
    while (parts < 4 && end < n && text.charCodeAt(end) === DOT) {
      end++
      while (end < n && isTokenChar(text.charCodeAt(end))) end++
      parts++
    }
    if (parts < 2) continue
    out += text.slice(copied, nextHeader) + REDACTED
    copied = end
    i = end
  }
  return copied === 0 ? text : out + text.slice(copied)
}

const hexValue = (c: number): number =>
  c >= 0x30 && c <= 0x39
    ? c - 0x30
    : c >= 0x41 && c <= 0x46
      ? c - 0x37
      : c >= 0x61 && c <= 0x66
        ? c - 0x57
        : -1

// The character at `i` once every level of percent-encoding is undone (`X`, `%58`, `%2558`, `%252558`…) and
// how many characters it spans: set by `readChar`, kept here to spare an allocation per character.
let readCode = 0
let readLength = 0
function readChar(text: string, i: number): void {
  const c = text.charCodeAt(i)
  readCode = c
  readLength = 1
  if (c !== PERCENT) return
  // `%`, then `25` per extra level, then the two hex digits of the character (none of the characters looked
  // for is `%` itself, so skipping every `25` is never wrong). Anything else: a plain `%`.
  let j = i + 1
  while (text.charCodeAt(j) === 0x32 && text.charCodeAt(j + 1) === 0x35) j += 2
  const high = hexValue(text.charCodeAt(j))
  const low = hexValue(text.charCodeAt(j + 1))
  if (high === -1 || low === -1) return
  readCode = high * 16 + low
  readLength = j + 2 - i
}

// `x-plex-token`, lower case: letters compare case-insensitively, `-` exactly.
const PARAMETER_NAME = Array.from('x-plex-token', (ch) => ch.charCodeAt(0))

/** The end of an `X-Plex-Token` name starting at `i` (any case, any level of encoding per character), or -1. */
function matchName(text: string, i: number): number {
  let at = i
  for (const want of PARAMETER_NAME) {
    if (at >= text.length) return -1
    readChar(text, at)
    const got = want === 0x2d ? readCode : readCode >= 0x41 && readCode <= 0x5a ? readCode | 0x20 : readCode
    if (got !== want) return -1
    at += readLength
  }
  return at
}

const EQUALS = 0x3d
/** Ends a parameter value (at any level of encoding): `&`, `#`, blanks and controls, quotes, `<`, `>`, `,`, `;`. */
const ENDS_VALUE = (c: number): boolean =>
  c <= 0x20 ||
  c === 0x26 ||
  c === 0x23 ||
  c === 0x22 ||
  c === 0x27 ||
  c === 0x3c ||
  c === 0x3e ||
  c === 0x2c ||
  c === 0x3b ||
  c === 0x7f
/** Ends a parameter name before its `=`: what ends a value, and `?` and `/`. */
const ENDS_NAME = (c: number): boolean => ENDS_VALUE(c) || c === 0x3f || c === 0x2f

/**
 * Every `X-Plex-Token` parameter value replaced, wherever it stands (a query, a URL inside a header, a URL
 * inside a query parameter) and however deeply it is percent-encoded (`%3FX-Plex-Token%3D…`,
 * `%253FX-Plex-Token%253D…`). Like a lenient query parser, a name may carry a suffix (`X-Plex-Token[]`).
 * Each character is read at most once per letter of the name, so the scan is linear.
 */
function redactTokenParameters(text: string): string {
  const n = text.length
  let out = ''
  let copied = 0
  let i = 0
  while (i < n) {
    const c = text.charCodeAt(i)
    // A name starts with `x`, `X` or an escape of one.
    const nameEnd = c === 0x78 || c === 0x58 || c === PERCENT ? matchName(text, i) : -1
    if (nameEnd === -1) {
      i++
      continue
    }
    i = nameEnd
    // The suffix up to `=`; no value when something else ends the name.
    let at = i
    let valueStart = -1
    while (at < n) {
      readChar(text, at)
      if (readCode === EQUALS) {
        valueStart = at + readLength
        break
      }
      if (ENDS_NAME(readCode)) break
      at += readLength
    }
    if (valueStart === -1) {
      i = at
      continue
    }
    let end = valueStart
    while (end < n) {
      readChar(text, end)
      if (ENDS_VALUE(readCode)) break
      end += readLength
    }
    if (end > valueStart) {
      out += text.slice(copied, valueStart) + REDACTED
      copied = end
    }
    i = end
  }
  return copied === 0 ? text : out + text.slice(copied)
}

/**
 * Replaces every token-shaped string (a JWT, a JWE), every `X-Plex-Token` parameter value (at any level of
 * percent-encoding) and every `Bearer`/`Basic` credential in `text`. Linear in the length of `text`.
 *
 * @example
 * ```ts
 * redactTokens('bad token eyJhbGciOi.eyJ1c2VyIjo.c2lnbmF0dXJl') // 'bad token [REDACTED]'
 * redactTokens('https://app.example/?X-Plex-Token=2ffLuB84dqLswk9skLos') // 'https://app.example/?X-Plex-Token=[REDACTED]'
 * ```
 */
export function redactTokens(text: string): string {
  return redactTokenParameters(redactTokenShapes(text)).replace(SCHEME_CREDENTIALS, `$1$2${REDACTED}`)
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
 * with or without brackets, also inside an encoded URL at any level of percent-encoding) is replaced, and
 * so is any token-shaped string elsewhere in it. Linear in the length of `url`.
 *
 * @example
 * ```ts
 * redactUrl('/library?X-Plex-Token=2ffLuB84dqLswk9skLos&page=2') // '/library?X-Plex-Token=[REDACTED]&page=2'
 * redactUrl('/go?to=%2Fweb%3FX-Plex-Token%3D2ffLuB84dqLswk9skLos') // '/go?to=%2Fweb%3FX-Plex-Token%3D[REDACTED]'
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
 * and `Cookie` are replaced whole; in every other header (`Referer`, `X-Forwarded-Uri`, `X-Original-URL`…)
 * token-shaped strings, `X-Plex-Token` parameters (at any level of percent-encoding) and `Bearer`/`Basic`
 * credentials are. Linear in the size of the headers.
 *
 * @example
 * ```ts
 * console.info({ headers: redactHeaders(req.headers) }, 'request')
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
