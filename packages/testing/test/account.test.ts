import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createFakePlex, type FakePlex, generateEd25519Key, PLEX_PATHS } from '../src/index.js'
import { CLIENT_ID, plexHeaders } from './helpers.js'

let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(async () => {
  vi.useRealTimers()
  await plex.close()
})

async function get(path: string, token?: string, headers: Record<string, string> = plexHeaders(token)) {
  const response = await fetch(`${plex.url}${path}`, { headers })
  return { status: response.status, body: (await response.json()) as unknown }
}

const jwtFor = (user: { id: number }) => plex.issueToken({ clientIdentifier: CLIENT_ID, user })

describe('GET /api/v2/user', () => {
  test('a Plex JWT signed by the fake: 200 with the flat account JSON', async () => {
    const { status, body } = await get(PLEX_PATHS.user, jwtFor({ id: plex.account.id }))
    expect(status).toBe(200)
    expect(body).toMatchObject({
      id: plex.account.id,
      uuid: plex.account.uuid,
      username: plex.account.username,
      title: plex.account.username,
      email: plex.account.email,
      friendlyName: plex.account.friendly_name,
      restricted: false,
      subscription: { active: false },
    })
  })

  test('a legacy token: 200; an account added with addAccount', async () => {
    const friend = plex.addAccount({ username: 'friend' })
    expect(friend.id).not.toBe(plex.account.id)
    const { body } = await get(PLEX_PATHS.user, plex.createLegacyToken({ accountId: friend.id }))
    expect(body).toMatchObject({ id: friend.id, username: 'friend', uuid: friend.uuid })
  })

  test('a Plex JWT of a known account answers the stored account, with the fields its scopes left out', async () => {
    const { status, body } = await get(
      PLEX_PATHS.user,
      plex.issueToken({ clientIdentifier: CLIENT_ID, scopes: [] }),
    )
    expect(status).toBe(200)
    expect(body).toMatchObject({
      id: plex.account.id,
      username: plex.account.username,
      email: plex.account.email,
      friendlyName: plex.account.friendly_name,
    })
  })

  test('restricted comes from the account; the legacy account dates joined_at as ISO 8601', async () => {
    const child = plex.addAccount({ username: 'child', restricted: true })
    const token = plex.createLegacyToken({ accountId: child.id })
    expect((await get(PLEX_PATHS.user, token)).body).toMatchObject({ id: child.id, restricted: true })
    expect((await get(PLEX_PATHS.legacyAccountJson, token)).body).toMatchObject({
      user: { id: child.id, restricted: true, joined_at: '2017-07-14T02:40:00Z' },
    })
  })

  test('the subscription of the JSON account lists its features; a legacy token needs a known account', async () => {
    const { body } = await get(PLEX_PATHS.user, plex.createLegacyToken())
    expect((body as { subscription: unknown }).subscription).toEqual({
      active: false,
      subscribedAt: null,
      status: 'Inactive',
      paymentService: null,
      plan: null,
      features: [],
    })
    expect(() => plex.createLegacyToken({ accountId: 999_999 })).toThrow('no account with id 999999')
  })

  test('an expired JWT: 498', async () => {
    const expired = plex.issueToken({ issuedAt: Math.floor(Date.now() / 1000) - 700_000 })
    expect((await get(PLEX_PATHS.user, expired)).status).toBe(498)
  })

  test('a bad token (forged, unknown, none): 401 code 1001', async () => {
    const forged = plex.issueToken({ signWith: generateEd25519Key() })
    for (const token of [forged, 'abcdefghijklmnopqrst', undefined]) {
      expect(await get(PLEX_PATHS.user, token)).toEqual({
        status: 401,
        body: { errors: [{ code: 1001, message: 'User could not be authenticated', status: 401 }] },
      })
    }
  })

  test('a token signed by an unpublished key: 401', async () => {
    const token = jwtFor({ id: plex.account.id })
    plex.rotateKeys({ keep: false })
    expect((await get(PLEX_PATHS.user, token)).status).toBe(401)
  })

  test('no client identifier: 400 code 1000', async () => {
    const { status, body } = await get(PLEX_PATHS.user, undefined, {
      accept: 'application/json',
      'x-plex-token': 'x',
    })
    expect(status).toBe(400)
    expect(body).toEqual({
      errors: [{ code: 1000, message: 'X-Plex-Client-Identifier is missing', status: 400 }],
    })
  })
})

describe('GET /api/v2/ping', () => {
  test('200 for a good token, 401 for a bad one', async () => {
    expect(await get(PLEX_PATHS.ping, plex.createLegacyToken())).toEqual({
      status: 200,
      body: { pong: true },
    })
    expect((await get(PLEX_PATHS.ping, 'nope')).status).toBe(401)
  })
})

describe('GET /api/v2/resources and a fake server', () => {
  test('the owner and a friend see the server with their own access tokens; a stranger sees nothing', async () => {
    const friend = plex.addAccount({ username: 'friend' })
    const stranger = plex.addAccount()
    const server = plex.addServer({ name: 'Basement', sharedWith: [friend.id] })
    expect(server.url).toBe(`${plex.url}/pms/${server.machineIdentifier}`)

    const owned = (await get(PLEX_PATHS.resources, jwtFor(plex.account))).body as Record<string, unknown>[]
    expect(owned).toHaveLength(1)
    expect(owned[0]).toMatchObject({
      name: 'Basement',
      clientIdentifier: server.machineIdentifier,
      provides: 'server',
      owned: true,
      accessToken: server.accessToken(),
      connections: [{ uri: server.url, protocol: 'http', address: '127.0.0.1', local: true }],
    })
    const shared = (await get(PLEX_PATHS.resources, jwtFor(friend))).body as Record<string, unknown>[]
    expect(shared).toMatchObject([
      { owned: false, accessToken: server.accessToken(friend.id), sourceTitle: 'plexuser' },
    ])
    expect(server.accessToken(friend.id)).not.toBe(server.accessToken())
    expect((await get(PLEX_PATHS.resources, jwtFor(stranger))).body).toEqual([])
    expect(server.accessToken(stranger.id)).toBeUndefined()
  })

  test('POST /security/token: a transient token for an access token or an account with access; 401 otherwise', async () => {
    const friend = plex.addAccount()
    const stranger = plex.addAccount()
    const server = plex.addServer({ sharedWith: [friend.id] })
    const transient = async (token: string, path = '/security/token?type=delegation&scope=all') => {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { accept: 'application/json', 'x-plex-token': token },
      })
      return {
        status: response.status,
        body: (await response.json()) as { MediaContainer?: { token: string } },
      }
    }
    const answer = await transient(server.accessToken()!)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({
      MediaContainer: { size: 0, token: expect.stringMatching(/^transient-[0-9a-f-]{36}$/) },
    })
    expect(server.transientTokens).toEqual([answer.body.MediaContainer!.token])
    expect((await transient(jwtFor(friend))).status).toBe(200)
    expect((await transient(plex.createLegacyToken({ accountId: friend.id }))).status).toBe(200)
    expect((await transient(jwtFor(stranger))).status).toBe(401)
    expect((await transient('nope')).status).toBe(401)
    expect((await transient(server.accessToken()!, '/security/token')).status).toBe(400)
    expect(plex.requests(PLEX_PATHS.serverToken)).toBe(6)
  })
})
