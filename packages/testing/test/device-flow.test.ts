import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createFakePlex, type FakePlex, PLEX_PATHS, STRONG_PIN_LIFETIME } from '../src/index.js'
import { CLIENT_ID, deviceJwt, newDevice, plexHeaders } from './helpers.js'

let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(async () => {
  vi.useRealTimers()
  await plex.close()
})

const url = (path: string) => `${plex.url}${path}`

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; clientIdentifier?: string | null } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers = plexHeaders(options.token, options.clientIdentifier ?? CLIENT_ID)
  if (options.clientIdentifier === null) delete headers['x-plex-client-identifier']
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(url(path), {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  return {
    status: response.status,
    body: text === '' ? undefined : JSON.parse(text),
    headers: response.headers,
  }
}

async function nonce(clientIdentifier = CLIENT_ID): Promise<string> {
  const { status, body } = await call('GET', PLEX_PATHS.nonce, { clientIdentifier })
  expect(status).toBe(200)
  return (body as { nonce: string }).nonce
}

/** Registers a new device key with a fresh legacy token; returns both. */
async function registeredDevice(clientIdentifier = CLIENT_ID) {
  const key = newDevice()
  const legacy = plex.createLegacyToken()
  const { status } = await call('POST', PLEX_PATHS.jwk, {
    token: legacy,
    body: { jwk: key.publicJwk },
    clientIdentifier,
  })
  expect(status).toBe(201)
  return { key, legacy }
}

const verifyPlexToken = (token: string) =>
  jwtVerify(token, createRemoteJWKSet(new URL(plex.jwksUrl)), { issuer: 'plex.tv', audience: CLIENT_ID })

describe('POST /api/v2/pins', () => {
  test('with a jwk body: 201, a strong PIN with a key, authToken null', async () => {
    const { status, body } = await call('POST', PLEX_PATHS.pins, {
      body: { jwk: newDevice().publicJwk, strong: true },
    })
    expect(status).toBe(201)
    expect(body).toMatchObject({
      clientIdentifier: CLIENT_ID,
      expiresIn: STRONG_PIN_LIFETIME,
      authToken: null,
      product: 'Route Test',
    })
    expect((body as { id: unknown }).id).toEqual(expect.any(Number))
    expect((body as { code: string }).code).toMatch(/^[a-z0-9]{25}$/)
  })

  test('without a client identifier: 400, code 1000', async () => {
    const { status, body } = await call('POST', PLEX_PATHS.pins, { clientIdentifier: null })
    expect(status).toBe(400)
    expect(body).toEqual({
      errors: [{ code: 1000, message: 'X-Plex-Client-Identifier is missing', status: 400 }],
    })
  })

  test('a jwk that is not a public Ed25519 key with a kid is refused', async () => {
    const { publicJwk } = newDevice()
    const refused = [
      { ...publicJwk, kid: undefined },
      { ...publicJwk, kid: '' },
      { ...publicJwk, kid: 'k'.repeat(129) },
      { ...publicJwk, x: `${publicJwk.x}=` },
      { ...publicJwk, d: publicJwk.x },
      { kty: 'RSA' },
    ]
    for (const jwk of refused) {
      expect((await call('POST', PLEX_PATHS.pins, { body: { jwk } })).status).toBe(422)
    }
  })

  test('a jwk whose kid another client registered: 422 Thumbprint Already Taken', async () => {
    const { key } = await registeredDevice('someone-else')
    const { status, body } = await call('POST', PLEX_PATHS.pins, {
      body: { jwk: key.publicJwk, strong: true },
    })
    expect(status).toBe(422)
    expect(JSON.stringify(body)).toContain('Thumbprint Already Taken')
  })
})

describe('GET /api/v2/pins/:id', () => {
  async function keyedPin() {
    const key = newDevice()
    const { body } = await call('POST', PLEX_PATHS.pins, { body: { jwk: key.publicJwk, strong: true } })
    return { key, pin: body as { id: number; code: string } }
  }
  const poll = (id: number, jwt?: string, clientIdentifier?: string) =>
    call('GET', `/api/v2/pins/${id}${jwt === undefined ? '' : `?deviceJWT=${jwt}`}`, { clientIdentifier })

  test('a PIN with a key: null until approved, then a Plex JWT for the key holder only', async () => {
    const { key, pin } = await keyedPin()
    expect((await poll(pin.id, deviceJwt(key))).body).toMatchObject({ id: pin.id, authToken: null })
    plex.approvePin(pin.code, { user: { id: 7, username: 'bob' }, scopes: ['username'] })
    expect((await poll(pin.id)).body).toMatchObject({ authToken: null })
    expect((await poll(pin.id, deviceJwt(key, {}, { signWith: newDevice() }))).status).toBe(422)

    const { body } = await poll(pin.id, deviceJwt(key, { nonce: 'poll-nonce' }))
    const token = (body as { authToken: string }).authToken
    const { payload, protectedHeader } = await verifyPlexToken(token)
    expect(protectedHeader.kid).toBe(plex.signingKey.kid)
    expect(payload).toMatchObject({ thumbprint: key.kid, aud: ['plex.tv', CLIENT_ID], nonce: 'poll-nonce' })
    expect(payload.user).toEqual({ id: 7, uuid: expect.any(String), username: 'bob' })
    expect((await poll(pin.id, deviceJwt(key))).body).toMatchObject({ authToken: token })
    expect(plex.requests(PLEX_PATHS.pin)).toBe(5)
  })

  test('approvePin by id works too; scopes default to the device JWT scope', async () => {
    const { key, pin } = await keyedPin()
    plex.approvePin(pin.id)
    const { body } = await poll(pin.id, deviceJwt(key, { scope: 'email' }))
    expect(decodeJwt((body as { authToken: string }).authToken).user).toEqual({
      id: plex.account.id,
      uuid: plex.account.uuid,
      email: plex.account.email,
    })
  })

  test('a legacy PIN: approval gives a legacy token that plex.tv accepts', async () => {
    const { body } = await call('POST', `${PLEX_PATHS.pins}?strong=true`)
    const pin = body as { id: number; code: string }
    expect(pin.code).toMatch(/^[a-z0-9]{25}$/)
    plex.approvePin(pin.code)
    const polled = (await poll(pin.id)).body as { authToken: string }
    expect(polled.authToken).toMatch(/^[A-Za-z0-9]{20}$/)
    expect((await call('GET', PLEX_PATHS.user, { token: polled.authToken })).status).toBe(200)
  })

  test("another client's PIN, an unknown PIN and an expired PIN: 404", async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { pin } = await keyedPin()
    expect((await poll(pin.id, undefined, 'another-client')).status).toBe(404)
    expect((await poll(pin.id + 1000)).status).toBe(404)
    vi.setSystemTime(Date.now() + (STRONG_PIN_LIFETIME + 1) * 1000)
    const expired = await poll(pin.id)
    expect(expired.status).toBe(404)
    expect(expired.body).toEqual({
      errors: [{ code: 1020, message: 'Code not found or expired', status: 404 }],
    })
    expect(() => plex.approvePin(pin.code)).toThrow(/no live PIN/)
  })
})

