import type { KeyFetchFailure } from './types.js'

/** Limits of one key set download. */
export interface FetchKeySetOptions {
  fetch: typeof globalThis.fetch
  timeoutMs: number
  maxBytes: number
}

/** A key set body that downloaded and parsed, with the freshness the server gave it. */
export interface FetchedKeySet {
  body: unknown
  /** `Cache-Control: max-age` in seconds, when the server sent one. */
  maxAge: number | undefined
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

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const declared = response.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) {
    await response.body?.cancel().catch(() => {})
    throw new KeyFetchError('too_large')
  }
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => {})
      throw new KeyFetchError('too_large')
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, total).toString('utf8')
}

/**
 * Downloads and parses a key set, refusing anything slow, redirected, non-200, oversized or not JSON.
 * The timeout covers the body too, so a server that drips bytes cannot hold a fetch open.
 */
export async function fetchKeySet(url: string, options: FetchKeySetOptions): Promise<FetchedKeySet> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), options.timeoutMs)
  timer.unref?.()
  try {
    let response: Response
    try {
      response = await options.fetch(url, {
        method: 'GET',
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: controller.signal,
      })
    } catch (err) {
      throw new KeyFetchError(controller.signal.aborted ? 'timeout' : 'network', err)
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => {})
      throw new KeyFetchError('redirect')
    }
    if (response.status !== 200 || response.type === 'opaqueredirect') {
      await response.body?.cancel().catch(() => {})
      throw new KeyFetchError(response.type === 'opaqueredirect' ? 'redirect' : 'status')
    }
    let text: string
    try {
      text = await readBounded(response, options.maxBytes)
    } catch (err) {
      if (err instanceof KeyFetchError) throw err
      throw new KeyFetchError(controller.signal.aborted ? 'timeout' : 'network', err)
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (err) {
      throw new KeyFetchError('invalid_json', err)
    }
    return { body, maxAge: parseMaxAge(response.headers.get('cache-control')) }
  } finally {
    clearTimeout(timer)
  }
}
