import { STATUS_CODES } from 'node:http'

/**
 * What a route answers. A streamed `body` is written chunk by chunk, without `Content-Length`.
 *
 * @example
 * ```ts
 * const answer: FakeResponse = { status: 204 }
 * ```
 */
export interface FakeResponse {
  status: number
  headers?: Record<string, string>
  body?: string | Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>
}

/**
 * A JSON answer with `Content-Type: application/json`.
 *
 * @example
 * ```ts
 * return json(201, { id: 1, code: 'ABCD' })
 * ```
 */
export function json(status: number, value: unknown, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) }
}

/**
 * An error in plex.tv's JSON shape: `{"errors":[{"code":…,"message":…,"status":…}]}`.
 *
 * @example
 * ```ts
 * return plexError(401, 1001, 'User could not be authenticated')
 * ```
 */
export function plexError(
  status: number,
  code = status,
  message = STATUS_CODES[status] ?? 'Error',
): FakeResponse {
  return json(status, { errors: [{ code, message, status }] })
}
