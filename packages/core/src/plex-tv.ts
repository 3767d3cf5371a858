import { BoundedFetchError, fetchBounded } from './bounded-fetch.js'
import { PlexAuthError } from './errors.js'
import type { PlexAuthEvent, PlexRequestFailure } from './types.js'

/**
 * plex.tv's base URL: the default `plexTvUrl` of legacy-token lookups and server access checks.
 *
 * @example
 * ```ts
 * createPlexVerifier({ clientIdentifier: 'my-app', legacyTokens: true, plexTvUrl: PLEX_TV_URL })
 * ```
 */
export const PLEX_TV_URL = 'https://plex.tv'

const MAX_BACKOFF_MS = 60_000
/** Longest `Retry-After` honoured, so that a bogus header cannot shut lookups off for days. */
const MAX_RETRY_AFTER_MS = 600_000

/** Settings of a plex.tv client; durations in milliseconds. */
export interface PlexTvClientConfig {
  baseUrl: string
  fetch: typeof globalThis.fetch
  timeoutMs: number
  emit: (event: PlexAuthEvent) => void
}

/** One lookup: what to ask and how to read the answer. */
export interface PlexTvRequest<T> {
  /** Path and query, e.g. `/api/v2/resources?includeHttps=1`. Never carries a token. */
  path: string
  /** Sent as `X-Plex-Token` (never in the URL, so never in a log line). */
  token: string
  clientIdentifier: string
  accept: 'application/json' | 'application/xml'
  maxBytes: number
  /** Reads a 200 body; throwing makes the answer a failure (`invalid_body`). */
  parse: (text: string) => T
}

/** plex.tv's answer: 200 with the parsed body, or 401 (the token is not valid). */
export type PlexTvAnswer<T> = { status: 200; body: T } | { status: 401 }

interface Backoff {
  failures: number
  retryAt: number
}

/** Seconds or an HTTP date, as milliseconds from `now`; `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * Asks plex.tv and classifies the answer the way plex.tv documents it: 200 is an answer, 401 means the
 * token is not valid, anything else (5xx, 429, a timeout, a redirect, an unreadable body) proves nothing
 * and becomes `PLEX_UNAVAILABLE`. Failures back off per path (1 s doubling to 60 s, or plex.tv's
 * `Retry-After` when longer, up to 10 minutes): while backing off, requests fail at once instead of each
 * waiting for a timeout.
 */
export class PlexTvClient {
  readonly #config: PlexTvClientConfig
  readonly #backoff = new Map<string, Backoff>()

  constructor(config: PlexTvClientConfig) {
    this.#config = config
  }

  /** The `PLEX_UNAVAILABLE` to throw without asking, while `path` backs off; else `undefined`. */
  blocked(path: string, now = Date.now()): PlexAuthError | undefined {
    const backoff = this.#backoff.get(endpointOf(path))
    if (backoff === undefined || now >= backoff.retryAt) return undefined
    return unavailable(backoff.retryAt - now)
  }

  async get<T>(request: PlexTvRequest<T>): Promise<PlexTvAnswer<T>> {
    const endpoint = endpointOf(request.path)
    const blocked = this.blocked(request.path)
    if (blocked !== undefined) throw blocked
    const url = `${this.#config.baseUrl}${request.path}`
    let reason: PlexRequestFailure
    let status: number | undefined
    let retryAfterMs: number | undefined
    let cause: unknown
    try {
      const response = await fetchBounded(url, {
        fetch: this.#config.fetch,
        timeoutMs: this.#config.timeoutMs,
        maxBytes: request.maxBytes,
        headers: {
          accept: request.accept,
          'x-plex-client-identifier': request.clientIdentifier,
          'x-plex-token': request.token,
        },
      })
      if (response.status === 401) {
        this.#backoff.delete(endpoint)
        return { status: 401 }
      }
      if (response.status === 200 && response.text !== undefined) {
        try {
          const body = request.parse(response.text)
          this.#backoff.delete(endpoint)
          return { status: 200, body }
        } catch (err) {
          reason = 'invalid_body'
          cause = err
        }
      } else {
        status = response.status
        reason = status === 429 ? 'rate_limited' : 'status'
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now())
      }
    } catch (err) {
      reason = err instanceof BoundedFetchError ? err.reason : 'network'
      cause = err
    }
    const now = Date.now()
    const backoff = this.#backoff.get(endpoint) ?? { failures: 0, retryAt: 0 }
    backoff.failures++
    const waitMs = Math.min(
      MAX_RETRY_AFTER_MS,
      Math.max(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (backoff.failures - 1)), retryAfterMs ?? 0),
    )
    backoff.retryAt = now + waitMs
    this.#backoff.set(endpoint, backoff)
    const retryIn = Math.max(1, Math.ceil(waitMs / 1000))
    this.#emit({
      type: 'plex_request_failed',
      url: `${this.#config.baseUrl}${endpoint}`,
      reason,
      ...(status === undefined ? {} : { status }),
      retryIn,
    })
    throw unavailable(waitMs, cause)
  }

  #emit(event: PlexAuthEvent): void {
    try {
      this.#config.emit(event)
    } catch {
      // A faulty listener must not break a lookup.
    }
  }
}

function endpointOf(path: string): string {
  const query = path.indexOf('?')
  return query === -1 ? path : path.slice(0, query)
}

/** `PLEX_UNAVAILABLE` with a `retryAfter` of at least one second. */
export function unavailable(waitMs: number, cause?: unknown): PlexAuthError {
  return new PlexAuthError('PLEX_UNAVAILABLE', { retryAfter: Math.max(1, Math.ceil(waitMs / 1000)), cause })
}

/** Joins a validated base URL (no query or fragment) and an absolute path. */
export function joinBaseUrl(base: string): string {
  return base.replace(/\/+$/, '')
}
