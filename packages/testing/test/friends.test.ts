import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createFakePlex, type FakePlex, PLEX_PATHS } from '../src/index.js'
import { CLIENT_ID, plexHeaders } from './helpers.js'

let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(async () => {
  await plex.close()
})

// Core asks for XML here; a client without Accept gets XML too.
async function friendsOf(
  token: string | undefined,
  headers: Record<string, string> = { ...plexHeaders(token), accept: 'application/xml' },
) {
  const response = await fetch(`${plex.url}${PLEX_PATHS.users}`, { headers })
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() }
}

async function resourceIds(token: string): Promise<string[]> {
  const response = await fetch(`${plex.url}${PLEX_PATHS.resources}?includeHttps=1`, {
    headers: plexHeaders(token),
  })
  return ((await response.json()) as { clientIdentifier: string }[]).map((device) => device.clientIdentifier)
}

describe('GET /api/users: the friends list, in XML', () => {
  test("lists every account one of the owner's servers is shared with, with those servers", async () => {
    const alice = plex.addAccount({ username: 'alice', email: 'a&b@example.com' })
    const bob = plex.addAccount({ username: 'bob' })
    const basement = plex.addServer({ name: 'Basement', sharedWith: [alice.id, bob.id] })
    const attic = plex.addServer({ name: 'Attic <2>', sharedWith: [alice.id] })
    // A server of someone else, shared with bob: not in the owner's list.
    plex.addServer({ ownerId: alice.id, sharedWith: [bob.id] })
    const { status, type, text } = await friendsOf(plex.createLegacyToken())
    expect(status).toBe(200)
    expect(type).toMatch(/^application\/xml/)
    expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<MediaContainer /)
    expect(text).toContain('size="2"')
    const users = [...text.matchAll(/<User id="(\d+)"[^>]*>([\s\S]*?)<\/User>/g)].map(([, id, body]) => ({
      id: Number(id),
      servers: [...body!.matchAll(/machineIdentifier="([^"]+)"/g)].map((match) => match[1]),
    }))
    expect(users).toEqual([
      { id: alice.id, servers: [basement.machineIdentifier, attic.machineIdentifier] },
      { id: bob.id, servers: [basement.machineIdentifier] },
    ])
    expect(text).toContain('email="a&amp;b@example.com"')
    expect(text).toContain('name="Attic &lt;2&gt;"')
    expect(text).toContain('pending="0"')
  })

  test('an owner without shares: an empty MediaContainer; a JWT works as well as a legacy token', async () => {
    const { text } = await friendsOf(plex.issueToken({ clientIdentifier: CLIENT_ID }))
    expect(text).toMatch(/<MediaContainer [^>]*size="0">\n<\/MediaContainer>\n$/)
  })

  test('no client identifier: 400 code 1000; a bad token: 401 code 1001', async () => {
    expect(
      (await friendsOf(plex.createLegacyToken(), { 'x-plex-token': plex.createLegacyToken() })).status,
    ).toBe(400)
    const bad = await friendsOf('abcdefghijklmnopqrst', plexHeaders('abcdefghijklmnopqrst'))
    expect(bad.status).toBe(401)
    expect(JSON.parse(bad.text)).toEqual({
      errors: [{ code: 1001, message: 'User could not be authenticated', status: 401 }],
    })
  })

  test('calls are counted and failure modes apply', async () => {
    const token = plex.createLegacyToken()
    plex.fail(PLEX_PATHS.users, { status: 503 }, { times: 1 })
    expect((await friendsOf(token)).status).toBe(503)
    expect((await friendsOf(token)).status).toBe(200)
    expect(plex.requests(PLEX_PATHS.users)).toBe(2)
  })
})

describe('share and unshare', () => {
  test('change /api/v2/resources of the account and the owner’s friends list at once', async () => {
    const friend = plex.addAccount()
    const server = plex.addServer()
    const friendToken = plex.createLegacyToken({ accountId: friend.id })
    const ownerToken = plex.createLegacyToken()
    expect(await resourceIds(friendToken)).toEqual([])
    server.share(friend.id)
    expect(server.sharedWith).toEqual([friend.id])
    expect(server.accessToken(friend.id)).toEqual(expect.any(String))
    expect(await resourceIds(friendToken)).toEqual([server.machineIdentifier])
    expect((await friendsOf(ownerToken)).text).toContain(`<User id="${friend.id}"`)
    server.unshare(friend.id)
    expect(server.sharedWith).toEqual([])
    expect(server.accessToken(friend.id)).toBeUndefined()
    expect(await resourceIds(friendToken)).toEqual([])
    expect((await friendsOf(ownerToken)).text).not.toContain('<User ')
  })

  test('refuses an unknown account, and unsharing the owner', () => {
    const server = plex.addServer()
    expect(() => server.share(999_999)).toThrow(/no account/)
    expect(() => server.unshare(server.ownerId)).toThrow(/owner/)
  })
})
