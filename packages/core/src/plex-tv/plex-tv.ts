import { backoffMs, parseRetryAfter } from '../lib/backoff.js'
import { BoundedFetchError, fetchBounded } from '../lib/bounded-fetch.js'
import { PlexAuthError } from '../lib/errors.js'
import type { PlexAuthEvent, PlexRequestFailure } from '../lib/event-types.js'
import { hashSecret } from '../lib/hash-secret.js'
import { Lru } from '../lib/lru.js'
import { validateEndpointUrl } from '../lib/options.js'

/**
 * plex.tv's base URL: the default `plexTvUrl` of legacy-token lookups and server access checks.
 *
 * @example
 * ```ts
 * createPlexVerifier({ clientIdentifier: 'my-app', legacyTokens: true, plexTvUrl: PLEX_TV_URL })
 * ```
 */
export const PLEX_TV_URL = 'https://plex.tv'

/** Longest `Retry-After` honoured, so that a bogus header cannot shut lookups off for days. */
const MAX_RETRY_AFTER_MS = 600_000
/** Most tokens backing off at once; beyond it the oldest is forgotten (and may be asked again sooner). */
export const MAX_TOKEN_BACKOFFS = 10_000

/** Settings of a plex.tv client; durations in milliseconds. */
export interface PlexTvClientConfig {
  baseUrl: string
  fetch: typeof globalThis.fetch
  timeoutMs: number
  /** Made safe by `safeEmitter`: it never throws. */
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
  /**
   * The token may be a Plex JWT: plex.tv's 498 ("JWT expired") is then an answer about the token, like 401.
   * Off for legacy-token lookups, where only 200 and 401 mean anything.
   */
  expiredIsAnswer?: boolean
}

/** plex.tv's answer about the token: 200 with the parsed body, 401 (not valid) or, when allowed, 498 (expired). */
export type PlexTvAnswer<T> = { status: 200; body: T } | { status: 401 } | { status: 498 }

interface Backoff {
  failures: number
  retryAt: number
}

/**
 * Asks plex.tv and classifies the answer the way plex.tv documents it: 200 is an answer, 401 means the
 * token is not valid (and, when the request allows it, 498 that the Plex JWT expired), anything else (5xx,
 * 429, a timeout, a redirect, an unreadable body, another status) proves nothing and becomes
 * `PLEX_UNAVAILABLE`. Failures back off (1 s doubling to 60 s, or plex.tv's `Retry-After` when longer, up
 * to 10 minutes): while backing off, requests fail at once instead of each waiting for a timeout.
 * Failures of plex.tv itself (a transport error, a timeout, a redirect, a 5xx, a 429) back off the
 * endpoint, which is shared by every user of it; failures one token's request can cause on its own (an
 * unreadable or oversized body, any other status) back off that token only, so that one user can neither
 * make plex.tv look down for everybody nor make it be asked again on each of their requests.
 */
export class PlexTvClient {
  readonly #config: PlexTvClientConfig
  /** By endpoint (path without query): shared by every user of it. */
  readonly #backoff = new Lru<Backoff>(MAX_TOKEN_BACKOFFS)
  /** By endpoint and SHA-256 hash of the token; the one that failed longest ago is forgotten first. */
  readonly #tokenBackoff = new Lru<Backoff>(MAX_TOKEN_BACKOFFS)

  constructor(config: PlexTvClientConfig) {
    this.#config = config
  }

