// The package's requests and how answers become results or coded errors, in Node against a local server
// (Node's fetch is the browser's API; the popup itself is tested in Chromium).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseRetryAfter as parseCoreRetryAfter } from '@plexauth/core/plex-tv'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { PlexSignInError } from '../src/errors.js'
import { call, parseRetryAfter, refusal } from '../src/http.js'
import { getSession, signOut } from '../src/session.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let handler: Handler
let server: Server
let base: string
const seen: { method: string; url: string; accept: string | undefined }[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', accept: req.headers.accept })
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/plex`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})
beforeEach(() => {
  seen.length = 0
})

const answer =
  (status: number, body?: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(body === undefined ? undefined : JSON.stringify(body))
  }

async function rejection(promise: Promise<unknown>): Promise<PlexSignInError> {
  const err = await promise.then(
    () => expect.unreachable('resolved'),
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(PlexSignInError)
  return err as PlexSignInError
}

describe('call', () => {
  it('reads Retry-After in seconds and as an HTTP date (a past one is 0; fractions or garbage are ignored)', async () => {
    // Only Date is fake (the clock stands still); the server and fetch run on real I/O.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-30T12:00:00Z') })
    try {
      const retryAfter = async (value: string) => {
        handler = answer(503, {}, { 'retry-after': value })
        return (await call(`${base}/pin/1`, 'GET', undefined)).retryAfter
      }
      expect(await retryAfter('3')).toBe(3000)
      expect(await retryAfter('0.5')).toBeUndefined()
      expect(await retryAfter('Mon, 30 Nov 2026 12:01:00 GMT')).toBe(60_000)
      expect(await retryAfter('Mon, 30 Nov 2026 11:59:00 GMT')).toBe(0)
      expect(await retryAfter('-1')).toBeUndefined()
      expect(await retryAfter('soon')).toBeUndefined()
      expect(await retryAfter(' ')).toBeUndefined()
    } finally {
      vi.useRealTimers()
    }
  })

  it("reads Retry-After by core's rule, input for input (the copy this package keeps, having no dependencies)", () => {
    const now = Date.parse('2026-11-30T12:00:00Z')
    const inputs = [
      null,
      '',
      ' ',
      '0',
      '3',
      ' 7 ',
      '0120',
      '9999999999',
      '12345678901',
      '-1',
      '+5',
      '0.5',
      '1e3',
      '0x10',
      'Infinity',
      '2026',
      'soon',
      '3 seconds',
      'Mon, 30 Nov 2026 12:01:00 GMT',
      'Mon, 30 Nov 2026 11:59:00 GMT',
      'mon, 30 nov 2026 12:01:00 gmt',
      'Mon, 30 Nov 2026 12:01:00 UTC',
      'Mon, 30 Nov 2026 12:01:00',
      'Mon, 30 Nov 2026 12:01:00 GMT+0100',
      'Mon, 32 Foo 2026 12:01:00 GMT',
      'Monday, 30-Nov-26 12:01:00 GMT',
      'Sunday, 06-Nov-94 08:49:37 GMT',
      'Sun Nov  6 08:49:37 1994',
      '2026-11-30T12:01:00Z',
    ]
    const ours = inputs.map((value) => parseRetryAfter(value, now))
    expect(ours).toEqual(inputs.map((value) => parseCoreRetryAfter(value, now)))
    // The table is not vacuous: it holds seconds, dates and refusals.
    expect(ours).toContain(3000)
    expect(ours).toContain(60_000)
    expect(ours).toContain(0)
    expect(ours.filter((ms) => ms === undefined).length).toBeGreaterThan(10)
  })

  it('asks for JSON, and keeps the status of an answer that is not JSON', async () => {
    handler = (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>')
    const result = await call(`${base}/pin/1`, 'GET', undefined)
    expect(result).toMatchObject({ status: 502, body: undefined })
    expect(seen.at(-1)?.accept).toBe('application/json')
  })

  it('a server that cannot be reached is NETWORK, with the failure as cause', async () => {
    const err = await rejection(call('http://127.0.0.1:1/auth/plex/session', 'GET', undefined))
    expect(err.code).toBe('NETWORK')
    expect(err.cause).toBeInstanceOf(Error)
  })

  it('an aborted request is CANCELLED, with the reason as cause', async () => {
    handler = () => undefined // never answers
    const controller = new AbortController()
    const pending = call(`${base}/pin/1`, 'GET', controller.signal)
    controller.abort('user')
    const err = await rejection(pending)
    expect(err.code).toBe('CANCELLED')
    expect(err.cause).toBe('user')
  })
})

describe('refusal', () => {
  it('maps the server answers that end a sign-in to codes', () => {
    const expired = refusal({ status: 410, body: { code: 'PIN_EXPIRED' }, retryAfter: undefined })
    expect([expired.code, expired.status, expired.reason]).toEqual(['PIN_EXPIRED', 410, undefined])
    const denied = refusal({
      status: 403,
      body: { code: 'ACCESS_DENIED', reason: 'no_server_access' },
      retryAfter: undefined,
    })
    expect([denied.code, denied.reason]).toEqual(['ACCESS_DENIED', 'no_server_access'])
    const state = refusal({ status: 403, body: { code: 'LOGIN_STATE_INVALID' }, retryAfter: undefined })
    expect([state.code, state.status, state.reason]).toEqual(['NETWORK', 403, 'LOGIN_STATE_INVALID'])
    const silent = refusal({ status: 0, body: undefined, retryAfter: undefined })
    expect([silent.code, silent.status]).toEqual(['NETWORK', undefined])
    // Only strings are kept as reason: whatever else the server sent in code or reason is dropped.
    const odd = refusal({ status: 500, body: { code: 42 }, retryAfter: undefined })
    expect([odd.code, odd.status, odd.reason]).toEqual(['NETWORK', 500, undefined])
    const oddReason = refusal({
      status: 403,
      body: { code: 'ACCESS_DENIED', reason: { html: '<b>no</b>' } },
      retryAfter: undefined,
    })
    expect([oddReason.code, oddReason.reason]).toEqual(['ACCESS_DENIED', undefined])
    // No cause given, none set (not even an undefined one).
    expect('cause' in expired).toBe(false)
  })

  it('never puts what the server sent into the message', () => {
    const err = refusal({
      status: 403,
      body: { code: 'ACCESS_DENIED', reason: '<img src=x onerror=alert(1)>', error_description: 'evil' },
      retryAfter: undefined,
    })
    expect(err.message).toBe('Plex sign-in was refused')
    expect(err.name).toBe('PlexSignInError')
  })

  it('has one fixed message per code', () => {
    const codes = ['POPUP_BLOCKED', 'PIN_EXPIRED', 'ACCESS_DENIED', 'CANCELLED', 'NETWORK'] as const
    expect(codes.map((code) => new PlexSignInError(code, { reason: 'x', status: 500 }).message)).toEqual([
      'The Plex sign-in window could not be opened',
      'The Plex sign-in code expired or was declined',
      'Plex sign-in was refused',
      'Plex sign-in was cancelled',
      'The server could not be reached',
    ])
  })
})

describe('getSession and signOut', () => {
  it('getSession: the identity on 200, null on 401, NETWORK otherwise (a 200 without an identity too)', async () => {
    handler = answer(200, { user: { id: 7, username: 'friend' } })
    expect(await getSession({ basePath: base })).toEqual({ user: { id: 7, username: 'friend' } })
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/auth/plex/session' })
    handler = answer(401, { code: 'TOKEN_MISSING' })
    expect(await getSession({ basePath: `${base}/` })).toBeNull()
    handler = answer(500, { code: 'INTERNAL_ERROR' })
    expect((await rejection(getSession({ basePath: base }))).status).toBe(500)
    // A 200 that is not plexauth's (an app's index.html for every path, JSON of something else).
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html>')
    const html = await rejection(getSession({ basePath: base }))
    expect([html.code, html.status]).toEqual(['NETWORK', 200])
    for (const body of [{ ok: true }, { user: null }, { user: 7 }, 'user', null]) {
      handler = answer(200, body)
      expect((await rejection(getSession({ basePath: base }))).code).toBe('NETWORK')
    }
  })

  it('getSession: only 401 means nobody; another refusal is NETWORK, even one that carries a user', async () => {
    // Routes not mounted, or a proxy refusing: the server can't say, which is not "signed out".
    for (const status of [403, 404]) {
      handler = answer(status, { code: 'NOT_FOUND' })
      const err = await rejection(getSession({ basePath: base }))
      expect([err.code, err.status]).toEqual(['NETWORK', status])
    }
    for (const status of [202, 403, 500]) {
      handler = answer(status, { user: { id: 7 } })
      const err = await rejection(getSession({ basePath: base }))
      expect([err.code, err.status]).toEqual(['NETWORK', status])
    }
  })

  it('a basePath with several trailing slashes loses them all', async () => {
    handler = answer(204)
    await signOut({ basePath: `${base}//` })
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/auth/plex/logout' })
  })

  it('getSession and signOut stop on the signal: CANCELLED, with its reason', async () => {
    handler = () => undefined // never answers
    for (const run of [getSession, signOut]) {
      const controller = new AbortController()
      const pending = run({ basePath: base, signal: controller.signal })
      controller.abort('user')
      const err = await rejection(pending)
      expect([err.code, err.cause]).toEqual(['CANCELLED', 'user'])
    }
  })

  it('signOut posts to logout; a refusal is an error', async () => {
    handler = answer(204)
    await signOut({ basePath: base })
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/auth/plex/logout' })
    handler = answer(403, { code: 'CSRF_REJECTED' })
    const err = await rejection(signOut({ basePath: base }))
    expect([err.code, err.reason]).toEqual(['NETWORK', 'CSRF_REJECTED'])
    // A 3xx that reaches the page (one fetch did not follow) is no confirmation either.
    handler = answer(300)
    expect((await rejection(signOut({ basePath: base }))).status).toBe(300)
  })
})
