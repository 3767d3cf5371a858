import { STATUS_CODES } from 'node:http'
import type { XmlElement } from './xml.js'

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
  /**
   * The same answer in XML: sent instead of `body` (as `application/xml`) to a request whose `Accept` does
   * not name `application/json`, as plex.tv does, unless the route is JSON-only.
   */
  xml?: XmlElement
}

/**
 * A JSON answer with `Content-Type: application/json`.
 *
 * @example
 * ```ts
 * const answer: FakeResponse = json(201, { id: 1, code: 'ABCD' })
 * ```
 */
export function json(status: number, value: unknown, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) }
}

/**
 * An answer plex.tv serves both ways: JSON (`value`) to clients that send `Accept: application/json`, XML
 * (`xml`) to the others.
 *
 * @example
 * ```ts
 * const answer: FakeResponse = negotiated(200, { id: 1 }, { tag: 'user', attributes: { id: 1 } })
 * ```
 */
export function negotiated(
  status: number,
  value: unknown,
  xml: XmlElement,
  headers: Record<string, string> = {},
): FakeResponse {
  return { ...json(status, value, headers), xml }
}

/**
 * An error in plex.tv's shape: `{"errors":[{"code":…,"message":…,"status":…}]}` in JSON,
 * `<errors><error code="…" message="…" status="…"/></errors>` in XML.
 *
 * @example
 * ```ts
 * const answer: FakeResponse = plexError(401, 1001, 'User could not be authenticated')
 * ```
 */
export function plexError(
  status: number,
  code = status,
  message = STATUS_CODES[status] ?? 'Error',
): FakeResponse {
  return negotiated(
    status,
    { errors: [{ code, message, status }] },
    { tag: 'errors', children: [{ tag: 'error', attributes: { code, message, status } }] },
  )
}
