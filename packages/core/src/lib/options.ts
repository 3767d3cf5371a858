/**
 * The option validators of every plexauth factory (core's verifier and guards, the client): a
 * misconfiguration throws `TypeError` when the factory runs, never on a request. Durations are validated in
 * the public unit (seconds) and returned in the one internal unit (milliseconds).
 */

/**
 * Throws the `TypeError` of a misconfiguration.
 *
 * @example
 * ```ts
 * declare const options: unknown // what the user passed
 * if (typeof options !== 'object' || options === null) fail('options must be an object')
 * ```
 */
export function fail(message: string): never {
  throw new TypeError(`plexauth: ${message}`)
}

/**
 * The set of an options interface's names, derived from a literal that must name every key of `T` (and
 * nothing else), so that the list cannot drift from the interface.
 *
 * @example
 * ```ts
 * const NAMES = optionNames<{ a?: number; b?: string }>({ a: true, b: true })
 * checkKeys('', { a: 1, c: 2 }, NAMES) // throws: unknown option c
 * ```
 */
export function optionNames<T extends object>(
  names: {
    readonly [K in keyof Required<T>]: true
  },
): ReadonlySet<string> {
  return new Set(Object.keys(names))
}

/**
 * Throws on any own key of `object` not in `allowed`: a misspelt option is an error, not a default.
 *
 * @example
 * ```ts
 * checkKeys('jwks.', { maxAge: 600 }, optionNames<JwksCacheOptions>({
 *   maxAge: true, cooldown: true, timeout: true, staleIfError: true, maxBytes: true, maxKeys: true,
 * }))
 * ```
 */
export function checkKeys(name: string, object: object, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(object)) {
    if (!allowed.has(key)) fail(`unknown option ${name}${key}`)
  }
}

/**
 * A number from `min` to `max` (an integer when asked), or `fallback` when absent.
 *
 * @example
 * ```ts
 * declare const options: Record<string, unknown> // what the user passed, not yet validated
 * number('legacyLookupsPerSecond', options.legacyLookupsPerSecond, 10, 0.01, 100_000)
 * ```
 */
export function number(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
  integer = false,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(`${name} must be a number from ${min} to ${max}`)
  }
  if (integer && !Number.isInteger(value)) fail(`${name} must be an integer`)
  return value
}

/**
 * A count (of bytes, keys, retries…): an integer from `min` to `max`, or `fallback` when absent.
 *
 * @example
 * ```ts
 * declare const options: Record<string, unknown> // what the user passed, not yet validated
 * count('maxBytes', options.maxBytes, 2 * 1024 * 1024, 1024, 64 * 1024 * 1024)
 * ```
 */
export function count(name: string, value: unknown, fallback: number, min: number, max: number): number {
  return number(name, value, fallback, min, max, true)
}

/**
 * A duration option, given in seconds (the public unit) from `min` to `max`, returned in milliseconds (the
 * unit of everything inside plexauth). `fallback` is in seconds too.
 *
 * @example
 * ```ts
 * declare const options: Record<string, unknown> // what the user passed, not yet validated
 * const timeoutMs = durationMs('timeout', options.timeout, 5, 0.001, 120) // 5000 by default
 * ```
 */
export function durationMs(name: string, value: unknown, fallback: number, min: number, max: number): number {
  return number(name, value, fallback, min, max) * 1000
}

/**
 * A boolean, or `fallback` when absent.
 *
 * @example
 * ```ts
 * declare const options: Record<string, unknown> // what the user passed, not yet validated
 * boolean('credentialsRequired', options.credentialsRequired, true)
 * ```
 */
export function boolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(`${name} must be a boolean`)
  return value
}

/**
 * A function, or `undefined` when absent.
 *
 * @example
 * ```ts
 * declare const options: PlexVerifierOptions
 * const onEvent = func('onEvent', options.onEvent)
 * ```
 */
export function func<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') fail(`${name} must be a function`)
  return value
}

/**
 * The fetch to use: `value` when it is a function, else `globalThis.fetch`; throws when there is none.
 *
 * @example
 * ```ts
 * declare const options: Record<string, unknown> // what the user passed, not yet validated
 * const fetchImpl = fetchOption(options.fetch)
 * ```
 */
export function fetchOption(value: unknown): typeof globalThis.fetch {
  const fetchImpl = func('fetch', value as typeof globalThis.fetch | undefined) ?? globalThis.fetch
  if (typeof fetchImpl !== 'function') fail('no fetch implementation is available')
  return fetchImpl
}

/**
 * An object with the named methods (a store), or `undefined` when absent.
 *
 * @example
 * ```ts
 * declare const options: Record<string, unknown> // what the user passed, not yet validated
 * const keyStore = withMethods<KeyStore>('keyStore', options.keyStore, ['load', 'save'])
 * ```
 */
export function withMethods<T>(name: string, value: unknown, methods: readonly string[]): T | undefined {
  if (value === undefined) return undefined
  const object = value as Record<string, unknown> | null
  if (typeof object !== 'object' || object === null || methods.some((m) => typeof object[m] !== 'function')) {
    const listed = methods.map((m) => `${m}()`).join(' and ')
    fail(`${name} must have ${methods.length === 1 ? `a ${listed} method` : `${listed} methods`}`)
  }
  return value as T
}

/** Shortest secret taken: 32 characters, 256 bits when they are random. */
const MIN_SECRET_LENGTH = 32
/** Most secrets in a rotation list. */
const MAX_SECRETS = 16

