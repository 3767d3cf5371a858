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

async function get(path: string, token: string, accept = 'application/json') {
  const response = await fetch(`${plex.url}${path}`, { headers: { ...plexHeaders(token), accept } })
  return { status: response.status, text: await response.text() }
}

describe('Plex Home', () => {
  test('refusals (the admin, a member or the admin of another home) leave every account as it was', () => {
    const kid = plex.addHomeUser({ title: 'Kid' })
    const otherAdmin = plex.addAccount({ username: 'other-admin' })
    const neighbour = plex.addHomeUser({ adminId: otherAdmin.id, managed: false, user: { username: 'nb' } })
    const before = structuredClone(plex.accounts)
    expect(() => plex.addHomeUser({ user: { id: plex.account.id } })).toThrow(
      'the admin is already in their home',
    )
    expect(() => plex.addHomeUser({ user: { id: neighbour.id } })).toThrow(
      `account ${neighbour.id} is in another home`,
    )
    expect(() => plex.addHomeUser({ user: { id: otherAdmin.id } })).toThrow(
      `account ${otherAdmin.id} is in another home`,
    )
    expect(() => plex.addHomeUser({ adminId: 999_999 })).toThrow('no account with id 999999')
    expect(plex.accounts).toEqual(before)
    // A member added again is one member, with the fields given.
    expect(plex.addHomeUser({ managed: false, user: { id: kid.id, username: 'grown-up' } })).toMatchObject({
      id: kid.id,
      username: 'grown-up',
    })
    expect(plex.accounts).toHaveLength(before.length)
  })

  test('user fields given to addHomeUser win over the managed defaults', () => {
    expect(plex.addHomeUser({ title: 'Teen', user: { restricted: false, username: 'teen' } })).toMatchObject({
      friendly_name: 'Teen',
      restricted: false,
      username: 'teen',
    })
  })

  test("the v1 account document (XML) of a home's admin and member: home, and the home's size", async () => {
    plex.addHomeUser({ title: 'Kid' })
    const partner = plex.addHomeUser({ managed: false, user: { username: 'partner' } })
    for (const id of [plex.account.id, partner.id]) {
      const { text } = await get(PLEX_PATHS.legacyAccount, plex.createLegacyToken({ accountId: id }), '*/*')
      expect(text).toMatch(/ home="1"/)
      expect(text).toMatch(/ homeSize="3"/)
    }
    const loner = plex.addAccount({ username: 'loner' })
    const { text } = await get(
      PLEX_PATHS.legacyAccount,
      plex.createLegacyToken({ accountId: loner.id }),
      '*/*',
    )
    expect(text).toMatch(/ home="0"/)
    expect(text).toMatch(/ homeSize="1"/)
  })
})

describe('servers', () => {
  test('a machine identifier taken: addServer throws and the first server stays as it was', () => {
    const first = plex.addServer({ machineIdentifier: 'abc123', name: 'First' })
    expect(() => plex.addServer({ machineIdentifier: 'abc123', name: 'Second' })).toThrow(
      'server abc123 exists',
    )
    expect(first.name).toBe('First')
  })

  test('sharing twice keeps the access token; the owner always has one', () => {
    const friend = plex.addAccount({ username: 'friend' })
    const server = plex.addServer({ sharedWith: [friend.id] })
    const token = server.accessToken(friend.id)
    server.share(friend.id)
    server.share(plex.account.id)
    expect(server.accessToken(friend.id)).toBe(token)
    expect(server.sharedWith).toEqual([friend.id])
    expect(server.accessToken()).toMatch(/^[A-Za-z0-9]{20}$/)
  })

  test('accounts without a username (managed users): the friends list and resources say what plex.tv says', async () => {
    const kid = plex.addHomeUser({ title: 'Kid' })
    const friend = plex.addAccount({ username: 'friend' })
    plex.addServer({ sharedWith: [kid.id] })
    // The kid's own server (as a managed user, without a username), shared with the friend.
    const kidsServer = plex.addServer({ ownerId: kid.id, name: 'Kid’s', sharedWith: [friend.id] })

    const friends = await get(PLEX_PATHS.users, plex.createLegacyToken())
    const [user] = (JSON.parse(friends.text) as { MediaContainer: { User: Record<string, unknown>[] } })
      .MediaContainer.User
    // The title falls back to the display name; absent fields are empty strings, as in plex.tv's XML.
    expect(user).toMatchObject({ id: kid.id, title: 'Kid', username: '', email: '', restricted: 1 })

    const resources = await get(PLEX_PATHS.resources, plex.createLegacyToken({ accountId: friend.id }))
    expect(JSON.parse(resources.text)).toEqual([
      expect.objectContaining({
        clientIdentifier: kidsServer.machineIdentifier,
        owned: false,
        ownerId: kid.id,
        sourceTitle: null,
        accessToken: kidsServer.accessToken(friend.id),
      }),
    ])
  })
})

describe('the sign-in page', () => {
  test('lists each account by username, else display name, else id; with its email when it has one', async () => {
    const kid = plex.addHomeUser({ title: 'Kid' })
    const nameless = plex.addAccount({ username: undefined, friendly_name: undefined, email: undefined })
    const page = await (await fetch(`${plex.authAppUrl}#?code=abcd`)).text()
    const options = [...page.matchAll(/<option value="(\d+)"[^>]*>([^<]*)<\/option>/g)].map(
      ([, id, label]) => [Number(id), label],
    )
    expect(options).toEqual([
      [plex.account.id, `${plex.account.username} (${plex.account.email})`],
      [kid.id, 'Kid'],
      [nameless.id, `account ${nameless.id}`],
    ])
  })
})
