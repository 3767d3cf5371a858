/**
 * Why a bounded fetch gave no answer.
 *
 * @example
 * ```ts
 * try {
 *   await fetchBounded('https://plex.tv/api/v2/user', { fetch, timeoutMs: 5000, maxBytes: 65536 })
 * } catch (err) {
 *   const reason: BoundedFetchFailure | undefined = err instanceof BoundedFetchError ? err.reason : undefined
 * }
 * ```
 */
export type BoundedFetchFailure = 'timeout' | 'network' | 'redirect' | 'too_large'

/**
 * A bounded fetch that gave no usable answer, with the reason for events. A fetch cut short by the caller's
 * `signal` fails as `network`: the caller, who knows its signal, says `aborted` itself.
 *
 * @example
 * ```ts
 * try {
 *   await fetchBounded('https://plex.tv/api/v2/user', { fetch, timeoutMs: 5000, maxBytes: 65536 })
 * } catch (err) {
 *   if (err instanceof BoundedFetchError && err.reason === 'timeout') console.warn('plex.tv is slow, try later')
 * }
 * ```
 */
export class BoundedFetchError extends Error {
  readonly reason: BoundedFetchFailure
  /** For `redirect`: the status of the refused answer (0 for an opaque redirect). */
  readonly status: number | undefined
  constructor(reason: BoundedFetchFailure, cause?: unknown, status?: number) {
    super(`Fetch failed: ${reason}`, cause === undefined ? undefined : { cause })
    this.name = 'BoundedFetchError'
    this.reason = reason
    this.status = status
  }
}

/**
 * One request and its limits.
 *
 * @example
 * ```ts
 * const options: BoundedFetchOptions = { fetch, timeoutMs: 5000, maxBytes: 1 << 20, headers: { accept: 'application/json' } }
 * ```
 */
export interface BoundedFetchOptions {
  fetch: typeof globalThis.fetch
  /** Covers the headers and the body. */
  timeoutMs: number
  /** Largest body accepted, counted while reading. */
  maxBytes: number
  /**
   * Default `'GET'`; `'POST'` for the few calls that create something (a PIN).
   * @default 'GET'
   */
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  /** The request body, already serialized. */
  body?: string
  /** The caller's abort signal, beside the timeout. */
  signal?: AbortSignal | undefined
  /**
   * Statuses whose body is read, or `'all'`. Default `[200]`: other bodies are discarded unread.
   * @default [200]
   */
  readStatuses?: readonly number[] | 'all'
}

/**
 * An answer that arrived in time. `text` is read (within the limits) for a 200, or for the statuses of
 * `readStatuses`.
 *
 * @example
 * ```ts
 * const { status, text } = await fetchBounded('https://plex.tv/api/v2/user', { fetch, timeoutMs: 5000, maxBytes: 65536 })
 * ```
 */
export interface BoundedResponse {
  status: number
  headers: Headers
  text: string | undefined
}

/**
 * Reads a fetch response's body, at most `maxBytes` of it (counted while reading, after any decoding, so a
 * gzip bomb stops early); `undefined`, with the body cancelled, when it is larger.
 *
 * @example
 * ```ts
 * const bytes = await readBoundedBody(await fetch('https://plex.tv/api/v2/user'), 256 * 1024)
 * if (bytes === undefined) throw new Error('too large')
 * ```
 */
export async function readBoundedBody(response: Response, maxBytes: number): Promise<Buffer | undefined> {
  const declared = response.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) {
    await response.body?.cancel().catch(() => {})
    return undefined
  }
  if (response.body === null) return Buffer.alloc(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, total)
}

const OK: readonly number[] = [200]

/**
 * One request that cannot hang, follow a redirect or fill memory: the timeout covers the body too (a server
 * that drips bytes cannot hold it open), redirects are refused (a redirect would carry `X-Plex-Token`
 * elsewhere), and the body is read up to `maxBytes`. The one bounded fetch of plexauth: the key set fetch,
 * the plex.tv lookups, the sign-in PINs and the client's requests.
 *
 * @example
 * ```ts
 * const answer = await fetchBounded('https://plex.tv/api/v2/user', { fetch, timeoutMs: 5000, maxBytes: 65536 })
 * ```
 */
export async function fetchBounded(url: string, options: BoundedFetchOptions): Promise<BoundedResponse> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, options.timeoutMs)
  timer.unref?.()
  const { signal } = options
  const onAbort = () => controller.abort()
  if (signal?.aborted) controller.abort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  const failure = (cause: unknown) => new BoundedFetchError(timedOut ? 'timeout' : 'network', cause)
  try {
    let response: Response
    try {
      response = await options.fetch(url, {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        ...(options.body === undefined ? {} : { body: options.body }),
        redirect: 'manual',
        signal: controller.signal,
      })
    } catch (err) {
      throw failure(err)
    }
    if ((response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
      await response.body?.cancel().catch(() => {})
      throw new BoundedFetchError('redirect', undefined, response.status)
    }
    const read = options.readStatuses ?? OK
    if (read !== 'all' && !read.includes(response.status)) {
      await response.body?.cancel().catch(() => {})
      return { status: response.status, headers: response.headers, text: undefined }
    }
    let bytes: Buffer | undefined
    try {
      bytes = await readBoundedBody(response, options.maxBytes)
    } catch (err) {
      throw failure(err)
    }
    if (bytes === undefined) throw new BoundedFetchError('too_large')
    return { status: response.status, headers: response.headers, text: bytes.toString('utf8') }
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}
