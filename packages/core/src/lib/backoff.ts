/** The first wait after a failure; each further failure doubles it. */
const FIRST_BACKOFF_MS = 1000
/**
 * Longest wait of `backoffMs` unless the caller sets another.
 *
 * @example
 * ```ts
 * backoffMs(20) === MAX_BACKOFF_MS // true: a minute at most
 * ```
 */
export const MAX_BACKOFF_MS = 60_000

/**
 * How long to wait after `failures` consecutive failures (1 or more): 1 s doubling, at most `maxMs`. The
 * one backoff of the key set cache, the plex.tv lookups and the client's 429 retries.
 *
 * @example
 * ```ts
 * backoffMs(1) // 1000
 * backoffMs(3) // 4000
 * backoffMs(10) // 60000
 * ```
 */
export function backoffMs(failures: number, maxMs: number = MAX_BACKOFF_MS): number {
  return Math.min(maxMs, FIRST_BACKOFF_MS * 2 ** Math.max(0, failures - 1))
}

/**
 * A `Retry-After` header (delta-seconds or an HTTP date) as milliseconds from `now`; `undefined` when absent
 * or unreadable. A date in the past is 0. The one rule of every package: @plexauth/browser, which may not
 * depend on core, keeps a copy that its tests hold to this one, input for input.
 *
 * @example
 * ```ts
 * const response = await fetch('https://plex.tv/api/v2/user')
 * parseRetryAfter(response.headers.get('retry-after'), Date.now()) // '120' → 120000
 * ```
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000
  // Only the shapes of an HTTP date (RFC 9110: IMF-fixdate, or the obsolete RFC 850 form), both in GMT:
  // Date.parse alone reads "-1", "0.5" or "2" as dates in 2000 and 2001, which would mean "retry now".
  if (!HTTP_DATE.test(trimmed)) return undefined
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const HTTP_DATE = /^[A-Za-z]{3,9}, \d{2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/
