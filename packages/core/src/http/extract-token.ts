import { MAX_TOKEN_LENGTH } from '../jwt/parse-token.js'
import { PlexAuthError } from '../lib/errors.js'

/**
 * Where a token may be read from. `query` (`?X-Plex-Token=`) is off unless named.
 *
 * @example
 * ```ts
 * const sources: TokenSource[] = ['authorization', 'x-plex-token', 'query'] // also ?X-Plex-Token=
 * ```
 */
export type TokenSource = 'authorization' | 'x-plex-token' | 'query'

/**
 * Header values as Node gives them: `req.headers`, or `req.headersDistinct` (arrays).
 *
 * @example
 * ```ts
 * const headers: HeaderBag = req.headers
 * ```
 */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>

/**
 * The parts of a request a token may come from. Any framework can produce this.
 *
 * @example
 * ```ts
 * const request: TokenRequest = { headers: req.headers, rawHeaders: req.rawHeaders, url: req.url }
 * const found = extractToken(request)
 * ```
 */
export interface TokenRequest {
  /** Lower-case header names, as in Node's `req.headers`. */
  headers: HeaderBag
  /** Node's `req.rawHeaders`: lets repeated `Authorization` lines be seen (Node keeps only the first). */
  rawHeaders?: readonly string[] | undefined
  /** The request target (`req.url`), read only when the `query` source is enabled. */
  // `| undefined` spelled out: Node's `req.url` is `string | undefined`, and an app compiled with
  // `exactOptionalPropertyTypes` passes it as it is.
  url?: string | undefined
}

/**
 * Options of `extractToken`.
 *
 * @example
 * ```ts
 * const options: ExtractTokenOptions = { sources: [...DEFAULT_TOKEN_SOURCES, 'query'] }
 * const found = extractToken({ headers: req.headers, url: req.url }, options)
 * ```
 */
export interface ExtractTokenOptions {
  /**
   * Where to look. Default `['authorization', 'x-plex-token']`; add `'query'` for `?X-Plex-Token=`.
   * @default ['authorization', 'x-plex-token']
   */
  sources?: readonly TokenSource[]
}

/**
 * The sources read when none are named.
 *
 * @example
 * ```ts
 * const sources = [...DEFAULT_TOKEN_SOURCES, 'query'] as const // ['authorization', 'x-plex-token', 'query']
 * ```
 */
export const DEFAULT_TOKEN_SOURCES: readonly TokenSource[] = Object.freeze(['authorization', 'x-plex-token'])

const ALL_SOURCES: ReadonlySet<string> = new Set<TokenSource>(['authorization', 'x-plex-token', 'query'])
// RFC 6750 b64token: what a bearer token may contain.
const TOKEN_CHARS = /^[A-Za-z0-9\-._~+/]+=*$/
const BEARER = /^Bearer +([^ ]+) *$/i
const SCHEME = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*(?: |$)/
// The usual header in one pass: exactly what BEARER then TOKEN_CHARS accept. Anything else takes the
// step-by-step path below, which tells a foreign scheme (ignored) from a malformed header (refused).
const PLAIN_BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

function invalid(): PlexAuthError {
  return new PlexAuthError('REQUEST_INVALID')
}

function checkToken(token: string): string {
  if (token.length > MAX_TOKEN_LENGTH || !TOKEN_CHARS.test(token)) throw invalid()
  return token
}

function single(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') return value
  if (!Array.isArray(value)) throw invalid()
  if (value.length > 1) throw invalid()
  const first = value[0]
  if (first !== undefined && typeof first !== 'string') throw invalid()
  return first
}

/**
 * Whether a raw header name is `lower` (a lower-case name) in any case. A name sent in lower case (HTTP/2,
 * many clients) is compared as it is, before lower-casing a copy of it.
 */
function isHeader(name: unknown, lower: string): boolean {
  return (
    name === lower ||
    (typeof name === 'string' && name.length === lower.length && name.toLowerCase() === lower)
  )
}

function countRaw(rawHeaders: readonly string[] | undefined, name: string): number {
  if (rawHeaders === undefined) return 0
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) if (isHeader(rawHeaders[i], name)) count++
  return count
}

function fromAuthorization(request: TokenRequest): string | undefined {
  const value = single(request.headers.authorization)
  if (value === undefined) return undefined
  if (countRaw(request.rawHeaders, 'authorization') > 1) throw invalid()
  const plain = PLAIN_BEARER.exec(value)
  if (plain !== null && plain[1]!.length <= MAX_TOKEN_LENGTH) return plain[1]
  if (!SCHEME.test(value)) throw invalid()
  if (!/^bearer(?: |$)/i.test(value)) return undefined
  const match = BEARER.exec(value)
  if (match === null) throw invalid()
  return checkToken(match[1]!)
}

function fromPlexHeader(request: TokenRequest): string | undefined {
  const value = single(request.headers['x-plex-token'])
  if (value === undefined) return undefined
  if (countRaw(request.rawHeaders, 'x-plex-token') > 1) throw invalid()
  return checkToken(value)
}

