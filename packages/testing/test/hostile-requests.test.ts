import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createFakePlex, type FakePlex, PLEX_PATHS } from '../src/index.js'
import { callControl, plexHeaders } from './helpers.js'

let plex: FakePlex
beforeAll(async () => {
  plex = await createFakePlex()
})
afterAll(() => plex.close())

const control = (method: string, path: string, body?: unknown) => callControl(plex, method, path, body)

const BAD_BODY = { status: 400, body: { error: 'Invalid request body' } }
const DEEP = `{"nickname":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`

// A failure mode the fake cannot play is refused when it is set, not when a request meets it: accepted, it
// dropped or 500ed every later request of the path.
describe('POST /__fake/fail refuses a mode it cannot play', () => {
  test.each([
    [{ status: 'abc' }],
    [{ status: 99 }],
    [{ status: 200, headers: { 'bad header': 'x' } }],
    [{ status: 200, headers: { 'x-ok': 'a\nb' } }],
    [{ redirect: 5 }],
    [{ redirect: 'https://a\r\nset-cookie: x' }],
    [{ delayMs: 'abc' }],
    [{ delayMs: -1 }],
    [{ dripMs: -5 }],
    [{ dripMs: 5, bytes: 0 }],
    [{ hugeBytes: 1.5 }],
    [{ tooManyKeys: 'x' }],
    [{}],
    [{ bogus: 1 }],
    [{ status: 503, bogus: 1 }],
  ])('%j → 400, and the path still answers', async (mode) => {
    const before = await control('GET', '')
    expect(await control('POST', '/fail', { path: PLEX_PATHS.ping, mode })).toEqual(BAD_BODY)
    const ping = await fetch(`${plex.url}${PLEX_PATHS.ping}`, { headers: plexHeaders() })
    expect(ping.status).toBe(401)
    expect(await ping.json()).toEqual({
      errors: [{ code: 1001, message: 'User could not be authenticated', status: 401 }],
    })
    expect(await control('GET', '')).toEqual(before)
  })

  test.each([0, -3])('times %i → 400', async (times) => {
    expect(await control('POST', '/fail', { path: PLEX_PATHS.ping, mode: 'down', times })).toEqual(BAD_BODY)
    expect((await fetch(`${plex.url}${PLEX_PATHS.ping}`, { headers: plexHeaders() })).status).toBe(401)
  })
})

// Accounts are served by every route and the control surface: a field of the wrong type (or one PlexTokenUser
// does not have) stored in one broke them all, e.g. a deeply nested value made GET /__fake answer 409 forever.
describe('POST /__fake/accounts and /home-users take PlexTokenUser fields only', () => {
  test.each([
    ['/accounts', { username: 5 }],
    ['/accounts', { email: null }],
    ['/accounts', { restricted: 'yes' }],
    ['/accounts', { joinedAt: '2020' }],
    ['/accounts', { id: -5 }],
    ['/accounts', { id: 0 }],
    ['/accounts', DEEP],
    ['/accounts', '{"__proto__":{"polluted":1}}'],
    ['/home-users', { user: { id: 'x' } }],
    ['/home-users', { user: { uuid: 7 } }],
  ])('%s, case %#: 400, nothing stored', async (path, body) => {
    const before = await control('GET', '')
    expect(await control('POST', path, body)).toEqual(BAD_BODY)
    expect(await control('GET', '')).toEqual(before)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

// Bodies are read up to 1 MiB: a bigger one is answered 413 in the route's error shape and never kept.
describe('a request body over 1 MiB is refused with 413', () => {
  const big = JSON.stringify({ username: 'a'.repeat(12 * 1024 * 1024) })

  test('on the control surface', async () => {
    const before = await control('GET', '')
    const response = await fetch(`${plex.controlUrl}/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    })
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({ error: 'Request body too large' })
    expect(await control('GET', '')).toEqual(before)
  })

  test('on a plex.tv route', async () => {
    const response = await fetch(`${plex.url}${PLEX_PATHS.pins}`, {
      method: 'POST',
      headers: { ...plexHeaders(), 'content-type': 'application/json' },
      body: big,
    })
    expect(response.status).toBe(413)
    expect(await response.json()).toEqual({
      errors: [{ code: 413, message: 'Request body too large', status: 413 }],
    })
  })

  test('a body of exactly 1 MiB is still read', async () => {
    const padding = 'a'.repeat(1024 * 1024 - JSON.stringify({ username: '' }).length)
    const response = await fetch(`${plex.controlUrl}/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: padding }),
    })
    expect(response.status).toBe(201)
  })
})

// A token option of the wrong type was signed into the token as it came (`exp` became `"1764…abc"`), or
// failed as a 409 conflict: it is a bad body.
describe('POST /__fake/tokens takes IssueTokenOptions of their types only', () => {
  test.each([
    [{ expiresIn: 'abc' }],
    [{ issuedAt: '2020' }],
    [{ clientIdentifier: 7 }],
    [{ header: 5 }],
    [{ claims: 'x' }],
    [{ user: [1, 2] }],
    [{ kid: 12 }],
    [{ signWith: { privateKey: 1 } }],
    [{ expiry: 60 }],
  ])('%j → 400', async (body) => {
    expect(await control('POST', '/tokens', body)).toEqual(BAD_BODY)
  })

  test('the options of the README still sign a token', async () => {
    const answer = await control('POST', '/tokens', {
      scopes: ['username'],
      user: { username: 'x' },
      clientIdentifier: 'app',
      expiresIn: 60,
      issuedAt: 1_700_000_000,
      claims: { nonce: 'n' },
      header: { typ: 'JWT' },
      kid: plex.signingKey.kid,
    })
    expect(answer.status).toBe(201)
  })
})

// The other side of the refusals: every mode of the type, at the edges of its bounds, is taken (a delay
// alone, a status up to 999, zero counts, each string mode).
describe('POST /__fake/fail takes every mode it can play', () => {
  test.each([
    ['down'],
    ['hang'],
    ['garbage'],
    [{ delayMs: 1.5 }],
    [{ status: 999 }],
    [{ status: 100 }],
    [{ hugeBytes: 0 }],
    [{ gzipBomb: 0 }],
    [{ tooManyKeys: 0 }],
    [{ dripMs: 0, bytes: 1 }],
    [{ status: 302, redirect: 'https://example.com/', headers: { 'x-ok': 'yes' }, delayMs: 0 }],
  ])('%j → 204', async (mode) => {
    expect(await control('POST', '/fail', { path: PLEX_PATHS.ping, mode, times: 1 })).toEqual({
      status: 204,
      body: undefined,
    })
    expect((await control('POST', '/recover', { path: PLEX_PATHS.ping })).status).toBe(204)
  })
})
