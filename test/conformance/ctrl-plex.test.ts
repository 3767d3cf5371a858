// @ctrl/plex 3.12.x from npm, unmodified: its plex.tv URLs are constants, so only the origin is redirected.
import { MyPlexAccount, X_PLEX_IDENTIFIER } from '@ctrl/plex'
import { createFakePlex, type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { allowAsPage, routePlexTvTo } from './support.js'

let plex: FakePlex
let undo: () => void
beforeAll(async () => {
  plex = await createFakePlex()
  undo = routePlexTvTo(plex)
})
afterAll(async () => {
  undo()
  await plex.close()
})

describe('@ctrl/plex against the fake plex.tv', () => {
  test('PIN web login: getWebLogin, the user allows on the sign-in page, webLoginCheck polls and connects', async () => {
    const friend = plex.addAccount({ username: 'ctrl-friend', email: 'ctrl@example.com' })
    const login = await MyPlexAccount.getWebLogin()
    expect(login.code).toMatch(/^[a-z0-9]{25}$/)
    const fragment = new URLSearchParams(new URL(login.uri).hash.slice(2))
    expect(fragment.get('clientID')).toBe(X_PLEX_IDENTIFIER)
    expect(fragment.get('context[device][product]')).toBe('PlexAPI')
    // X-Plex-Product and X-Plex-Client-Identifier arrived as query parameters.
    const pin = await (await fetch(`${plex.controlUrl}/pins/${login.code}`)).json()
    expect(pin).toMatchObject({ product: 'PlexAPI', clientIdentifier: X_PLEX_IDENTIFIER, strong: true })

    const checking = MyPlexAccount.webLoginCheck(login, 20)
    // The user answers while the client polls (every 3 s).
    await expect.poll(() => plex.requests(PLEX_PATHS.pin), { timeout: 10_000 }).toBeGreaterThanOrEqual(1)
    expect(await allowAsPage(plex, login.uri, friend.id)).toBe(204)
    const account = await checking
    expect(account.username).toBe('ctrl-friend')
    expect(account.email).toBe('ctrl@example.com')
    expect(account.id).toBe(friend.id)
    expect(account.authenticationToken).toMatch(/^[A-Za-z0-9]{20}$/)
    expect(account.subscriptionStatus).toBe('inactive')
  })

  test('connect() with a token: the account, whose token comes from authToken (a Plex JWT works too)', async () => {
    const legacy = plex.createLegacyToken()
    const account = await new MyPlexAccount(null, '', '', legacy).connect()
    expect(account.username).toBe(plex.account.username)
    expect(account.uuid).toBe(plex.account.uuid)
    expect(account.authenticationToken).toBe(legacy)
    const jwt = plex.issueToken({ clientIdentifier: X_PLEX_IDENTIFIER })
    const viaJwt = await new MyPlexAccount(null, '', '', jwt).connect()
    expect(viaJwt.authenticationToken).toBe(jwt)
    expect(viaJwt.id).toBe(plex.account.id)
  })

  test('resources() and resource(name): the servers the account may use, with their access token and connections', async () => {
    const friend = plex.addAccount({ username: 'resource-friend' })
    const server = plex.addServer({ name: 'Conformance Server', sharedWith: [friend.id] })
    plex.addServer({ name: 'Not shared' })
    const account = await new MyPlexAccount(
      null,
      '',
      '',
      plex.createLegacyToken({ accountId: friend.id }),
    ).connect()
    const resources = await account.resources()
    expect(resources.map((resource) => resource.name)).toEqual(['Conformance Server'])
    const resource = await account.resource('Conformance Server')
    expect(resource.clientIdentifier).toBe(server.machineIdentifier)
    expect(resource.accessToken).toBe(server.accessToken(friend.id))
    expect(resource.owned).toBe(false)
    expect(resource.provides).toBe('server')
    expect(resource.connections.map((connection) => connection.uri)).toEqual([server.url])
    expect(resource.createdAt.getTime()).not.toBeNaN()
  })

  test('a bad token: connect() rejects with plex.tv’s 401', async () => {
    await expect(new MyPlexAccount(null, '', '', 'not-a-token-at-all').connect()).rejects.toMatchObject({
      statusCode: 401,
    })
  })

  test('the published 3.12.x has no JWT helpers (its source has them only after 3.12)', async () => {
    const exported = Object.keys(await import('@ctrl/plex'))
    expect(exported.filter((name) => /jwt|nonce|devicekey/i.test(name))).toEqual([])
  })
})
