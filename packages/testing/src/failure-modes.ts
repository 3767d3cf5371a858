import { randomBytes } from 'node:crypto'
import { validateHeaderName, validateHeaderValue } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { collect, drip, gzip, paddedJson } from './body-streams.js'
import { type FakeResponse, json, plexError } from './responses.js'

type Delayable<T> = T & { delayMs?: number }

/**
 * How a path misbehaves. Every object form may add `delayMs`: wait that long before answering (slow headers);
 * `{ delayMs }` alone then answers normally.
 *
 * - `'down'`: destroy the socket without answering.
 * - `'hang'`: never answer (until the client gives up or the fake closes).
 * - `'garbage'`: 200 `application/json` whose body is not JSON.
 * - `{ status, body?, headers? }` / `{ body, status?, headers? }`: an arbitrary answer (default status 200,
 *   default body a plex.tv error for that status); a non-string, non-bytes body is sent as JSON.
 * - `{ redirect, status? }`: a redirect (default 302) to `redirect`.
 * - `{ dripMs, bytes? }`: the normal answer, headers at once, then `bytes` (default 1) bytes every `dripMs`.
 * - `{ hugeBytes }`: the normal JSON answer padded to `hugeBytes`, streamed without `Content-Length`.
 * - `{ gzipBomb }`: the normal JSON answer padded to `gzipBomb` bytes, sent gzip-compressed
 *   (`Content-Encoding: gzip`, a small `Content-Length`).
 * - `{ tooManyKeys }`: the normal key set preceded by `tooManyKeys` extra well-formed keys.
 *
 * @example
 * ```ts
 * plex.fail(PLEX_PATHS.keys, { status: 503 })
 * plex.fail(PLEX_PATHS.keys, { delayMs: 50, body: { keys: 'nope' } })
 * ```
 */
export type FailureMode =
  | 'down'
  | 'hang'
  | 'garbage'
  | { delayMs: number }
  | Delayable<{ status: number; body?: unknown; headers?: Record<string, string> }>
  | Delayable<{ body: unknown; status?: number; headers?: Record<string, string> }>
  | Delayable<{ redirect: string; status?: number }>
  | Delayable<{ dripMs: number; bytes?: number }>
  | Delayable<{ hugeBytes: number }>
  | Delayable<{ gzipBomb: number }>
  | Delayable<{ tooManyKeys: number }>

const count = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
const duration = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0
const status = (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 999
const headerValue = (value: unknown) => {
  if (typeof value !== 'string') return false
  try {
    validateHeaderValue('x', value)
    return true
  } catch {
    return false
  }
}
const headers = (value: unknown) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  return Object.entries(value).every(([name, value]) => {
    try {
      validateHeaderName(name)
    } catch {
      return false
    }
    return headerValue(value)
  })
}
const MEMBER_CHECKS: Record<string, (value: unknown) => boolean> = {
  delayMs: duration,
  status,
  body: () => true,
  headers,
  redirect: headerValue,
  dripMs: duration,
  bytes: (value) => count(value) && (value as number) > 0,
  hugeBytes: count,
  gzipBomb: count,
  tooManyKeys: count,
}
// The members that pick a mode's kind; `delayMs` alone is a mode too.
const KINDS = ['status', 'body', 'redirect', 'dripMs', 'hugeBytes', 'gzipBomb', 'tooManyKeys', 'delayMs']

/**
 * Whether `value` is a `FailureMode` the fake can play (as the control surface receives it in JSON): a
 * known string, or an object of known members, each of the right type (a status from 100 to 999, valid
 * header names and values, non-negative numbers).
 */
export function isFailureMode(value: unknown): value is FailureMode {
  if (value === 'down' || value === 'hang' || value === 'garbage') return true
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const members = Object.entries(value)
  return (
    members.some(([name]) => KINDS.includes(name)) &&
    members.every(([name, member]) => Object.hasOwn(MEMBER_CHECKS, name) && MEMBER_CHECKS[name]!(member))
  )
}

/** Failure modes by path (`'*'`: every path), each for a number of requests. */
export class FailureTable {
  readonly #entries = new Map<string, { mode: FailureMode; remaining: number }>()

  set(path: string, mode: FailureMode, times = Number.POSITIVE_INFINITY): void {
    this.#entries.set(path, { mode, remaining: times })
  }

  clear(path?: string): void {
    if (path === undefined) this.#entries.clear()
    else this.#entries.delete(path)
  }

  /** The mode for the first of `paths` (then `'*'`) that has one, counting the request against it. */
  take(paths: readonly string[]): FailureMode | undefined {
    for (const path of [...paths, '*']) {
      const entry = this.#entries.get(path)
      if (entry === undefined) continue
      if (--entry.remaining <= 0) this.#entries.delete(path)
      return entry.mode
    }
    return undefined
  }
}

/** What the router should do instead of (or with) the normal answer, produced by `normal`. */
export async function applyFailure(
  mode: FailureMode,
  normal: () => Promise<FakeResponse>,
  signal: AbortSignal,
): Promise<FakeResponse | 'down' | 'hang'> {
  if (typeof mode === 'string') {
    if (mode !== 'garbage') return mode
    return { status: 200, headers: { 'content-type': 'application/json' }, body: '<html><body>Bad Gateway' }
  }
  if (mode.delayMs) await sleep(mode.delayMs, undefined, { signal })
  if ('redirect' in mode) return { status: mode.status ?? 302, headers: { location: mode.redirect } }
  if ('status' in mode || 'body' in mode) return raw(mode)
  const answer = await normal()
  if ('dripMs' in mode) {
    return { ...answer, body: drip(await collect(answer.body), mode.bytes ?? 1, mode.dripMs, signal) }
  }
  const text = (await collect(answer.body)).toString()
  if ('hugeBytes' in mode) return { ...answer, body: paddedJson(text, mode.hugeBytes) }
  if ('gzipBomb' in mode) {
    const body = await compressedBomb(text, mode.gzipBomb)
    return { ...answer, headers: { ...answer.headers, 'content-encoding': 'gzip' }, body }
  }
  if ('tooManyKeys' in mode) return json(answer.status, withExtraKeys(text, mode.tooManyKeys), answer.headers)
  return answer
}

const bombs = new Map<string, Promise<Buffer>>()

// Compressing 100 MB takes a quarter of a second; tests that refetch should not pay it each time.
function compressedBomb(text: string, size: number): Promise<Buffer> {
  const key = `${size}:${text}`
  const bomb = bombs.get(key) ?? gzip(paddedJson(text, size))
  bombs.set(key, bomb)
  return bomb
}

function raw(mode: { status?: number; body?: unknown; headers?: Record<string, string> }): FakeResponse {
  const status = mode.status ?? 200
  const { body } = 'body' in mode ? mode : plexError(status)
  const encoded = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body)
  return { status, headers: { 'content-type': 'application/json', ...mode.headers }, body: encoded }
}

function withExtraKeys(text: string, count: number): { keys: unknown[] } {
  const { keys } = JSON.parse(text) as { keys?: unknown }
  const extra = Array.from({ length: count }, () => ({
    kty: 'OKP',
    crv: 'Ed25519',
    x: randomBytes(32).toString('base64url'),
    kid: randomBytes(32).toString('base64url'),
    use: 'sig',
    alg: 'EdDSA',
  }))
  return { keys: [...extra, ...(Array.isArray(keys) ? keys : [])] }
}
