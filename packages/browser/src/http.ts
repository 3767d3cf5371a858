import { PlexSignInError } from './errors.js'

/** One answer of the server, its body parsed when it was JSON. */
export interface Answer {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: the server's JSON, read field by field with checks
  body: any
  /** `Retry-After` in milliseconds, when the server sent one. */
  retryAfter: number | undefined
}

/**
 * Options shared by every call: where the login routes are mounted, and a way to stop.
 *
 * @example
 * ```ts
 * const options: PlexBrowserOptions = { basePath: 'https://api.example.com/auth/plex' }
 * const identity = await getSession(options)
 * ```
 */
export interface PlexBrowserOptions {
  /** Where the server mounted `plexLogin`: a path (`/auth/plex`, the default) or an absolute URL. */
  basePath?: string
  /** Aborts the call; a sign-in then rejects with `CANCELLED`. */
  signal?: AbortSignal
}

/** The login routes' base, without a trailing slash. */
export function baseOf(options: PlexBrowserOptions): string {
  return (options.basePath ?? '/auth/plex').replace(/\/+$/, '')
}

export function cancelled(signal: AbortSignal): PlexSignInError {
  return new PlexSignInError('CANCELLED', { cause: signal.reason })
}

/**
 * A `Retry-After` header as milliseconds from `now` (a past date is 0), or `undefined`: core's
 * `parseRetryAfter`, copied because this package has no dependencies; test/http.test.ts runs both over
 * the same inputs, so that the two cannot drift apart.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000
  if (!HTTP_DATE.test(trimmed)) return undefined
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const HTTP_DATE = /^[A-Za-z]{3,9}, \d{2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/

/**
 * One request to the login routes. `credentials: 'include'` so that an app whose API is on another origin
 * sends and receives its cookies too; the request stays a CORS "simple" one (no preflight).
 */
export async function call(url: string, method: string, signal: AbortSignal | undefined): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method,
      credentials: 'include',
      headers: { accept: 'application/json' },
      signal,
    })
    const text = await response.text()
    let body: unknown
    try {
      body = text === '' ? undefined : JSON.parse(text)
    } catch {
      // A proxy's HTML error page: the status alone decides.
    }
    return {
      status: response.status,
      body,
      retryAfter: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
    }
  } catch (cause) {
    throw signal?.aborted ? cancelled(signal) : new PlexSignInError('NETWORK', { cause })
  }
}

/** The coded error for an answer that ends a sign-in. */
export function refusal({ status: answered, body }: Answer): PlexSignInError {
  const status = answered || undefined
  const code = typeof body?.code === 'string' ? body.code : undefined
  if (status === 410) return new PlexSignInError('PIN_EXPIRED', { status })
  if (code === 'ACCESS_DENIED') {
    return new PlexSignInError('ACCESS_DENIED', {
      status,
      reason: typeof body.reason === 'string' ? body.reason : undefined,
    })
  }
  return new PlexSignInError('NETWORK', { status, reason: code })
}
