import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { applyFailure } from './failure-modes.js'
import { CONTROL_PATH } from './paths.js'
import { type FakeResponse, json, plexError } from './responses.js'
import type { FakePlexState } from './state.js'
import { renderXml } from './xml.js'

/**
 * What a route handler gets.
 *
 * @example
 * ```ts
 * const handle = ({ params }: RouteContext) => ({ status: 200, body: JSON.stringify({ id: Number(params.id) }) })
 * ```
 */
export interface RouteContext {
  readonly method: string
  /** The path without the query string. */
  readonly path: string
  /** Values of the `:name` segments of the route's path. */
  readonly params: Readonly<Record<string, string>>
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  /** The request body, read in full. */
  readonly body: Buffer
  readonly state: FakePlexState
}

/**
 * One entry of the route table: a method, a path (segments starting with `:` match anything) and a handler.
 *
 * @example
 * ```ts
 * const pinRoute: Route = { method: 'GET', path: '/api/v2/pins/:id', handle: ({ params }) => ({ status: 200, body: JSON.stringify({ id: params.id }) }) }
 * ```
 */
export interface Route {
  readonly method: string
  readonly path: string
  /** Answers JSON whatever `Accept` says (plex.tv's `auth/*` endpoints, read as JSON by clients that ask for nothing). */
  readonly jsonOnly?: boolean
  handle(context: RouteContext): FakeResponse | Promise<FakeResponse>
}

const CREDENTIAL_HEADERS = ['authorization', 'x-plex-token', 'cookie']

/** The largest request body the fake reads: 1 MiB. A larger one is answered 413 and not kept. */
export const MAX_BODY_BYTES = 1024 * 1024

/** Counts and logs each request, applies the failure mode of its path, else answers from the route table. */
export function createRouter(routes: readonly Route[], state: FakePlexState): RequestListener {
  return (request, response) => {
    dispatch(routes, state, request, response).catch(() => response.destroy())
  }
}

async function dispatch(
  routes: readonly Route[],
  state: FakePlexState,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  // A server's requests always carry both (the types also cover a client's responses).
  const method = request.method!
  const url = new URL(request.url!, 'http://fake-plex')
  const path = url.pathname
  const control = path === CONTROL_PATH || path.startsWith(`${CONTROL_PATH}/`)
  if (!control) record(state, method, path, request.headers)

  const candidates = routes.flatMap((route) => {
    const params = matchPath(route.path, path)
    return params === undefined ? [] : [{ route, params }]
  })
  const match = candidates.find(({ route }) => route.method === method)
  const mode = control ? undefined : state.failures.take([path, (match ?? candidates[0])?.route.path ?? path])

  const closed = new AbortController()
  response.once('close', () => closed.abort())

  const xml = !acceptsJson(request.headers)
  const normal = async (): Promise<FakeResponse> => {
    if (match === undefined) {
      if (candidates.length === 0) return represent(plexError(404), xml)
      const answer = represent(plexError(405), xml)
      return {
        ...answer,
        headers: { ...answer.headers, allow: candidates.map(({ route }) => route.method).join(', ') },
      }
    }
    const body = await readBody(request, MAX_BODY_BYTES)
    if (body === undefined) {
      // The rest of the body is discarded as it arrives (node drains it once the answer is sent).
      return control
        ? json(413, { error: 'Request body too large' })
        : represent(plexError(413, 413, 'Request body too large'), xml)
    }
    const { params, route } = match
    const answer = await route.handle({
      method,
      path,
      params,
      query: url.searchParams,
      headers: request.headers,
      body,
      state,
    })
    return represent(answer, xml && route.jsonOnly !== true)
  }

  let answer: FakeResponse | 'down' | 'hang'
  try {
    answer = mode === undefined ? await normal() : await applyFailure(mode, normal, closed.signal)
  } catch (error) {
    if (closed.signal.aborted) return
    answer = represent(plexError(500, 500, String(error)), xml)
  }
  if (answer === 'down') request.socket.destroy()
  else if (answer !== 'hang') await write(response, answer)
}

/**
 * The request body, or `undefined` when it is longer than `limit` bytes (by its `Content-Length` or as it
 * arrives): nothing beyond it is kept, so a huge or endless body is never held. Rejects when the client goes away.
 */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(request.headers['content-length']) > limit) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const settle = (outcome: () => void) => {
      request.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose)
      outcome()
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) settle(() => resolve(undefined))
      else chunks.push(chunk)
    }
    const onEnd = () => settle(() => resolve(Buffer.concat(chunks)))
    const onClose = () => settle(() => reject(new Error('request closed before its body ended')))
    request.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose)
  })
}

/** Whether a request asked for JSON: plex.tv answers XML to anything else, a wildcard `Accept` included. */
export function acceptsJson(headers: IncomingHttpHeaders): boolean {
  return /application\/json/i.test([headers.accept ?? ''].flat().join(','))
}

/** The representation to send: the XML alternative when there is one and the client did not ask for JSON. */
function represent(answer: FakeResponse, xml: boolean): FakeResponse {
  const { xml: element, ...rest } = answer
  if (!xml || element === undefined) return rest
  return {
    ...rest,
    headers: { ...rest.headers, 'content-type': 'application/xml; charset=utf-8' },
    body: renderXml(element),
  }
}

function record(state: FakePlexState, method: string, path: string, headers: IncomingHttpHeaders): void {
  state.counters.set(path, (state.counters.get(path) ?? 0) + 1)
  const logged = { ...headers }
  for (const name of CREDENTIAL_HEADERS) delete logged[name]
  state.log.push({ method, path, headers: logged })
}

/** The `:name` values of `path` when it matches `pattern`, else `undefined`. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const expected = pattern.split('/')
  const actual = path.split('/')
  if (expected.length !== actual.length) return undefined
  const params: Record<string, string> = {}
  for (const [index, segment] of expected.entries()) {
    const value = actual[index]! // as many segments as the pattern
    if (!segment.startsWith(':')) {
      if (segment !== value) return undefined
      continue
    }
    try {
      params[segment.slice(1)] = decodeURIComponent(value)
    } catch {
      return undefined
    }
  }
  return params
}

async function write(response: ServerResponse, answer: FakeResponse): Promise<void> {
  response.statusCode = answer.status
  for (const [name, value] of Object.entries(answer.headers ?? {})) response.setHeader(name, value)
  const { body } = answer
  if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) {
    response.end(body)
    return
  }
  response.flushHeaders()
  await pipeline(Readable.from(body), response)
}
