import { setTimeout as delay } from 'node:timers/promises'
import { readBoundedBody } from '@plexauth/core/adapter'
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

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or `undefined`. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed)
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000))
}

async function sendOnce(
  settings: HttpSettings,
  request: HttpRequest,
): Promise<{ response: HttpResponse; retryAfter: number | undefined }> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, settings.timeoutMs)
  const onAbort = () => controller.abort()
  request.signal?.addEventListener('abort', onAbort, { once: true })
  const failed = (cause: unknown): PlexClientError => {
    if (cause instanceof PlexClientError) return cause
    if (request.signal?.aborted) return new PlexClientError('ABORTED', { cause })
    return new PlexClientError(timedOut ? 'TIMEOUT' : 'NETWORK_ERROR', { cause })
  }
  try {
    if (request.signal?.aborted) throw new PlexClientError('ABORTED')
    const headers = { ...request.headers }
    if (request.body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await settings.fetch(request.url, {
        method: request.method,
        headers,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        redirect: 'manual',
        signal: controller.signal,
      })
    } catch (cause) {
      throw failed(cause)
    }
    let bytes: Buffer | undefined
    try {
      bytes = await readBoundedBody(response, settings.maxBytes)
    } catch (cause) {
      throw failed(cause)
    }
    if (bytes === undefined) throw new PlexClientError('RESPONSE_TOO_LARGE')
    const { status } = response
    let body: unknown
    const text = bytes.toString('utf8')
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text)
      } catch (cause) {
        if (status >= 200 && status < 300) throw new PlexClientError('RESPONSE_INVALID', { status, cause })
      }
    }
    return { response: { status, body }, retryAfter: parseRetryAfter(response.headers.get('retry-after')) }
  } finally {
    clearTimeout(timer)
    request.signal?.removeEventListener('abort', onAbort)
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
    const { response, retryAfter } = await sendOnce(settings, request)
    if (response.status !== 429) return response
    const waitMs = retryAfter === undefined ? 1000 * 2 ** attempt : retryAfter * 1000
    if (attempt >= settings.maxRetries || waitMs > settings.maxRetryDelayMs) {
      throw new PlexClientError('RATE_LIMITED', {
        status: 429,
        ...(retryAfter === undefined ? {} : { retryAfter }),
      })
    }
    await settings.sleep(waitMs, request.signal)
  }
}