  /**
   * The `PLEX_UNAVAILABLE` to throw without asking, while `path` (or, given `token`, that token on it)
   * backs off; else `undefined`.
   */
  blocked(path: string, token?: string): PlexAuthError | undefined {
    const now = Date.now()
    const endpoint = endpointOf(path)
    let retryAt = this.#backoff.peek(endpoint)?.retryAt ?? 0
    // Hashed only while some token backs off: the usual path costs nothing.
    if (token !== undefined && this.#tokenBackoff.size > 0) {
      retryAt = Math.max(retryAt, this.#tokenBackoff.peek(tokenKeyOf(endpoint, token))?.retryAt ?? 0)
    }
    return now < retryAt ? unavailable(retryAt - now) : undefined
  }

  async get<T>(request: PlexTvRequest<T>): Promise<PlexTvAnswer<T>> {
    const endpoint = endpointOf(request.path)
    const blocked = this.blocked(request.path, request.token)
    if (blocked !== undefined) throw blocked
    const url = `${this.#config.baseUrl}${request.path}`
    let reason: PlexRequestFailure
    let status: number | undefined
    let retryAfterMs: number | undefined
    let cause: unknown
    // Whether the failure is plex.tv's own, for every user, rather than one token's answer.
    let shared: boolean
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
      if (response.status === 401 || (response.status === 498 && request.expiredIsAnswer === true)) {
        this.#answered(endpoint, request.token)
        return response.status === 401 ? { status: 401 } : { status: 498 }
      }
      if (response.status === 200 && response.text !== undefined) {
        try {
          const body = request.parse(response.text)
          this.#answered(endpoint, request.token)
          return { status: 200, body }
        } catch (err) {
          reason = 'invalid_body'
          cause = err
          shared = false
        }
      } else {
        status = response.status
        reason = status === 429 ? 'rate_limited' : 'status'
        shared = status === 429 || status >= 500
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now())
      }
    } catch (err) {
      reason = err instanceof BoundedFetchError ? err.reason : 'network'
      // An oversized body is this token's answer (e.g. a huge device list); the rest is the transport.
      shared = reason !== 'too_large'
      cause = err
    }
    const waitMs = shared
      ? this.#failed(this.#backoff, endpoint, retryAfterMs)
      : this.#failed(this.#tokenBackoff, tokenKeyOf(endpoint, request.token), retryAfterMs)
    const retryIn = Math.max(1, Math.ceil(waitMs / 1000))
    this.#config.emit({
      type: 'plex_request_failed',
      url: `${this.#config.baseUrl}${endpoint}`,
      reason,
      ...(status === undefined ? {} : { status }),
      retryIn,
    })
    throw unavailable(waitMs, cause)
  }

  /** plex.tv answered: neither the endpoint nor this token backs off any longer. */
  #answered(endpoint: string, token: string): void {
    this.#backoff.delete(endpoint)
    if (this.#tokenBackoff.size > 0) this.#tokenBackoff.delete(tokenKeyOf(endpoint, token))
  }

  /** Counts a failure under `key` and returns how long it backs off, in milliseconds. */
  #failed(backoffs: Lru<Backoff>, key: string, retryAfterMs: number | undefined): number {
    const backoff = backoffs.peek(key) ?? { failures: 0, retryAt: 0 }
    backoff.failures++
    const waitMs = Math.min(MAX_RETRY_AFTER_MS, Math.max(backoffMs(backoff.failures), retryAfterMs ?? 0))
    backoff.retryAt = Date.now() + waitMs
    // Set again, so that the first entry forgotten is always the one that failed longest ago.
    backoffs.set(key, backoff)
    return waitMs
  }
}

function endpointOf(path: string): string {
  const query = path.indexOf('?')
  return query === -1 ? path : path.slice(0, query)
}

/** A token's backoff key: never the token itself. */
function tokenKeyOf(endpoint: string, token: string): string {
  return `${endpoint} ${hashSecret(token)}`
}

/** `PLEX_UNAVAILABLE` with a `retryAfter` of at least one second. */
export function unavailable(waitMs: number, cause?: unknown): PlexAuthError {
  return new PlexAuthError('PLEX_UNAVAILABLE', { retryAfter: Math.max(1, Math.ceil(waitMs / 1000)), cause })
}

/** Validates plex.tv's base URL like `jwksUrl`, and drops a trailing slash. Default `https://plex.tv`. */
export function resolvePlexTvUrl(value: unknown): string {
  if (value === undefined) return PLEX_TV_URL
  return validateEndpointUrl('plexTvUrl', value).replace(/\/+$/, '')
}