/**
 * A secret, or a list of secrets newest first (for rotation): each at least 32 characters, at most 16 of
 * them, none twice. Returned as a frozen list.
 *
 * @example
 * ```ts
 * const secrets = secretList('session.secret', process.env.PLEXAUTH_SECRET)
 * ```
 */
export function secretList(name: string, value: unknown): readonly string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_SECRETS) {
    fail(`${name} must be a string of at least 32 characters, or a non-empty list of such`)
  }
  for (const secret of list) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      fail(`${name} must be at least 32 characters long (a random value kept private, never a public one)`)
    }
  }
  if (new Set(list).size !== list.length) fail(`${name} lists a secret twice`)
  return Object.freeze([...(list as string[])])
}

/**
 * A string of 1 to 512 characters without surrounding spaces.
 *
 * @example
 * ```ts
 * declare const options: Record<string, unknown> // what the user passed, not yet validated
 * nonEmptyString('issuer', options.issuer)
 * ```
 */
export function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512 || value.trim() !== value) {
    fail(`${name} must be a non-empty string without surrounding spaces`)
  }
  return value
}

// What fetch accepts in a header value, minus control characters, without surrounding spaces.
const HEADER_VALUE = /^[\x21-\x7e\xa1-\xff](?:[\x20-\x7e\xa0-\xff]*[\x21-\x7e\xa1-\xff])?$/

/**
 * A value sent in an HTTP header (`X-Plex-Product`, `X-Plex-Token`…): 1 to `maxLength` printable
 * characters without surrounding spaces, or `fallback` when absent.
 *
 * @example
 * ```ts
 * declare const options: Record<string, unknown> // what the user passed, not yet validated
 * headerValue('product', options.product, undefined, 256)
 * ```
 */
export function headerValue(
  name: string,
  value: unknown,
  fallback: string | undefined,
  maxLength: number,
): string | undefined {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value.length > maxLength || !HEADER_VALUE.test(value)) {
    fail(`${name} must be 1 to ${maxLength} printable characters without surrounding spaces`)
  }
  return value
}

/**
 * True for a loopback host as `URL` writes it: `localhost`, `[::1]` or 127.x.y.z.
 *
 * @example
 * ```ts
 * isLoopback(new URL('http://127.0.0.1:3000').hostname) // true
 * ```
 */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname)
}

/**
 * An address of a private network, as Plex Media Servers on a LAN use: RFC 1918 IPv4 (10/8, 172.16/12,
 * 192.168/16) and IPv6 unique local addresses (fc00::/7). Host names never count: one can resolve anywhere.
 * `host` is as `URL` normalizes it (dotted decimal IPv4, bracketed lower-case IPv6).
 *
 * @example
 * ```ts
 * isPrivateLan('192.168.1.20') // true
 * ```
 */
export function isPrivateLan(host: string): boolean {
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(host)
  if (ipv4 !== null) {
    const [a, b] = [Number(ipv4[1]), Number(ipv4[2])]
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
  }
  return /^\[f[cd][0-9a-f]{2}:/.test(host)
}

/**
 * Parses a URL option: a string `URL` reads, without credentials (they would end up in logs and headers)
 * unless `credentials` is `'allowed'` (a Redis URL, where its user and password belong).
 *
 * @example
 * ```ts
 * const origin = parseUrl('trustedOrigins[0]', 'https://app.example.com').origin
 * const redis = parseUrl('url', 'redis://app:secret@127.0.0.1:6379', 'allowed')
 * ```
 */
export function parseUrl(name: string, value: unknown, credentials: 'refused' | 'allowed' = 'refused'): URL {
  if (typeof value !== 'string') fail(`${name} must be a URL string`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    fail(`${name} is not a valid URL`)
  }
  if (credentials === 'refused' && (url.username !== '' || url.password !== '')) {
    fail(`${name} must not contain credentials`)
  }
  return url
}

/**
 * Validates an endpoint URL: https (http for loopback hosts only, or with `http: 'lan'` also for
 * private-LAN addresses); no credentials, query or fragment. Returns it as `URL` writes it.
 *
 * @example
 * ```ts
 * validateEndpointUrl('jwksUrl', 'http://127.0.0.1:8080/keys') // 'http://127.0.0.1:8080/keys'
 * ```
 */
export function validateEndpointUrl(
  name: string,
  value: unknown,
  http: 'loopback' | 'lan' = 'loopback',
): string {
  const url = parseUrl(name, value)
  const secure =
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && (isLoopback(url.hostname) || (http === 'lan' && isPrivateLan(url.hostname))))
  if (!secure) {
    fail(
      `${name} must use https (http is allowed for ${http === 'lan' ? 'loopback and private-LAN addresses' : 'loopback hosts'} only)`,
    )
  }
  if ((value as string).includes('?') || (value as string).includes('#')) {
    fail(`${name} must not contain a query or fragment`)
  }
  return url.href
}

/**
 * Validates a base URL like `validateEndpointUrl` and drops its trailing slashes, so that paths append.
 *
 * @example
 * ```ts
 * validateBaseUrl('plexTvUrl', 'https://plex.tv/') // 'https://plex.tv'
 * ```
 */
export function validateBaseUrl(name: string, value: unknown, http: 'loopback' | 'lan' = 'loopback'): string {
  return validateEndpointUrl(name, value, http).replace(/\/+$/, '')
}
