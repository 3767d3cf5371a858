import { hostname, type } from 'node:os'
import type { PlexClientStore } from './client-state.js'
import { defaultSleep, type HttpSettings } from './http.js'
import { memoryStore } from './memory-store.js'

/**
 * The scopes Plex knows. They only decide which user fields plex.tv copies into the token; none grants any
 * right on a Plex Media Server (`shared_user`, `admin` and the like do not exist).
 *
 * @example
 * ```ts
 * const scopes: PlexScope[] = ['username', 'email']
 * ```
 */
export type PlexScope = 'username' | 'email' | 'friendly_name' | 'restricted' | 'anonymous' | 'joinedAt'

const KNOWN_SCOPES: ReadonlySet<string> = new Set([
  'username',
  'email',
  'friendly_name',
  'restricted',
  'anonymous',
  'joinedAt',
])

/**
 * Options of `createPlexClient`. Only `product` is required; durations are in seconds.
 *
 * @example
 * ```ts
 * const options: PlexClientOptions = {
 *   product: 'My App',
 *   version: '2.1.0',
 *   store: fileStore('~/.config/my-app/plex.json'),
 *   scopes: ['username', 'email', 'friendly_name'],
 * }
 * ```
 */
export interface PlexClientOptions {
  /** `X-Plex-Product`: the app's name, shown in the user's list of authorized devices. */
  product: string
  /** `X-Plex-Version`. Not sent by default. */
  version?: string
  /** `X-Plex-Platform`. Default `'Node.js'`. */
  platform?: string
  /** `X-Plex-Platform-Version`. Default the Node.js version. */
  platformVersion?: string
  /** `X-Plex-Device`. Default the OS name (`os.type()`). */
  device?: string
  /** `X-Plex-Device-Name`. Default the host name. */
  deviceName?: string
  /** Where the client identifier, device key and token are kept. Default `memoryStore()`. */
  store?: PlexClientStore
  /** User fields the token should carry. Default `['username', 'email', 'friendly_name']`. */
  scopes?: readonly PlexScope[]
  /** Refresh the token when fewer than this many seconds remain. Default 86400 (24 h). */
  refreshWithin?: number
  /** plex.tv: `/api/v2/user`, `/ping`, `/resources`. Default `https://plex.tv`. https only, except loopback hosts. */
  baseUrl?: string
  /** clients.plex.tv: PINs, nonce, key registration, exchange, keys. Default `baseUrl` when that is set, else `https://clients.plex.tv`. */
  clientsBaseUrl?: string
  /** Plex's sign-in page, which `authUrl` points to. Default `https://app.plex.tv/auth`. */
  authAppUrl?: string
  /** Abort a request after this long (headers and body). Default 10. */
  timeout?: number
  /** Largest response body accepted, in bytes. Default 1 MiB. */
  maxResponseBytes?: number
  /** How often a 429 is retried. Default 3. */
  maxRetries?: number
  /** Longest `Retry-After` waited for; a longer one fails at once with `RATE_LIMITED`. Default 60. */
  maxRetryDelay?: number
  /** Seconds between two polls of a PIN. Default 1. */
  pollInterval?: number
  /** The fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch
  /** How to wait between retries and polls (tests inject a fake). Default a timer the abort signal cuts short. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** The validated options. */
export interface ResolvedClientOptions {
  plexHeaders: Record<string, string>
  product: string
  store: PlexClientStore
  scopes: readonly string[]
  refreshWithin: number
  baseUrl: string
  clientsBaseUrl: string
  authAppUrl: string
  pollIntervalMs: number
  http: HttpSettings
}

const OPTION_NAMES = new Set([
  'product',
  'version',
  'platform',
  'platformVersion',
  'device',
  'deviceName',
  'store',
  'scopes',
  'refreshWithin',
  'baseUrl',
  'clientsBaseUrl',
  'authAppUrl',
  'timeout',
  'maxResponseBytes',
  'maxRetries',
  'maxRetryDelay',
  'pollInterval',
  'fetch',
  'sleep',
])

// What fetch accepts in a header value, minus control characters.
const HEADER_VALUE = /^[\x20-\x7e\xa0-\xff]{1,256}$/

function fail(message: string): never {
  throw new TypeError(`plexauth: ${message}`)
}

function headerValue(name: string, value: unknown, fallback?: string): string | undefined {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !HEADER_VALUE.test(value) || value.trim() !== value) {
    fail(`${name} must be 1 to 256 printable characters without surrounding spaces`)
  }
  return value
}

function number(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(`${name} must be a number between ${min} and ${max}`)
  }
  return value
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * An address of a private network, as Plex Media Servers on a LAN use: RFC 1918 IPv4 (10/8, 172.16/12,
 * 192.168/16) and IPv6 unique local addresses (fc00::/7). Host names never count: one can resolve anywhere.
 * `host` is as `URL` normalizes it (dotted decimal IPv4, bracketed lower-case IPv6).
 */