describe('GET /api/v2/auth/nonce', () => {
  test('a uuid per request; a client identifier is required', async () => {
    const [a, b] = [await nonce(), await nonce()]
    expect(a).toMatch(/^[0-9a-f-]{36}$/)
    expect(a).not.toBe(b)
    expect((await call('GET', PLEX_PATHS.nonce, { clientIdentifier: null })).status).toBe(400)
  })

  test('rate limit: 429 with Retry-After beyond the budget, per client, until the window ends', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    plex.nonceRateLimit = { requests: 2, perSeconds: 60 }
    await nonce()
    await nonce()
    const limited = await call('GET', PLEX_PATHS.nonce)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('60')
    expect(limited.body).toEqual({ errors: [{ code: 429, message: 'Too Many Requests', status: 429 }] })
    await nonce('another-client')
    vi.setSystemTime(Date.now() + 45_000)
    expect((await call('GET', PLEX_PATHS.nonce)).headers.get('retry-after')).toBe('15')
    vi.setSystemTime(Date.now() + 15_000)
    await nonce()
  })
})

describe('POST /api/v2/auth/jwk', () => {
  test('201 with an empty body for a legacy token; 401 for a bad one', async () => {
    const key = newDevice()
    const bad = await call('POST', PLEX_PATHS.jwk, { token: 'not-a-token', body: { jwk: key.publicJwk } })
    expect(bad.status).toBe(401)
    expect(bad.body).toEqual({
      errors: [{ code: 1001, message: 'User could not be authenticated', status: 401 }],
    })
    const good = await call('POST', PLEX_PATHS.jwk, {
      token: plex.createLegacyToken(),
      body: { jwk: key.publicJwk },
    })
    expect(good).toMatchObject({ status: 201, body: undefined })
  })

  test('422 Thumbprint Already Taken for a kid of another client; the same client may register again', async () => {
    const { key } = await registeredDevice()
    const token = plex.createLegacyToken()
    expect((await call('POST', PLEX_PATHS.jwk, { token, body: { jwk: key.publicJwk } })).status).toBe(201)
    const taken = await call('POST', PLEX_PATHS.jwk, {
      token,
      body: { jwk: key.publicJwk },
      clientIdentifier: 'other',
    })
    expect(taken.status).toBe(422)
    expect(taken.body).toEqual({ errors: [{ code: 422, message: 'Thumbprint Already Taken', status: 422 }] })
  })

  test('400 for a body without a public JWK', async () => {
    const token = plex.createLegacyToken()
    const { publicJwk } = newDevice()
    expect(
      (await call('POST', PLEX_PATHS.jwk, { token, body: { jwk: { ...publicJwk, d: publicJwk.x } } })).status,
    ).toBe(400)
    expect((await call('POST', PLEX_PATHS.jwk, { token, body: {} })).status).toBe(400)
  })
})

