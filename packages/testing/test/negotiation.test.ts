import { sign as cryptoSign } from 'node:crypto'
import { XMLParser } from 'fast-xml-parser'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { fixedKeyPair } from '../../../test/keys/fixed-keys.js'
import { createFakePlex, type FakePlex, PIN_LIFETIME, PLEX_PATHS, STRONG_PIN_LIFETIME } from '../src/index.js'
import { CLIENT_ID, plexHeaders } from './helpers.js'

// An independent reader: the fake's XML must parse as plex.tv's does, not just as the fake's own writer thinks.
const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
})
type Tree = Record<string, unknown>

let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(async () => {
  vi.useRealTimers()
  await plex.close()
})

/** Headers python-plexapi sends: no Accept (requests adds a wildcard), X-Plex-* as headers. */
function pythonHeaders(token?: string): Record<string, string> {
  const { accept: _, ...headers } = plexHeaders(token)
  return { ...headers, accept: '*/*' }
}

async function xml(path: string, init: RequestInit = {}) {
  const response = await fetch(`${plex.url}${path}`, init)
  const text = await response.text()
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    tree: xmlParser.parse(text) as Tree,
  }
}

/** A PIN created at the fake plex.tv: 4 characters, or strong. */
async function createPin(strong: boolean) {
  const created = await fetch(`${plex.url}${PLEX_PATHS.pins}?strong=${strong}`, {
    method: 'POST',
    headers: plexHeaders(),
  })
  return (await created.json()) as { id: number }
}

/** The status a poll of PIN `id` gets. */
async function pinStatus(id: number) {
  return (await fetch(`${plex.url}${PLEX_PATHS.pins}/${id}`, { headers: plexHeaders() })).status
}