function fromQuery(request: TokenRequest): string | undefined {
  const url = request.url
  if (typeof url !== 'string') return undefined
  const start = url.indexOf('?')
  if (start === -1) return undefined
  const values = new URLSearchParams(url.slice(start + 1, url.indexOf('#', start) >>> 0)).getAll(
    'X-Plex-Token',
  )
  if (values.length === 0) return undefined
  if (values.length > 1) throw invalid()
  return checkToken(values[0]!)
}

/**
 * The reader of a request's one `Authorization: Bearer <token>` header (one space, any case) for the token
 * sources given, built once per authenticator; `undefined` when `authorization` is not among them. The
 * reader answers the header's whole value, `Bearer <token>` as sent, read without checking its syntax, when
 * that header is the only source that could hold a token; `undefined` otherwise. Only for a caller that
 * accepts the value solely when it holds a token verified before, which passed every check: `extractToken`
 * would then return exactly its token. The authenticator's `peek` reads a cached token so, skipping a
 * regular expression over its 600 and more characters (measured: 1.5 µs of a cached request's 1.7 µs),
 * and hands the whole value to the token cache, which compares it whole: cutting the token out of it made
 * a view into the header that V8 compares on its slow path. With `rawHeaders` (Node's requests) the header
 * is read from there, in the pass that also counts it: `headers` is then not read at all (on Express every
 * field read of a request is slow). Which sources to consult is settled here, once: looping over them per
 * request showed in a server's CPU profile (V8 ran the loop through its array iterator).
 */
export function bearerReader(
  sources: readonly TokenSource[],
): ((request: TokenRequest) => string | undefined) | undefined {
  if (!sources.includes('authorization')) return undefined
  const plexHeader = sources.includes('x-plex-token')
  const query = sources.includes('query')
  return (request) => {
    if (query && request.url?.includes('?') !== false) return undefined
    const raw = request.rawHeaders
    let value: string | undefined
    if (raw === undefined) {
      const { headers } = request
      if (plexHeader && headers['x-plex-token'] !== undefined) return undefined
      const header = headers.authorization
      if (typeof header !== 'string') return undefined
      value = header
    } else {
      let count = 0
      for (let i = 0; i < raw.length - 1; i += 2) {
        if (isHeader(raw[i], 'authorization')) {
          count++
          value = raw[i + 1]
        } else if (plexHeader && isHeader(raw[i], 'x-plex-token')) return undefined
      }
      if (count !== 1 || typeof value !== 'string') return undefined
    }
    if (value.length < 8 || value.charCodeAt(6) !== 32) return undefined
    // "bearer" in any case: setting bit 0x20 lower-cases an ASCII letter.
    for (let i = 0; i < 6; i++) if ((value.charCodeAt(i) | 0x20) !== BEARER_CODES[i]) return undefined
    return value
  }
}

const BEARER_CODES = [...'bearer'].map((c) => c.charCodeAt(0))

const READERS: Record<TokenSource, (request: TokenRequest) => string | undefined> = {
  authorization: fromAuthorization,
  'x-plex-token': fromPlexHeader,
  query: fromQuery,
}

/**
 * Validates a list of token sources once, at construction.
 * Throws `TypeError` on an unknown or empty list.
 */
export function resolveTokenSources(sources: unknown): readonly TokenSource[] {
  if (sources === undefined) return DEFAULT_TOKEN_SOURCES
  if (!Array.isArray(sources) || sources.length === 0 || !sources.every((s) => ALL_SOURCES.has(s))) {
    throw new TypeError(`plexauth: tokenSources must be a non-empty list of ${[...ALL_SOURCES].join(', ')}`)
  }
  return Object.freeze([...new Set(sources as TokenSource[])])
}

/**
 * Reads the Plex token of a request: `Authorization: Bearer <t>` (scheme in any case) and the
 * `X-Plex-Token` header by default, the `X-Plex-Token` query parameter when `'query'` is named.
 * Returns `undefined` when no source holds a token. Throws `REQUEST_INVALID` when sources disagree,
 * a header is repeated, or a value is malformed; never crashes on odd values.
 *
 * @example
 * ```ts
 * const token = extractToken({ headers: req.headers, rawHeaders: req.rawHeaders, url: req.url },
 *   { sources: ['authorization', 'x-plex-token', 'query'] })
 * ```
 */
export function extractToken(request: TokenRequest, options: ExtractTokenOptions = {}): string | undefined {
  const sources = options.sources ?? DEFAULT_TOKEN_SOURCES
  let token: string | undefined
  for (const source of sources) {
    // hasOwn: a name such as "constructor" must not reach Object.prototype.
    if (!Object.hasOwn(READERS, source)) throw invalid()
    const reader = READERS[source]
    const found = reader(request)
    if (found === undefined) continue
    if (token !== undefined && token !== found) throw invalid()
    token = found
  }
  return token
}
