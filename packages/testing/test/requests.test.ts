import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createFakePlex, type FakePlex, generateEd25519Key, PLEX_PATHS } from '../src/index.js'
import { CLIENT_ID, plexHeaders } from './helpers.js'

// What the fake answers requests its other tests do not make: refusals route by route, the control
// surface's optional fields, and failure modes on answers other than the key set.
let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(async () => {
  await plex.close()
})

interface Answer {
  status: number
  body: unknown
  text: string
}

async function call(
  method: string,
  path: string,
  { headers = plexHeaders(), body }: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<Answer> {
  const response = await fetch(`${plex.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  })
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: response.status, body: parsed, text }
}

const jsonBody = (value: unknown) => JSON.stringify(value)
const withJson = (headers: Record<string, string>) => ({ ...headers, 'content-type': 'application/json' })
const control = (method: string, path: string, body?: unknown) =>
  call(method, `/__fake${path}`, {
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: jsonBody(body) }),
  })
const plexErrorOf = (code: number, message: string, status = code) => ({
  errors: [{ code, message, status }],
})

async function createPin(headers = plexHeaders(), body: Record<string, unknown> = {}) {
  const { status, body: pin } = await call('POST', PLEX_PATHS.pins, {
    headers: withJson(headers),
    body: jsonBody(body),
  })
  expect(status).toBe(201)
  return pin as { id: number; code: string }
}

describe('refusals of the plex.tv API', () => {
  test('home users and resources: 400 code 1000 without a client identifier, 401 code 1001 without a token', async () => {
    for (const path of [PLEX_PATHS.homeUsers, PLEX_PATHS.resources]) {
      const { 'x-plex-client-identifier': _, ...anonymous } = plexHeaders(plex.createLegacyToken())
      expect(await call('GET', path, { headers: anonymous }), path).toMatchObject({
        status: 400,
        body: plexErrorOf(1000, 'X-Plex-Client-Identifier is missing', 400),
      })
      expect(await call('GET', path), path).toMatchObject({
        status: 401,
        body: plexErrorOf(1001, 'User could not be authenticated', 401),
      })
    }
  })

  test('the v1 account document without a token: 401 in XML unless JSON is asked for', async () => {
    const xml = await call('GET', PLEX_PATHS.legacyAccount, { headers: { ...plexHeaders(), accept: '*/*' } })
    expect(xml.status).toBe(401)
    expect(xml.text).toContain('<errors>')
    expect(xml.text).toContain('<error>Invalid authentication token.</error>')
    expect(await call('GET', PLEX_PATHS.legacyAccount)).toMatchObject({
      status: 401,
      body: { error: 'Invalid authentication token.' },
    })
  })

  test('PIN polls and token exchanges need a client identifier (400 code 1000); an exchange needs a jwt (400)', async () => {
    const pin = await createPin()
    const { 'x-plex-client-identifier': _, ...anonymous } = plexHeaders()
    expect((await call('GET', `${PLEX_PATHS.pins}/${pin.id}`, { headers: anonymous })).status).toBe(400)
    expect((await call('POST', PLEX_PATHS.token, { headers: withJson(anonymous), body: '{}' })).status).toBe(
      400,
    )
    for (const body of ['{}', '{"jwt":7}', 'not json']) {
      expect(
        await call('POST', PLEX_PATHS.token, { headers: withJson(plexHeaders()), body }),
        body,
      ).toMatchObject({
        status: 400,
        body: plexErrorOf(400, 'Missing jwt'),
      })
    }
  })

  test('a PIN request whose body is not an object: 400; whose key is neither Ed25519 nor RSA: 422', async () => {
    for (const body of ['[]', '"strong"', '{"strong":']) {
      expect(
        await call('POST', PLEX_PATHS.pins, { headers: withJson(plexHeaders()), body }),
        body,
      ).toMatchObject({
        status: 400,
        body: plexErrorOf(400, 'Invalid request body'),
      })
    }
    const ec = { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'ec-key' }
    const answer = await call('POST', PLEX_PATHS.pins, {
      headers: withJson(plexHeaders()),
      body: jsonBody({ jwk: ec }),
    })
    expect(answer).toMatchObject({ status: 422, body: plexErrorOf(422, 'Invalid JWK') })
  })

  test('a server token of a server the fake does not know: 404', async () => {
    const answer = await call('POST', '/pms/unknown-machine/security/token?type=delegation&scope=all', {
      headers: plexHeaders(plex.createLegacyToken()),
    })
    expect(answer).toMatchObject({ status: 404, body: plexErrorOf(404, 'Not Found') })
  })

  test('PUT /api/v2/pins/link takes the code from the query string too; without a code: 404 code 1020', async () => {
    const pin = await createPin()
    const token = plex.createLegacyToken()
    expect(
      (await call('PUT', `${PLEX_PATHS.pinLink}?code=${pin.code}`, { headers: plexHeaders(token) })).status,
    ).toBe(204)
    expect((await control('GET', `/pins/${pin.id}`)).body).toMatchObject({ approved: true })
    expect(await call('PUT', PLEX_PATHS.pinLink, { headers: plexHeaders(token) })).toMatchObject({
      status: 404,
      body: plexErrorOf(1020, 'Code not found or expired', 404),
    })
  })

  test('a device key registered with a Plex JWT (not a legacy token): 201', async () => {
    const token = plex.issueToken({ clientIdentifier: CLIENT_ID })
    const answer = await call('POST', PLEX_PATHS.jwk, {
      headers: withJson(plexHeaders(token)),
      body: jsonBody({ jwk: generateEd25519Key().publicJwk }),
    })
    expect(answer.status).toBe(201)
  })
})

describe('PINs whose key another device took meanwhile', () => {
  test('approving it throws (the control surface: 409); denying an unknown PIN throws', async () => {
    const key = generateEd25519Key()
    const pin = await createPin(plexHeaders(), { jwk: key.publicJwk, strong: true })
    // Another client registers the same key before the user approves.
    const registered = await call('POST', PLEX_PATHS.jwk, {
      headers: withJson(plexHeaders(plex.createLegacyToken(), 'another-client')),
      body: jsonBody({ jwk: key.publicJwk }),
    })
    expect(registered.status).toBe(201)
    expect(() => plex.approvePin(pin.id)).toThrow('the PIN key belongs to another device')
    expect(await control('POST', '/pins/approve', { id: pin.id })).toMatchObject({ status: 409 })
    expect((await control('GET', `/pins/${pin.id}`)).body).toMatchObject({ approved: false })
    expect(() => plex.denyPin('NOPE')).toThrow('no live PIN "NOPE"')
  })
})

describe('the control surface: optional fields', () => {
  test('a PIN created without X-Plex-Product has product null; a PIN is named by code or id, else 404', async () => {
    const { 'x-plex-product': _, ...productless } = plexHeaders()
    const pin = await createPin(productless)
    expect((await control('GET', `/pins/${pin.code}`)).body).toMatchObject({ id: pin.id, product: null })
    expect(await control('POST', '/pins/approve', {})).toMatchObject({ status: 404 })
    expect(await control('POST', '/pins/deny', { code: '' })).toMatchObject({ status: 404 })
  })

  test('approve with scopes: the token carries them; scopes that are not a list of strings: 400', async () => {
    const key = generateEd25519Key()
    const pin = await createPin(plexHeaders(), { jwk: key.publicJwk })
    expect(await control('POST', '/pins/approve', { id: pin.id, scopes: 'email' })).toMatchObject({
      status: 400,
    })
    expect(await control('POST', '/pins/approve', { id: pin.id, scopes: ['email', 7] })).toMatchObject({
      status: 400,
    })
    expect(await control('POST', '/pins/approve', { id: pin.id, scopes: ['username'] })).toMatchObject({
      status: 204,
    })
  })

  test('home users: adminId, managed and user fields; a title is optional', async () => {
    const admin = (await control('POST', '/accounts', { username: 'admin2' })).body as { id: number }
    const partner = await control('POST', '/home-users', {
      adminId: admin.id,
      managed: false,
      user: { username: 'partner', email: 'partner@example.com' },
    })
    expect(partner).toMatchObject({
      status: 201,
      body: { username: 'partner', email: 'partner@example.com' },
    })
    const managed = await control('POST', '/home-users', {})
    expect(managed.status).toBe(201)
    expect(managed.body).not.toHaveProperty('username')
    const home = await call('GET', PLEX_PATHS.homeUsers, {
      headers: plexHeaders(plex.createLegacyToken({ accountId: admin.id })),
    })
    expect(home.text).toContain('partner')
  })

  test('rotating without a position publishes the new key where the fake was told to; a body needs no Content-Type', async () => {
    const rotated = await control('POST', '/keys/rotate', {})
    expect(rotated.status).toBe(200)
    expect((rotated.body as { keys: { kid: string }[] }).keys[0]?.kid).toBe(plex.signingKey.kid)
    // A body sent as bytes carries no Content-Type: read as JSON.
    const added = await call('POST', '/__fake/accounts', {
      headers: {},
      body: new TextEncoder().encode(jsonBody({ username: 'untyped' })),
    })
    expect(added).toMatchObject({ status: 201, body: { username: 'untyped' } })
  })
})

describe('failure modes on other answers', () => {
  test('{ status } of a status without a name: the plex.tv error says "Error"', async () => {
    plex.fail(PLEX_PATHS.user, { status: 599 })
    const answer = await call('GET', PLEX_PATHS.user, { headers: plexHeaders(plex.createLegacyToken()) })
    expect(answer).toEqual({ status: 599, body: plexErrorOf(599, 'Error'), text: expect.any(String) })
  })

  test('{ tooManyKeys } on an answer without keys: only the added keys', async () => {
    plex.fail(PLEX_PATHS.user, { tooManyKeys: 3 })
    const answer = await call('GET', PLEX_PATHS.user, { headers: plexHeaders(plex.createLegacyToken()) })
    expect((answer.body as { keys: unknown[] }).keys).toHaveLength(3)
  })

  test('{ hugeBytes } on a list and on an answer without a body: a JSON object of that size', async () => {
    const token = plex.createLegacyToken()
    plex.fail(PLEX_PATHS.resources, { hugeBytes: 10_000 })
    const list = await call('GET', PLEX_PATHS.resources, { headers: plexHeaders(token) })
    expect(list.text).toHaveLength(10_000)
    expect(Object.keys(list.body as object)).toEqual(['padding'])
    // The 201 of a device key registration has no body (and Content-Length: 0 without the failure).
    plex.fail(PLEX_PATHS.jwk, { hugeBytes: 5_000 })
    const empty = await call('POST', PLEX_PATHS.jwk, {
      headers: withJson(plexHeaders(token)),
      body: jsonBody({ jwk: generateEd25519Key().publicJwk }),
    })
    expect(empty.status).toBe(201)
    expect(empty.text).toHaveLength(5_000)
    expect(Object.keys(empty.body as object)).toEqual(['padding'])
  })

  test('createFakePlex({ nonceRateLimit: false }): nonces without a limit', async () => {
    const unlimited = await createFakePlex({ nonceRateLimit: false })
    try {
      expect(unlimited.nonceRateLimit).toBeUndefined()
      const statuses = new Set<number>()
      for (let i = 0; i < 40; i++) {
        statuses.add((await fetch(`${unlimited.url}${PLEX_PATHS.nonce}`, { headers: plexHeaders() })).status)
      }
      expect([...statuses]).toEqual([200])
    } finally {
      await unlimited.close()
    }
  })
})