describe('XML unless Accept names application/json', () => {
  test('GET /api/v2/user: <user> with authToken, subscription and profile children (python-plexapi)', async () => {
    const token = plex.createLegacyToken()
    const { status, type, tree } = await xml(PLEX_PATHS.user, { headers: pythonHeaders(token) })
    expect(status).toBe(200)
    expect(type).toBe('application/xml; charset=utf-8')
    const user = tree.user as Tree
    expect(user).toMatchObject({
      id: String(plex.account.id),
      uuid: plex.account.uuid,
      username: plex.account.username,
      email: plex.account.email,
      authToken: token,
      scrobbleTypes: '',
      restricted: '0',
      home: '0',
      homeAdmin: '0',
    })
    expect(user.subscription).toMatchObject({ active: '0', status: 'Inactive' })
    expect(user.profile).toMatchObject({ defaultAudioLanguage: 'en' })
    const json = await fetch(`${plex.url}${PLEX_PATHS.user}`, { headers: plexHeaders(token) })
    expect(json.headers.get('content-type')).toBe('application/json')
    expect(await json.json()).toMatchObject({ id: plex.account.id, authToken: token, home: false })
  })

  test('the JSON user carries the very token of the request, a Plex JWT as well', async () => {
    const jwt = plex.issueToken({ clientIdentifier: CLIENT_ID })
    const body = (await (
      await fetch(`${plex.url}${PLEX_PATHS.user}`, { headers: plexHeaders(jwt) })
    ).json()) as Tree
    expect(body.authToken).toBe(jwt)
  })

  test('POST /api/v2/pins and GET /api/v2/pins/:id: <pin> with a location child, authToken empty until approved', async () => {
    const created = await xml(`${PLEX_PATHS.pins}?strong=True`, { method: 'POST', headers: pythonHeaders() })
    expect(created.status).toBe(201)
    const pin = created.tree.pin as Tree
    expect(pin).toMatchObject({ clientIdentifier: CLIENT_ID, product: 'Route Test', authToken: '' })
    expect(pin.code).toMatch(/^[a-z0-9]{25}$/)
    expect(pin.location).toMatchObject({ code: 'US' })
    expect(pin.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    plex.approvePin(Number(pin.id))
    const polled = await xml(`${PLEX_PATHS.pins}/${pin.id}`, { headers: pythonHeaders() })
    expect((polled.tree.pin as Tree).authToken).toMatch(/^[A-Za-z0-9]{20}$/)
  })

  test('GET /api/v2/resources: <resources><resource …><connections><connection …/>', async () => {
    const server = plex.addServer({ name: 'Basement' })
    const { tree } = await xml(PLEX_PATHS.resources, { headers: pythonHeaders(plex.createLegacyToken()) })
    const resource = (tree.resources as Tree).resource as Tree
    expect(resource).toMatchObject({
      name: 'Basement',
      clientIdentifier: server.machineIdentifier,
      provides: 'server',
      owned: '1',
      accessToken: server.accessToken(),
    })
    expect(resource.createdAt).toMatch(/Z$/)
    expect((resource.connections as Tree).connection).toMatchObject({
      uri: server.url,
      local: '1',
      protocol: 'http',
    })
  })

  test('GET /api/users: XML by default, the same tree as JSON with Accept: application/json', async () => {
    const friend = plex.addAccount({ username: 'friend' })
    const server = plex.addServer({ sharedWith: [friend.id] })
    const token = plex.createLegacyToken()
    const { tree } = await xml(PLEX_PATHS.users, { headers: pythonHeaders(token) })
    expect((tree.MediaContainer as Tree).User).toMatchObject({
      id: String(friend.id),
      username: 'friend',
      Server: { machineIdentifier: server.machineIdentifier },
    })
    const json = (await (
      await fetch(`${plex.url}${PLEX_PATHS.users}`, { headers: plexHeaders(token) })
    ).json()) as Tree
    expect(json).toMatchObject({
      MediaContainer: {
        size: 1,
        User: [{ id: friend.id, Server: [{ machineIdentifier: server.machineIdentifier }] }],
      },
    })
  })

  test('errors: <errors><error code message status/></errors>', async () => {
    const { status, tree } = await xml(PLEX_PATHS.user, { headers: pythonHeaders('nope') })
    expect(status).toBe(401)
    expect(tree.errors).toEqual({
      error: { code: '1001', message: 'User could not be authenticated', status: '401' },
    })
  })

  test('the auth endpoints answer JSON without Accept', async () => {
    const response = await fetch(`${plex.url}${PLEX_PATHS.nonce}`, { headers: pythonHeaders() })
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual({ nonce: expect.any(String) })
    expect((await fetch(plex.jwksUrl)).headers.get('content-type')).toBe('application/json')
  })
})

describe('legacy account, PIN link, home users', () => {
  test('/users/account: XML <user> with authenticationToken; JSON with Accept; /users/account.json always JSON', async () => {
    const token = plex.createLegacyToken()
    const { tree } = await xml(`${PLEX_PATHS.legacyAccount}?X-Plex-Token=${token}`)
    expect(tree.user).toMatchObject({
      id: String(plex.account.id),
      username: plex.account.username,
      authenticationToken: token,
      authToken: token,
      'authentication-token': token,
    })
    for (const [path, accept] of [
      [PLEX_PATHS.legacyAccountJson, '*/*'],
      [PLEX_PATHS.legacyAccount, 'application/json'],
    ] as const) {
      const response = await fetch(`${plex.url}${path}`, { headers: { accept, 'x-plex-token': token } })
      expect(response.headers.get('content-type')).toBe('application/json')
      expect(await response.json()).toMatchObject({
        user: { id: plex.account.id, authToken: token, authentication_token: token, roles: { roles: [] } },
      })
    }
    const refused = await fetch(`${plex.url}${PLEX_PATHS.legacyAccountJson}`, {
      headers: { 'x-plex-token': 'nope' },
    })
    expect(refused.status).toBe(401)
    expect(await refused.json()).toEqual({ error: 'Invalid authentication token.' })
  })

  test('PUT /api/v2/pins/link with a form code links a 4-character PIN to the token’s account', async () => {
    const linker = plex.addAccount({ username: 'linker' })
    const created = (await (
      await fetch(`${plex.url}${PLEX_PATHS.pins}`, { method: 'POST', headers: plexHeaders() })
    ).json()) as { id: number; code: string; expiresIn: number }
    expect(created.code).toMatch(/^[A-Z0-9]{4}$/)
    expect(created.expiresIn).toBe(PIN_LIFETIME)
    const link = (code: string, token: string) =>
      fetch(`${plex.url}${PLEX_PATHS.pinLink}`, {
        method: 'PUT',
        headers: { ...plexHeaders(token), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ code }),
      })
    expect((await link(created.code, 'nope')).status).toBe(401)
    expect((await link('ZZZZ', plex.createLegacyToken({ accountId: linker.id }))).status).toBe(404)
    expect((await link(created.code, plex.createLegacyToken({ accountId: linker.id }))).status).toBe(204)
    const pin = (await (
      await fetch(`${plex.url}${PLEX_PATHS.pins}/${created.id}`, { headers: plexHeaders() })
    ).json()) as { authToken: string }
    const user = (await (
      await fetch(`${plex.url}${PLEX_PATHS.user}`, { headers: plexHeaders(pin.authToken) })
    ).json()) as Tree
    expect(user.username).toBe('linker')
  })

  test('GET /api/v2/home/users: the admin first, a managed user with null username and email', async () => {
    const kid = plex.addHomeUser({ title: 'Kid' })
    const partner = plex.addHomeUser({ managed: false, user: { username: 'partner' } })
    const response = await fetch(`${plex.url}${PLEX_PATHS.homeUsers}`, {
      headers: plexHeaders(plex.createLegacyToken({ accountId: partner.id })),
    })
    const home = (await response.json()) as { users: Tree[] }
    expect(home.users).toEqual([
      expect.objectContaining({ id: plex.account.id, admin: true, username: plex.account.username }),
      expect.objectContaining({
        id: kid.id,
        admin: false,
        username: null,
        email: null,
        title: 'Kid',
        restricted: true,
      }),
      expect.objectContaining({ id: partner.id, username: 'partner', restricted: false }),
    ])
    const { tree } = await xml(PLEX_PATHS.homeUsers, { headers: pythonHeaders(plex.createLegacyToken()) })
    const users = ((tree.home as Tree).users as Tree).user as Tree[]
    expect(users[1]).toMatchObject({ id: String(kid.id), username: '', email: '' })
    const user = (await (
      await fetch(`${plex.url}${PLEX_PATHS.user}`, { headers: plexHeaders(plex.createLegacyToken()) })
    ).json()) as Tree
    expect(user).toMatchObject({ home: true, homeAdmin: true, homeSize: 3 })
  })
  test('home users: only a managed user lacks a password and has a restriction profile; a member is no homeAdmin; a member added twice counts once', async () => {
    const kid = plex.addHomeUser({ title: 'Kid' })
    const partner = plex.addHomeUser({ managed: false, user: { username: 'partner' } })
    plex.addHomeUser({ managed: false, user: { id: partner.id } })
    const asJson = async (path: string, accountId: number) =>
      (await (
        await fetch(`${plex.url}${path}`, { headers: plexHeaders(plex.createLegacyToken({ accountId })) })
      ).json()) as Tree
    const home = (await asJson(PLEX_PATHS.homeUsers, partner.id)) as { users: Tree[] }
    expect(home.users.map((user) => [user.id, user.hasPassword, user.restrictionProfile])).toEqual([
      [plex.account.id, true, null],
      [kid.id, false, 'little_kid'],
      [partner.id, true, null],
    ])
    expect(await asJson(PLEX_PATHS.user, partner.id)).toMatchObject({
      home: true,
      homeAdmin: false,
      homeSize: 3,
    })
    expect(await asJson(PLEX_PATHS.user, plex.account.id)).toMatchObject({ homeAdmin: true, homeSize: 3 })
  })
})

