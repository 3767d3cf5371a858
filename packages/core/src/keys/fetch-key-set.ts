import { BoundedFetchError, type BoundedResponse, fetchBounded } from '../lib/bounded-fetch.js'
import type { KeyFetchFailure } from '../lib/event-types.js'

/**
 * The bounds of `jwks.maxBytes` and `jwks.timeout` (seconds): a verifier refuses options outside them, and
 * @plexauth/client keeps its own limits inside them.
 *
 * @example
 * ```ts
 * const maxBytes = Math.min(JWKS_LIMITS.maxBytes, 64 * 1024 * 1024) // what a verifier accepts
 * ```
 */
export const JWKS_LIMITS = Object.freeze({
  minBytes: 1024,
  maxBytes: 16 * 1024 * 1024,
  maxTimeoutSeconds: 120,
})

/** Limits of one key set download. */
export interface FetchKeySetOptions {
  fetch: typeof globalThis.fetch
  timeoutMs: number
  maxBytes: number
}

/** A key set body that downloaded and parsed, with the freshness the server gave it. */
export interface FetchedKeySet {
  body: unknown
  /** `Cache-Control: max-age`, in milliseconds, when the server sent one. */
  maxAgeMs: number | undefined
}

/** A failed download, with the reason for events. */
export class KeyFetchError extends Error {
  readonly reason: KeyFetchFailure
  constructor(reason: KeyFetchFailure, cause?: unknown) {
    super(`Key set fetch failed: ${reason}`, cause === undefined ? undefined : { cause })
    this.name = 'KeyFetchError'
    this.reason = reason
  }
}

function parseMaxAge(cacheControl: string | null): number | undefined {
  if (cacheControl === null) return undefined
  if (/(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/i.test(cacheControl)) return 0
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,10})"?\s*(?:,|$)/i.exec(cacheControl)
  return match ? Number(match[1]) : undefined
}

/**
 * Downloads and parses a key set, refusing anything slow, redirected, non-200, oversized or not JSON.
 * The timeout covers the body too, so a server that drips bytes cannot hold a fetch open.
 */
export async function fetchKeySet(url: string, options: FetchKeySetOptions): Promise<FetchedKeySet> {
  let fetched: BoundedResponse
  try {
    fetched = await fetchBounded(url, { ...options, headers: { accept: 'application/json' } })
  } catch (err) {
    if (err instanceof BoundedFetchError) throw new KeyFetchError(err.reason, err.cause)
    throw new KeyFetchError('network', err)
  }
  if (fetched.status !== 200 || fetched.text === undefined) throw new KeyFetchError('status')
  let body: unknown
  try {
    body = JSON.parse(fetched.text)
  } catch (err) {
    throw new KeyFetchError('invalid_json', err)
  }
  const maxAge = parseMaxAge(fetched.headers.get('cache-control'))
  return { body, maxAgeMs: maxAge === undefined ? undefined : maxAge * 1000 }
}