describe('POST /api/v2/auth/token', () => {
  const exchange = (jwt: string) => call('POST', PLEX_PATHS.token, { body: { jwt } })
  const signatureFailed = { errors: [{ code: 422, message: 'Signature Verification Failed', status: 422 }] }

  test('200 {"auth_token"}: thumbprint = device kid, aud [plex.tv, client]; the legacy token is retired', async () => {
    const { key, legacy } = await registeredDevice()
    expect((await call('GET', PLEX_PATHS.user, { token: legacy })).status).toBe(200)
    const n = await nonce()
    const { status, body } = await exchange(deviceJwt(key, { nonce: n, scope: 'username' }))
    expect(status).toBe(200)
    expect(Object.keys(body as object)).toEqual(['auth_token'])
    const { payload } = await verifyPlexToken((body as { auth_token: string }).auth_token)
    expect(payload).toMatchObject({
      iss: 'plex.tv',
      aud: ['plex.tv', CLIENT_ID],
      thumbprint: key.kid,
      nonce: n,
    })
    expect(payload.exp! - payload.iat!).toBe(604_800)
    expect(payload.user).toEqual({
      id: plex.account.id,
      uuid: plex.account.uuid,
      username: plex.account.username,
    })
    expect((await call('GET', PLEX_PATHS.user, { token: legacy })).status).toBe(401)
    const again = await exchange(deviceJwt(key, { nonce: await nonce() }))
    expect(again.status).toBe(200)
  })

  test('a nonce is single use: the second exchange is refused with 422', async () => {
    const { key } = await registeredDevice()
    const n = await nonce()
    expect((await exchange(deviceJwt(key, { nonce: n }))).status).toBe(200)
    expect(await exchange(deviceJwt(key, { nonce: n }))).toMatchObject({ status: 422, body: signatureFailed })
  })

  test('a stale nonce (older than 5 minutes) is refused with 422', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { key } = await registeredDevice()
    const n = await nonce()
    vi.setSystemTime(Date.now() + 301_000)
    expect(await exchange(deviceJwt(key, { nonce: n }))).toMatchObject({ status: 422, body: signatureFailed })
  })

  test('a bad signature, a missing kid, an unknown kid, a wrong issuer, an unknown nonce: 422', async () => {
    const { key } = await registeredDevice()
    const cases = [
      deviceJwt(key, { nonce: await nonce() }, { signWith: newDevice() }),
      deviceJwt(key, { nonce: await nonce() }, { header: { kid: undefined } }),
      deviceJwt(newDevice(), { nonce: await nonce() }),
      deviceJwt(key, { nonce: await nonce(), iss: 'someone-else' }),
      deviceJwt(key, { nonce: 'never-issued' }),
      deviceJwt(key, { nonce: await nonce('other-client') }),
      deviceJwt(key, { nonce: undefined }),
    ]
    for (const jwt of cases) expect(await exchange(jwt)).toMatchObject({ status: 422, body: signatureFailed })
  })

  test('a device JWT without a scope claim: the Plex JWT carries the default user fields', async () => {
    const { key } = await registeredDevice()
    const { status, body } = await exchange(deviceJwt(key, { nonce: await nonce(), scope: undefined }))
    expect(status).toBe(200)
    const { payload } = await verifyPlexToken((body as { auth_token: string }).auth_token)
    expect(payload.user).toEqual({
      id: plex.account.id,
      uuid: plex.account.uuid,
      username: plex.account.username,
      email: plex.account.email,
      friendly_name: plex.account.friendly_name,
    })
  })

  test("a client's new device key replaces its earlier one, whose kid is then free for another client", async () => {
    const { key: first } = await registeredDevice()
    const { key: second } = await registeredDevice()
    expect(await exchange(deviceJwt(first, { nonce: await nonce() }))).toMatchObject({
      status: 422,
      body: signatureFailed,
    })
    expect((await exchange(deviceJwt(second, { nonce: await nonce() }))).status).toBe(200)
    const other = await call('POST', PLEX_PATHS.jwk, {
      token: plex.createLegacyToken(),
      body: { jwk: first.publicJwk },
      clientIdentifier: 'other',
    })
    expect(other.status).toBe(201)
  })

  test('a bad signature does not use up the nonce', async () => {
    const { key } = await registeredDevice()
    const n = await nonce()
    expect((await exchange(deviceJwt(key, { nonce: n }, { signWith: newDevice() }))).status).toBe(422)
    expect((await exchange(deviceJwt(key, { nonce: n }))).status).toBe(200)
  })
})
