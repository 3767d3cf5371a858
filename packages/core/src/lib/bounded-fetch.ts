/** Why a bounded fetch gave no answer. */
export type BoundedFetchFailure = 'timeout' | 'network' | 'redirect' | 'too_large'

/** A bounded fetch that gave no usable answer, with the reason for events. */
export class BoundedFetchError extends Error {
  readonly reason: BoundedFetchFailure
  constructor(reason: BoundedFetchFailure, cause?: unknown) {
    super(`Fetch failed: ${reason}`, cause === undefined ? undefined : { cause })
    this.name = 'BoundedFetchError'
    this.reason = reason
  }
}

/** Limits of one download. */
export interface BoundedFetchOptions {
  fetch: typeof globalThis.fetch
  /** Covers the headers and the body. */
  timeoutMs: number
  /** Largest body accepted, counted while reading. */
  maxBytes: number
  headers?: Record<string, string>
  /** Default `'GET'`; `'POST'` for the few plex.tv calls that create something (a PIN). */
  method?: 'GET' | 'POST'
  body?: string
  /** Statuses whose body is read. Default `[200]`. */
  readStatuses?: readonly number[]
}

/** An answer that arrived in time. `text` is read (within the limits) only for a 200 (or `readStatuses`). */
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
 * const bytes = await readBoundedBody(await fetch(url), 256 * 1024)
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
 * that drips bytes cannot hold it open), redirects are refused, and the body of a 200 is read up to
 * `maxBytes` (the body of any other status is discarded unread). Shared by the key set fetch and the
 * plex.tv lookups.
 */
export async function fetchBounded(url: string, options: BoundedFetchOptions): Promise<BoundedResponse> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), options.timeoutMs)
  timer.unref?.()
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
      throw new BoundedFetchError(controller.signal.aborted ? 'timeout' : 'network', err)
    }
    if ((response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
      await response.body?.cancel().catch(() => {})
      throw new BoundedFetchError('redirect')
    }
    if (!(options.readStatuses ?? OK).includes(response.status)) {
      await response.body?.cancel().catch(() => {})
      return { status: response.status, headers: response.headers, text: undefined }
    }
    try {
      const bytes = await readBoundedBody(response, options.maxBytes)
      if (bytes === undefined) throw new BoundedFetchError('too_large')
      const text = bytes.toString('utf8')
      return { status: response.status, headers: response.headers, text }
    } catch (err) {
      if (err instanceof BoundedFetchError) throw err
      throw new BoundedFetchError(controller.signal.aborted ? 'timeout' : 'network', err)
    }
  } finally {
    clearTimeout(timer)
  }
}
