import { setTimeout as delay } from 'node:timers/promises'
import { type BoundedFetchError, backoffMs, fetchBounded, parseRetryAfter } from '@plexauth/core/plex-tv'
import { PlexClientError } from './errors.js'

/** How requests are sent: limits, retry policy and the injectable fetch and sleep. */
export interface HttpSettings {
  fetch: typeof globalThis.fetch
  timeoutMs: number
  maxBytes: number
  maxRetries: number
  maxRetryDelayMs: number
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** One request: JSON in, JSON out. */
export interface HttpRequest {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  body?: unknown
  signal?: AbortSignal | undefined
}

/** An answer whose body was read in full (within the limits) and parsed as JSON when it was not empty. */
export interface HttpResponse {
  status: number
  /** Parsed JSON; `undefined` for an empty body or, on an error status, a body that is not JSON. */
  body: unknown
}

/**
 * The default sleep: a timer that an abort signal cuts short with `ABORTED`.
 *
 * @example
 * ```ts
 * await defaultSleep(1000, AbortSignal.timeout(5000)) // rejects with ABORTED after 5 s
 * ```
 */
export async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal })
  } catch (cause) {
    throw new PlexClientError('ABORTED', { cause })
  }
}

/** Maps a failure of the bounded fetch (or of the caller's signal) to the client's codes. */
function failed(error: BoundedFetchError, signal: AbortSignal | undefined): PlexClientError {
  if (signal?.aborted) return new PlexClientError('ABORTED', { cause: error })
  switch (error.reason) {
    case 'too_large':
      return new PlexClientError('RESPONSE_TOO_LARGE')
    // Not followed, and answered like any other status the caller did not expect.
    case 'redirect':
      return new PlexClientError('HTTP_ERROR', { status: error.status ?? 0 })
    case 'timeout':
      return new PlexClientError('TIMEOUT', { cause: error })
    default:
      return new PlexClientError('NETWORK_ERROR', { cause: error })
  }
}

async function sendOnce(
  settings: HttpSettings,
  request: HttpRequest,
): Promise<{ response: HttpResponse; retryAfterMs: number | undefined }> {
  if (request.signal?.aborted) throw new PlexClientError('ABORTED')
  const headers = { ...request.headers }
  if (request.body !== undefined) headers['content-type'] = 'application/json'
  let answer: Awaited<ReturnType<typeof fetchBounded>>
  try {
    answer = await fetchBounded(request.url, {
      fetch: settings.fetch,
      timeoutMs: settings.timeoutMs,
      maxBytes: settings.maxBytes,
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: request.signal,
      // Error bodies are read too: plex.tv says in them why it refused (e.g. a thumbprint already taken).
      readStatuses: 'all',
    })
  } catch (error) {
    // fetchBounded rejects with nothing else, whatever the injected fetch throws.
    throw failed(error as BoundedFetchError, request.signal)
  }
  const { status } = answer
  let body: unknown
  const text = answer.text ?? ''
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text)
    } catch (cause) {
      if (status >= 200 && status < 300) throw new PlexClientError('RESPONSE_INVALID', { status, cause })
    }
  }
  return {
    response: { status, body },
    retryAfterMs: parseRetryAfter(answer.headers.get('retry-after'), Date.now()),
  }
}

/**
 * Sends a request with a timeout (headers and body) and a size limit, never following redirects (a
 * redirect would carry `X-Plex-Token` elsewhere). A 429 is retried up to `maxRetries` times, waiting
 * `Retry-After` when given (else 1 s, 2 s, 4 s…); a wait longer than `maxRetryDelayMs` is not attempted.
 * Any other status is returned for the caller to judge.
 */
export async function send(settings: HttpSettings, request: HttpRequest): Promise<HttpResponse> {
  for (let attempt = 0; ; attempt++) {
    const { response, retryAfterMs } = await sendOnce(settings, request)
    if (response.status !== 429) return response
    // Uncapped: maxRetryDelay bounds the wait, and a longer one fails at once.
    const waitMs = retryAfterMs ?? backoffMs(attempt + 1, Number.POSITIVE_INFINITY)
    if (attempt >= settings.maxRetries || waitMs > settings.maxRetryDelayMs) {
      throw new PlexClientError('RATE_LIMITED', {
        status: 429,
        ...(retryAfterMs === undefined ? {} : { retryAfter: Math.ceil(retryAfterMs / 1000) }),
      })
    }
    await settings.sleep(waitMs, request.signal)
  }
}