describe('X-Plex-* values, booleans, content types, device keys, PIN lifetimes', () => {
  test('X-Plex-* as query parameters, strong=True and strong=1', async () => {
    for (const strong of ['True', '1', 'true']) {
      const query = new URLSearchParams({
        strong,
        'X-Plex-Product': 'Query App',
        'X-Plex-Client-Identifier': 'q-client',
      })
      const response = await fetch(`${plex.url}${PLEX_PATHS.pins}?${query}`, {
        method: 'POST',
        headers: { accept: 'application/json' },
      })
      expect(await response.json()).toMatchObject({
        product: 'Query App',
        clientIdentifier: 'q-client',
        expiresIn: STRONG_PIN_LIFETIME,
      })
    }
    const weak = await fetch(`${plex.url}${PLEX_PATHS.pins}?strong=false&X-Plex-Client-Identifier=q`, {
      method: 'POST',
      headers: { accept: 'application/json' },
    })
    expect(((await weak.json()) as { code: string }).code).toHaveLength(4)
    const token = plex.createLegacyToken()
    const user = await fetch(
      `${plex.url}${PLEX_PATHS.user}?X-Plex-Token=${token}&X-Plex-Client-Identifier=q`,
      {
        headers: { accept: 'application/json' },
      },
    )
    expect(user.status).toBe(200)
  })

  test('PIN lifetimes: a 4-character PIN is gone before a strong one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const [short, strong] = [await createPin(false), await createPin(true)]
    vi.setSystemTime(Date.now() + (PIN_LIFETIME + 1) * 1000)
    expect([await pinStatus(short.id), await pinStatus(strong.id)]).toEqual([404, 200])
    vi.setSystemTime(Date.now() + (STRONG_PIN_LIFETIME - PIN_LIFETIME) * 1000)
    expect(await pinStatus(strong.id)).toBe(404)
  })

  test('PIN lifetimes in plex.tv numbers: 900 s and 1800 s; a PIN is gone at its expiresAt, not a millisecond later', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 0, 2, 3, 4, 5) })
    const [short, strong] = [await createPin(false), await createPin(true)]
    expect(short).toMatchObject({
      expiresIn: 900,
      createdAt: '2026-01-02T03:04:05Z',
      expiresAt: '2026-01-02T03:19:05Z',
    })
    expect(strong).toMatchObject({ expiresIn: 1800, expiresAt: '2026-01-02T03:34:05Z' })
    vi.setSystemTime(Date.UTC(2026, 0, 2, 3, 19, 4, 999))
    expect(await pinStatus(short.id)).toBe(200)
    vi.setSystemTime(Date.UTC(2026, 0, 2, 3, 19, 5))
    expect(await pinStatus(short.id)).toBe(404)
  })

  test('X-Plex-* query names in any case; an empty X-Plex-Client-Identifier counts as missing', async () => {
    const query = new URLSearchParams({
      'x-plex-client-identifier': 'lower-client',
      'x-plex-product': 'Lower App',
    })
    const created = await fetch(`${plex.url}${PLEX_PATHS.pins}?${query}`, {
      method: 'POST',
      headers: { accept: 'application/json' },
    })
    expect(created.status).toBe(201)
    expect(await created.json()).toMatchObject({ clientIdentifier: 'lower-client', product: 'Lower App' })
    const empty = await fetch(`${plex.url}${PLEX_PATHS.pins}`, {
      method: 'POST',
      headers: { ...plexHeaders(), 'x-plex-client-identifier': '' },
    })
    expect(empty.status).toBe(400)
    expect(await empty.json()).toEqual({
      errors: [{ code: 1000, message: 'X-Plex-Client-Identifier is missing', status: 400 }],
    })
  })

  test('an Accept naming JSON in another case (Application/JSON) gets JSON', async () => {
    const response = await fetch(`${plex.url}${PLEX_PATHS.pins}`, {
      method: 'POST',
      headers: { ...plexHeaders(), accept: 'Application/JSON' },
    })
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toMatchObject({ clientIdentifier: CLIENT_ID })
  })

  test('the auth/* endpoints answer JSON without Accept: application/json, their errors too', async () => {
    const response = await fetch(`${plex.url}${PLEX_PATHS.token}`, {
      method: 'POST',
      headers: { ...pythonHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ jwt: 'a.b.c' }),
    })
    expect(response.status).toBe(422)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toEqual({
      errors: [{ code: 422, message: 'Signature Verification Failed', status: 422 }],
    })
  })

  test("a new PIN carries every field of plex.tv's PIN, location included", async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 0, 2, 3, 4, 5) })
    const response = await fetch(`${plex.url}${PLEX_PATHS.pins}`, { method: 'POST', headers: plexHeaders() })
    const pin = (await response.json()) as { code: string }
    expect(pin).toEqual({
      id: expect.any(Number),
      code: expect.stringMatching(/^[A-Z2-9]{4}$/),
      product: 'Route Test',
      trusted: false,
      qr: `https://plex.tv/api/v2/pins/qr/${pin.code}`,
      clientIdentifier: CLIENT_ID,
      expiresIn: 900,
      createdAt: '2026-01-02T03:04:05Z',
      expiresAt: '2026-01-02T03:19:05Z',
      authToken: null,
      newRegistration: null,
      location: { code: 'US', european_union_member: false, continent_code: 'NA', country: 'United States' },
    })
  })

  test('strong as JSON 1 or a padded " True ": a strong PIN', async () => {
    const create = async (init: RequestInit, query = '') =>
      (await (await fetch(`${plex.url}${PLEX_PATHS.pins}${query}`, { method: 'POST', ...init })).json()) as {
        code: string
      }
    const json = { ...plexHeaders(), 'content-type': 'application/json' }
    expect((await create({ headers: json, body: JSON.stringify({ strong: 1 }) })).code).toHaveLength(25)
    expect((await create({ headers: plexHeaders() }, '?strong=%20True%20')).code).toHaveLength(25)
  })

  test('POST /api/v2/auth/jwk: 201, empty, JSON content type; an RS256 device key registers and exchanges', async () => {
    const { privateKey, publicKey } = fixedKeyPair('rsa2048')
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'rsa-device', alg: 'RS256', use: 'sig' }
    const registered = await fetch(`${plex.url}${PLEX_PATHS.jwk}`, {
      method: 'POST',
      headers: { ...plexHeaders(plex.createLegacyToken()), 'content-type': 'application/json' },
      body: JSON.stringify({ jwk }),
    })
    expect(registered.status).toBe(201)
    expect(registered.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await registered.text()).toBe('')
    const { nonce } = (await (
      await fetch(`${plex.url}${PLEX_PATHS.nonce}`, { headers: plexHeaders() })
    ).json()) as {
      nonce: string
    }
    const iat = Math.floor(Date.now() / 1000)
    const claims = { nonce, scope: 'username', aud: 'plex.tv', iss: CLIENT_ID, iat, exp: iat + 300 }
    const sign = (alg: string) => {
      const head = Buffer.from(JSON.stringify({ kid: 'rsa-device', alg, typ: 'JWT' })).toString('base64url')
      const body = Buffer.from(JSON.stringify(claims)).toString('base64url')
      return `${head}.${body}.${cryptoSign('sha256', Buffer.from(`${head}.${body}`), privateKey).toString('base64url')}`
    }
    const exchange = (jwt: string) =>
      fetch(`${plex.url}${PLEX_PATHS.token}`, {
        method: 'POST',
        headers: { ...plexHeaders(), 'content-type': 'application/json' },
        body: JSON.stringify({ jwt }),
      })
    expect((await exchange(sign('EdDSA'))).status).toBe(422)
    const answer = await exchange(sign('RS256'))
    expect(answer.status).toBe(200)
    expect(await answer.json()).toEqual({ auth_token: expect.any(String) })
  })

  test('an RS256 device key on a PIN: the poll with an RS256 device JWT reveals the Plex JWT', async () => {
    const { privateKey, publicKey } = fixedKeyPair('rsa2048Other')
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'rsa-pin', alg: 'RS256' }
    const created = await fetch(`${plex.url}${PLEX_PATHS.pins}`, {
      method: 'POST',
      headers: { ...plexHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ jwk, strong: true }),
    })
    expect(created.status).toBe(201)
    const pin = (await created.json()) as { id: number; code: string }
    plex.approvePin(pin.code)
    const iat = Math.floor(Date.now() / 1000)
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const input = `${part({ kid: 'rsa-pin', alg: 'RS256', typ: 'JWT' })}.${part({ aud: 'plex.tv', iss: CLIENT_ID, iat, exp: iat + 300 })}`
    const deviceJwt = `${input}.${cryptoSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
    const polled = await fetch(`${plex.url}${PLEX_PATHS.pins}/${pin.id}?deviceJWT=${deviceJwt}`, {
      headers: plexHeaders(),
    })
    const { authToken } = (await polled.json()) as { authToken: string }
    expect(authToken.split('.')).toHaveLength(3)
    const small = fixedKeyPair('rsa1024').publicKey.export({ format: 'jwk' })
    const refused = await fetch(`${plex.url}${PLEX_PATHS.pins}`, {
      method: 'POST',
      headers: { ...plexHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ jwk: { ...small, kid: 'too-small' }, strong: true }),
    })
    expect(refused.status).toBe(422)
  })

  test('GET /api/v2/ping in XML: <pong>true</pong>', async () => {
    const response = await fetch(`${plex.url}${PLEX_PATHS.ping}`, {
      headers: pythonHeaders(plex.createLegacyToken()),
    })
    expect(xmlParser.parse(await response.text())).toMatchObject({ pong: true })
  })
})