function isPrivateLan(host: string): boolean {
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(host)
  if (ipv4 !== null) {
    const [a, b] = [Number(ipv4[1]), Number(ipv4[2])]
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
  }
  return /^\[f[cd][0-9a-f]{2}:/.test(host)
}

/**
 * Validates a base URL: https (http for loopback hosts only, or with `http: 'lan'` also for private-LAN
 * addresses), no credentials, query or fragment. Returns it without a trailing slash.
 */
export function validateBaseUrl(name: string, value: unknown, http: 'loopback' | 'lan' = 'loopback'): string {
  if (typeof value !== 'string') fail(`${name} must be a URL string`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    fail(`${name} is not a valid URL`)
  }
  const secure =
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && (isLoopback(url.hostname) || (http === 'lan' && isPrivateLan(url.hostname))))
  if (!secure) {
    fail(
      `${name} must use https (http is allowed for ${http === 'lan' ? 'loopback and private-LAN addresses' : 'loopback hosts'} only)`,
    )
  }
  if (url.username !== '' || url.password !== '') fail(`${name} must not contain credentials`)
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) {
    fail(`${name} must not contain a query or fragment`)
  }
  return url.href.replace(/\/+$/, '')
}

function safeHostname(): string {
  const name = hostname()
    .replace(/[^\x20-\x7e]/g, '')
    .trim()
  return name === '' ? 'unknown' : name.slice(0, 256)
}

function scopes(value: unknown): readonly string[] {
  if (value === undefined) return ['username', 'email', 'friendly_name']
  if (!Array.isArray(value) || value.length === 0) fail('scopes must be a non-empty list')
  for (const scope of value) {
    if (typeof scope !== 'string' || !KNOWN_SCOPES.has(scope)) {
      fail(
        `unknown scope ${JSON.stringify(scope)}: Plex scopes only choose user fields (${[...KNOWN_SCOPES].join(', ')}) and grant no rights`,
      )
    }
  }
  return Object.freeze([...new Set(value as string[])])
}

function store(value: unknown): PlexClientStore {
  if (value === undefined) return memoryStore()
  const candidate = value as Partial<PlexClientStore> | null
  if (typeof candidate !== 'object' || candidate === null) fail('store must have load() and save() methods')
  if (typeof candidate.load !== 'function' || typeof candidate.save !== 'function') {
    fail('store must have load() and save() methods')
  }
  return candidate as PlexClientStore
}

function func<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') fail(`${name} must be a function`)
  return value
}

/** Validates every option once, at construction, throwing `TypeError` on anything misconfigured. */
export function resolveClientOptions(options: PlexClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  for (const name of Object.keys(options)) if (!OPTION_NAMES.has(name)) fail(`unknown option ${name}`)
  const product = headerValue('product', options.product)
  if (product === undefined) fail('product is required (it is sent as X-Plex-Product)')
  const plexHeaders: Record<string, string> = {
    accept: 'application/json',
    'x-plex-product': product,
  }
  const described: [string, string | undefined][] = [
    ['x-plex-version', headerValue('version', options.version)],
    ['x-plex-platform', headerValue('platform', options.platform, 'Node.js')],
    [
      'x-plex-platform-version',
      headerValue('platformVersion', options.platformVersion, process.versions.node),
    ],
    ['x-plex-device', headerValue('device', options.device, type())],
    ['x-plex-device-name', headerValue('deviceName', options.deviceName, safeHostname())],
  ]
  for (const [name, value] of described) if (value !== undefined) plexHeaders[name] = value
  const baseUrl =
    options.baseUrl === undefined ? 'https://plex.tv' : validateBaseUrl('baseUrl', options.baseUrl)
  const clientsBaseUrl =
    options.clientsBaseUrl !== undefined
      ? validateBaseUrl('clientsBaseUrl', options.clientsBaseUrl)
      : options.baseUrl !== undefined
        ? baseUrl
        : 'https://clients.plex.tv'
  const fetchImpl = func('fetch', options.fetch) ?? globalThis.fetch
  if (typeof fetchImpl !== 'function') fail('no fetch implementation is available')
  return {
    plexHeaders,
    product,
    store: store(options.store),
    scopes: scopes(options.scopes),
    refreshWithin: number('refreshWithin', options.refreshWithin, 86_400, 0, 6 * 86_400),
    baseUrl,
    clientsBaseUrl,
    authAppUrl:
      options.authAppUrl === undefined
        ? 'https://app.plex.tv/auth'
        : validateBaseUrl('authAppUrl', options.authAppUrl),
    pollIntervalMs: number('pollInterval', options.pollInterval, 1, 0.001, 60) * 1000,
    http: {
      fetch: fetchImpl,
      timeoutMs: number('timeout', options.timeout, 10, 0.001, 300) * 1000,
      maxBytes: Math.floor(
        number('maxResponseBytes', options.maxResponseBytes, 1024 * 1024, 1024, 64 * 1024 * 1024),
      ),
      maxRetries: Math.floor(number('maxRetries', options.maxRetries, 3, 0, 10)),
      maxRetryDelayMs: number('maxRetryDelay', options.maxRetryDelay, 60, 0, 3600) * 1000,
      sleep: func('sleep', options.sleep) ?? defaultSleep,
    },
  }
}
