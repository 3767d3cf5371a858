import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createFakePlex, type FakePlex } from '../src/index.js'
import { callControl } from './helpers.js'

let plex: FakePlex
beforeAll(async () => {
  plex = await createFakePlex()
})
afterAll(() => plex.close())

const control = (method: string, path: string, body?: unknown) => callControl(plex, method, path, body)

const UNKNOWN = 987_654_321

// Every refusal of the control surface, with its fixed message: a test in another language gets a clear
// answer for a mistake, and the fake's state is unchanged by it.
describe('the control surface refuses what it cannot do, in fixed words', () => {
  test.each([
    ['POST', '/accounts', { id: 'seven' }, 400],
    ['POST', '/home-users', { adminId: 'one' }, 400],
    ['POST', '/home-users', { title: 5 }, 400],
    ['POST', '/home-users', { managed: 'yes' }, 400],
    ['POST', '/home-users', { user: 'someone' }, 400],
    ['POST', '/home-users', { adminId: UNKNOWN }, 404],
    ['POST', '/legacy-tokens', { accountId: 'me' }, 400],
    ['POST', '/legacy-tokens', { accountId: UNKNOWN }, 404],
    ['POST', '/tokens', { accountId: 1.5 }, 400],
    ['POST', '/tokens', { scopes: 'email' }, 400],
    ['POST', '/tokens', { accountId: UNKNOWN }, 404],
    ['POST', '/servers', { name: 7 }, 400],
    ['POST', '/servers', { sharedWith: ['friend'] }, 400],
    ['POST', '/servers', { ownerId: 'owner' }, 400],
    ['POST', '/servers', { sharedWith: [UNKNOWN] }, 404],
    ['POST', '/servers/nowhere/share', { accountId: 1 }, 404],
    ['POST', '/pins/approve', { code: 'NOPE' }, 404],
    ['POST', '/pins/approve', { id: UNKNOWN }, 404],
    ['POST', '/pins/link', { id: 1 }, 400],
    ['POST', '/pins/deny', { code: 'NOPE' }, 404],
    ['GET', '/pins/NOPE', undefined, 404],
    ['GET', `/pins/${UNKNOWN}`, undefined, 404],
    ['POST', '/keys/rotate', { keep: 'yes' }, 400],
    ['POST', '/keys/rotate', { position: 'middle' }, 400],
    ['POST', '/fail', { path: 7, mode: 'down' }, 400],
    ['POST', '/fail', { path: '/x', mode: 'sideways' }, 400],
    ['POST', '/fail', { path: '/x', mode: 'down', times: 'twice' }, 400],
    ['POST', '/recover', { path: 7 }, 400],
  ])('%s %s %j → %i', async (method, path, body, status) => {
    const before = await control('GET', '')
    const answer = await control(method, path, body)
    expect(answer.status).toBe(status)
    expect(answer.body).toEqual({
      error:
        status === 400
          ? 'Invalid request body'
          : path.startsWith('/servers/')
            ? 'Server not found'
            : path.includes('pins')
              ? 'PIN not found or expired'
              : 'Account not found',
    })
    expect(await control('GET', '')).toEqual(before)
  })

  test('a server that already exists is a conflict', async () => {
    const created = await control('POST', '/servers', { name: 'Twice' })
    expect(created.status).toBe(201)
    const { machineIdentifier } = created.body as { machineIdentifier: string }
    expect(await control('POST', '/servers', { machineIdentifier })).toEqual({
      status: 409,
      body: { error: 'Conflict with the fake’s state' },
    })
  })

  test('share and unshare need a known account id', async () => {
    const { machineIdentifier } = (await control('POST', '/servers', { name: 'Shared' })).body as {
      machineIdentifier: string
    }
    expect((await control('POST', `/servers/${machineIdentifier}/share`, { accountId: 'x' })).status).toBe(
      400,
    )
    expect(
      (await control('POST', `/servers/${machineIdentifier}/unshare`, { accountId: UNKNOWN })).status,
    ).toBe(404)
  })

  test('GET /servers, /accounts and /keys list the state; rotate with keep and position answers the new keys', async () => {
    const servers = await control('GET', '/servers')
    expect(servers.status).toBe(200)
    expect(Array.isArray(servers.body)).toBe(true)
    expect(await control('GET', '/accounts')).toEqual({ status: 200, body: [plex.account] })
    const rotated = await control('POST', '/keys/rotate', { keep: true, position: 'last' })
    expect(rotated.status).toBe(200)
    expect(rotated.body).toEqual(await control('GET', '/keys').then((answer) => answer.body))
    expect((rotated.body as { keys: unknown[] }).keys).toHaveLength(2)
  })
})
