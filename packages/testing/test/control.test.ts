import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createFakePlex, type FakePlex, PLEX_PATHS } from '../src/index.js'
import { plexHeaders } from './helpers.js'

let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(async () => {
  await plex.close()
})

/** A control call as curl would make it: JSON body, no Accept. */
async function control(method: string, path: string, body?: unknown) {
  const response = await fetch(`${plex.controlUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  }
}

async function createPin(strong = true) {
  const response = await fetch(`${plex.url}${PLEX_PATHS.pins}?strong=${strong}`, {
    method: 'POST',
    headers: plexHeaders(),
  })
  return (await response.json()) as { id: number; code: string }
}

async function poll(id: number) {
  const response = await fetch(`${plex.url}${PLEX_PATHS.pins}/${id}`, { headers: plexHeaders() })
  return { status: response.status, body: (await response.json()) as { authToken?: string | null } }
}

async function username(token: string): Promise<unknown> {
  const response = await fetch(`${plex.url}${PLEX_PATHS.user}`, { headers: plexHeaders(token) })
  return ((await response.json()) as { username?: unknown }).username
}

describe('the control surface under /__fake', () => {
  test('GET /__fake describes the fake; requests to it are not counted', async () => {
    const { status, type, body } = await control('GET', '')
    expect(status).toBe(200)
    expect(type).toBe('application/json')
    expect(body).toMatchObject({
      url: plex.url,
      jwksUrl: plex.jwksUrl,
      authAppUrl: plex.authAppUrl,
      controlUrl: plex.controlUrl,
      accounts: [plex.account],
      signingKid: plex.signingKey.kid,
    })
    expect(plex.requests()).toBe(0)
  })

  test('accounts: add one, then approve a PIN as that account; deny withdraws a PIN (1020)', async () => {
    const added = await control('POST', '/accounts', { username: 'alice', email: 'alice@example.com' })
    expect(added.status).toBe(201)
    const alice = added.body as { id: number }
    expect(plex.accounts.map((account) => account.username)).toContain('alice')

    const pin = await createPin()
    expect((await control('GET', `/pins/${pin.code}`)).body).toMatchObject({ id: pin.id, approved: false })
    expect((await control('POST', '/pins/approve', { code: pin.code, accountId: alice.id })).status).toBe(204)
    expect((await control('GET', `/pins/${pin.id}`)).body).toMatchObject({
      approved: true,
      accountId: alice.id,
    })
    expect(await username((await poll(pin.id)).body.authToken!)).toBe('alice')

    const refused = await createPin()
    expect((await control('POST', '/pins/deny', { id: refused.id })).status).toBe(204)
    expect(await poll(refused.id)).toMatchObject({ status: 404, body: { errors: [{ code: 1020 }] } })
  })

  test('approve checks the client identifier when given; unknown PINs and accounts are 404, bad bodies 400', async () => {
    const pin = await createPin()
    expect(
      (await control('POST', '/pins/approve', { code: pin.code, clientIdentifier: 'other' })).status,
    ).toBe(404)
    expect((await control('POST', '/pins/approve', { code: 'nope' })).status).toBe(404)
    expect(await control('POST', '/pins/approve', { code: pin.code, accountId: 999 })).toMatchObject({
      status: 404,
      body: { error: 'Account not found' },
    })
    expect((await control('POST', '/pins/approve', { code: pin.code, accountId: '1' })).status).toBe(400)
    const garbage = await fetch(`${plex.controlUrl}/pins/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    })
    expect(garbage.status).toBe(400)
    expect(
      (await control('POST', '/pins/approve', { code: pin.code, clientIdentifier: 'route-test-client' }))
        .status,
    ).toBe(204)
  })

  test('link a 4-character code as an account', async () => {
    const pin = await createPin(false)
    expect((await control('POST', '/pins/link', { code: pin.code })).status).toBe(204)
    expect(await username((await poll(pin.id)).body.authToken!)).toBe(plex.account.username)
  })

  test('servers: add, share and unshare change /api/v2/resources', async () => {
    const friend = plex.addAccount({ username: 'friend' })
    const created = await control('POST', '/servers', { name: 'Attic', machineIdentifier: 'attic' })
    expect(created).toMatchObject({
      status: 201,
      body: { machineIdentifier: 'attic', ownerId: plex.account.id },
    })
    const friendToken = plex.createLegacyToken({ accountId: friend.id })
    const resources = async () =>
      (
        (await (
          await fetch(`${plex.url}${PLEX_PATHS.resources}`, { headers: plexHeaders(friendToken) })
        ).json()) as { clientIdentifier: string }[]
      ).map((resource) => resource.clientIdentifier)
    expect(await resources()).toEqual([])
    const shared = await control('POST', '/servers/attic/share', { accountId: friend.id })
    expect(shared.body).toMatchObject({ sharedWith: [friend.id] })
    expect(await resources()).toEqual(['attic'])
    await control('POST', '/servers/attic/unshare', { accountId: friend.id })
    expect(await resources()).toEqual([])
    expect((await control('POST', '/servers/attic/unshare', { accountId: plex.account.id })).status).toBe(409)
    expect((await control('POST', '/servers/nowhere/share', { accountId: friend.id })).status).toBe(404)
    expect((await control('POST', '/servers', { machineIdentifier: 'attic' })).status).toBe(409)
  })

  test('keys and tokens: rotate (first or last), issue a Plex JWT and a legacy token', async () => {
    const before = plex.signingKey.kid
    const rotated = await control('POST', '/keys/rotate', { position: 'last' })
    const { signingKid, keys } = rotated.body as { signingKid: string; keys: { kid: string }[] }
    expect(keys.map((key) => key.kid)).toEqual([before, signingKid])
    const issued = await control('POST', '/tokens', { scopes: ['username'], clientIdentifier: 'my-app' })
    const token = (issued.body as { token: string }).token
    const { payload } = await jwtVerify(token, createLocalJWKSet(plex.keys), { issuer: 'plex.tv' })
    expect(payload).toMatchObject({ aud: ['plex.tv', 'my-app'], user: { username: plex.account.username } })
    expect(decodeJwt(token).user).not.toHaveProperty('email')
    const legacy = await control('POST', '/legacy-tokens', {})
    expect(await username((legacy.body as { token: string }).token)).toBe(plex.account.username)
    expect((await control('POST', '/keys/rotate', { position: 'middle' })).status).toBe(400)
  })

  test('make an endpoint fail, read request counts and the log, recover, reset', async () => {
    expect(
      (await control('POST', '/fail', { path: PLEX_PATHS.keys, mode: { status: 503 }, times: 1 })).status,
    ).toBe(204)
    expect((await fetch(plex.jwksUrl)).status).toBe(503)
    expect((await fetch(plex.jwksUrl)).status).toBe(200)
    await control('POST', '/fail', { path: '*', mode: { status: 500 } })
    expect((await fetch(plex.jwksUrl)).status).toBe(500)
    expect((await control('GET', '')).status).toBe(200)
    await control('POST', '/recover', {})
    expect((await control('GET', `/requests?path=${encodeURIComponent(PLEX_PATHS.keys)}`)).body).toEqual({
      count: 3,
    })
    expect((await control('GET', '/log')).body).toHaveLength(3)
    const pin = await createPin()
    await control('POST', '/fail', { path: PLEX_PATHS.keys, mode: 'down' })
    expect((await control('POST', '/reset')).status).toBe(204)
    expect((await control('GET', '/requests')).body).toEqual({ count: 0 })
    expect((await fetch(plex.jwksUrl)).status).toBe(200)
    expect((await control('GET', `/pins/${pin.id}`)).status).toBe(404)
    expect((await control('POST', '/fail', { path: PLEX_PATHS.keys, mode: 'sideways' })).status).toBe(400)
  })

  test('home users: a managed user through the control surface', async () => {
    const added = await control('POST', '/home-users', { title: 'Kid' })
    expect(added).toMatchObject({ status: 201, body: { friendly_name: 'Kid', restricted: true } })
    expect(added.body).not.toHaveProperty('username')
  })
})
