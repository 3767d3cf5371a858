import { hostname, type } from 'node:os'
import {
  checkKeys,
  count,
  durationMs,
  fail,
  fetchOption,
  func,
  headerValue,
  isPlexScope,
  optionNames,
  PLEX_SCOPES,
  PLEX_TV_URL,
  type PlexScope,
  validateBaseUrl,
  withMethods,
} from '@plexauth/core/plex-tv'
import type { PlexClientStore } from './client-state.js'
import { defaultSleep, type HttpSettings } from './http.js'
import { memoryStore } from './memory-store.js'

export type { PlexScope }

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
  /**
   * `X-Plex-Platform`. Default `'Node.js'`.
   * @default 'Node.js'
   */
  platform?: string
  /** `X-Plex-Platform-Version`. Default the Node.js version. */
  platformVersion?: string
  /**
   * `X-Plex-Device`. Default the OS name (`os.type()`).
   * @default os.type()
   */
  device?: string
  /** `X-Plex-Device-Name`. Default the host name. */
  deviceName?: string
  /**
   * Where the client identifier, device key and token are kept. Default `memoryStore()`.
   * @default memoryStore()
   */
  store?: PlexClientStore
  /**
   * User fields the token should carry. Default `['username', 'email', 'friendly_name']`.
   * @default ['username', 'email', 'friendly_name']
   */
  scopes?: readonly PlexScope[]
  /**
   * Refresh the token when fewer than this many seconds remain. Default 86400 (24 h).
   * @default 86400
   */
  refreshWithin?: number
  /**
   * plex.tv: `/api/v2/user`, `/ping`, `/resources`. Default `https://plex.tv`. https only, except loopback hosts.
   * @default https://plex.tv
   */
  baseUrl?: string
  /**
   * clients.plex.tv: PINs, nonce, key registration, exchange, keys. Default `baseUrl` when that is set, else `https://clients.plex.tv`.
   * @default baseUrl ?? 'https://clients.plex.tv'
   */
  clientsBaseUrl?: string
  /**
   * Plex's sign-in page, which `authUrl` points to. Default `https://app.plex.tv/auth`.
   * @default https://app.plex.tv/auth
   */
  authAppUrl?: string
  /**
   * Abort a request after this long (headers and body). Default 10.
   * @default 10
   */
  timeout?: number
  /**
   * Largest response body accepted, in bytes. Default 1 MiB.
   * @default 1048576
   */
  maxResponseBytes?: number
  /**
   * How often a 429 is retried. Default 3.
   * @default 3
   */
  maxRetries?: number
  /**
   * Longest `Retry-After` waited for; a longer one fails at once with `RATE_LIMITED`. Default 60.
   * @default 60
   */
  maxRetryDelay?: number
  /**
   * Seconds between two polls of a PIN. Default 1.
   * @default 1
   */
  pollInterval?: number
  /**
   * The fetch implementation. Default `globalThis.fetch`.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch
  /** How to wait between retries and polls (tests inject a fake). Default a timer the abort signal cuts short. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** The validated options; durations in milliseconds. */
export interface ResolvedClientOptions {
  plexHeaders: Record<string, string>
  product: string
  store: PlexClientStore
  scopes: readonly string[]
  refreshWithinMs: number
  baseUrl: string
  clientsBaseUrl: string
  authAppUrl: string
  pollIntervalMs: number
  http: HttpSettings
}

const OPTION_NAMES = optionNames<PlexClientOptions>({
  product: true,
  version: true,
  platform: true,
  platformVersion: true,
  device: true,
  deviceName: true,
  store: true,
  scopes: true,
  refreshWithin: true,
  baseUrl: true,
  clientsBaseUrl: true,
  authAppUrl: true,
  timeout: true,
  maxResponseBytes: true,
  maxRetries: true,
  maxRetryDelay: true,
  pollInterval: true,
  fetch: true,
  sleep: true,
})
/** Longest `X-Plex-*` value the client sends. */
const MAX_HEADER_VALUE = 256

function header(name: string, value: unknown, fallback?: string): string | undefined {
  return headerValue(name, value, fallback, MAX_HEADER_VALUE)
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
    if (!isPlexScope(scope)) {
      fail(
        `unknown scope ${JSON.stringify(scope)}: Plex scopes only choose user fields (${PLEX_SCOPES.join(', ')}) and grant no rights`,
      )
    }
  }
  return Object.freeze([...new Set(value as string[])])
}

/** Validates every option once, at construction, throwing `TypeError` on anything misconfigured. */
export function resolveClientOptions(options: PlexClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  checkKeys('', options, OPTION_NAMES)
  const product = header('product', options.product)
  if (product === undefined) fail('product is required (it is sent as X-Plex-Product)')
  const plexHeaders: Record<string, string> = {
    accept: 'application/json',
    'x-plex-product': product,
  }
  const described: [string, string | undefined][] = [
    ['x-plex-version', header('version', options.version)],
    ['x-plex-platform', header('platform', options.platform, 'Node.js')],
    ['x-plex-platform-version', header('platformVersion', options.platformVersion, process.versions.node)],
    ['x-plex-device', header('device', options.device, type())],
    ['x-plex-device-name', header('deviceName', options.deviceName, safeHostname())],
  ]
  for (const [name, value] of described) if (value !== undefined) plexHeaders[name] = value
  const baseUrl = options.baseUrl === undefined ? PLEX_TV_URL : validateBaseUrl('baseUrl', options.baseUrl)
  const clientsBaseUrl =
    options.clientsBaseUrl !== undefined
      ? validateBaseUrl('clientsBaseUrl', options.clientsBaseUrl)
      : options.baseUrl !== undefined
        ? baseUrl
        : 'https://clients.plex.tv'
  const fetchImpl = fetchOption(options.fetch)
  return {
    plexHeaders,
    product,
    store: withMethods<PlexClientStore>('store', options.store, ['load', 'save']) ?? memoryStore(),
    scopes: scopes(options.scopes),
    refreshWithinMs: durationMs('refreshWithin', options.refreshWithin, 86_400, 0, 6 * 86_400),
    baseUrl,
    clientsBaseUrl,
    authAppUrl:
      options.authAppUrl === undefined
        ? 'https://app.plex.tv/auth'
        : validateBaseUrl('authAppUrl', options.authAppUrl),
    pollIntervalMs: durationMs('pollInterval', options.pollInterval, 1, 0.001, 60),
    http: {
      fetch: fetchImpl,
      timeoutMs: durationMs('timeout', options.timeout, 10, 0.001, 300),
      maxBytes: count('maxResponseBytes', options.maxResponseBytes, 1024 * 1024, 1024, 64 * 1024 * 1024),
      maxRetries: count('maxRetries', options.maxRetries, 3, 0, 10),
      maxRetryDelayMs: durationMs('maxRetryDelay', options.maxRetryDelay, 60, 0, 3600),
      sleep: func('sleep', options.sleep) ?? defaultSleep,
    },
  }
}
