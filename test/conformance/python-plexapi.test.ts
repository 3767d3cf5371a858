// What python-plexapi 4.x does against plex.tv, step by step, read with an independent XML parser: its
// requests send no `Accept: application/json` (requests writes `Accept: */*`), so every answer is XML, and
// its `_loadData` methods read attributes and child elements by the names below.
import { createFakePlex, type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { xmlParser } from './support.js'

type Element = Record<string, unknown>

let plex: FakePlex
beforeAll(async () => {
  plex = await createFakePlex()
})
afterAll(() => plex.close())

const BASE_HEADERS = {
  accept: '*/*',
  'X-Plex-Platform': 'Linux',
  'X-Plex-Product': 'PlexAPI',
  'X-Plex-Version': '4.16.1',
  'X-Plex-Device': 'Linux',
  'X-Plex-Device-Name': 'conformance',
  'X-Plex-Client-Identifier': 'python-plexapi-conformance',
}

/** `plexapi.utils.cast`: booleans must be one of 1, 0, "1", "0", "true", "false" (else ValueError). */
function cast(kind: 'bool' | 'int', value: unknown): boolean | number | undefined {
  if (value === undefined) return undefined
  if (kind === 'int') return Number(value)
  if (['1', 'true'].includes(String(value))) return true
  if (['0', 'false'].includes(String(value))) return false
  throw new Error(`ValueError: ${String(value)}`)
}

async function query(
  path: string,
  init: { method?: string; token?: string; body?: string; headers?: object } = {},
) {
  const response = await fetch(`${plex.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...BASE_HEADERS,
      ...(init.token === undefined ? {} : { 'X-Plex-Token': init.token }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: init.body }),
  })
  const text = await response.text()
  // MyPlexAccount.query: JSON only when the Content-Type says so, else ElementTree.fromstring.
  expect(response.headers.get('content-type') ?? '').not.toContain('application/json')
  return {
    status: response.status,
    root: (text.trim() === '' ? {} : xmlParser.parse(text)) as Element,
  }
}

describe('python-plexapi against the fake plex.tv (XML)', () => {
  test('MyPlexPinLogin(oauth=True): _getCode, _checkLogin, then MyPlexAccount(token=…)._loadData', async () => {
    // _getCode: POST PINS with params={'strong': True}: requests writes True.
    const created = await query(`${PLEX_PATHS.pins}?strong=True`, { method: 'POST' })
    expect(created.status).toBe(201)
    const pin = created.root.pin as Element
    const [id, code] = [pin.id as string, pin.code as string]
    expect(code).toMatch(/^[a-z0-9]{25}$/)
    // _checkLogin: `if not token: return False`.
    expect(((await query(`${PLEX_PATHS.pins}/${id}`)).root.pin as Element).authToken).toBe('')
    plex.approvePin(code)
    const token = ((await query(`${PLEX_PATHS.pins}/${id}`)).root.pin as Element).authToken as string
    expect(token).toMatch(/^[A-Za-z0-9]{20}$/)

    // MyPlexAccount._loadData(data) of GET https://plex.tv/api/v2/user.
    const user = (await query(PLEX_PATHS.user, { token })).root.user as Element
    expect(user.authToken).toBe(token)
    expect(cast('int', user.id)).toBe(plex.account.id)
    for (const name of [
      'confirmed',
      'emailOnlyAuth',
      'guest',
      'hasPassword',
      'home',
      'homeAdmin',
      'protected',
    ]) {
      expect(typeof cast('bool', user[name]), name).toBe('boolean')
    }
    for (const name of ['restricted', 'twoFactorEnabled', 'experimentalFeatures', 'backupCodesCreated']) {
      expect(typeof cast('bool', user[name]), name).toBe('boolean')
    }
    expect(String(user.scrobbleTypes).split(',')).toEqual([''])
    expect(cast('int', user.homeSize)).toBe(1)
    const subscription = user.subscription as Element
    expect(cast('bool', subscription.active)).toBe(false)
    expect(subscription).toHaveProperty('status')
    expect(subscription).toHaveProperty('features')
    expect(user.profile).toMatchObject({ defaultAudioLanguage: 'en' })
    expect(user).toHaveProperty('entitlements')
    expect(user).toHaveProperty('roles')
  })

  test('MyPlexAccount.link(pin): PUT LINK with a form code, as its live tests approve 4-character PINs', async () => {
    const other = plex.addAccount({ username: 'linked' })
    const created = await query(PLEX_PATHS.pins, { method: 'POST' })
    const pin = created.root.pin as Element
    expect(pin.code).toMatch(/^[A-Z0-9]{4}$/)
    const linked = await query(PLEX_PATHS.pinLink, {
      method: 'PUT',
      token: plex.createLegacyToken({ accountId: other.id }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Plex-Product': 'Plex SSO' },
      body: new URLSearchParams({ code: pin.code as string }).toString(),
    })
    expect(linked.status).toBe(204)
    const token = ((await query(`${PLEX_PATHS.pins}/${pin.id}`)).root.pin as Element).authToken as string
    expect(((await query(PLEX_PATHS.user, { token })).root.user as Element).username).toBe('linked')
  })

  test('MyPlexAccount.resources(): each child of the root is a <resource>, connections under rtag "connections"', async () => {
    const server = plex.addServer({ name: 'Python Server' })
    const { root } = await query('/api/v2/resources?includeHttps=1&includeRelay=1', {
      token: plex.createLegacyToken(),
    })
    const resources = (root.resources as Element).resource as Element[]
    const resource = resources.find((entry) => entry.clientIdentifier === server.machineIdentifier) as Element
    expect(resource.accessToken).toBe(server.accessToken())
    expect(cast('bool', resource.owned)).toBe(true)
    expect(cast('int', resource.ownerId ?? 0)).toBe(0)
    expect(resource.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) // '%Y-%m-%dT%H:%M:%SZ'
    const connection = ((resource.connections as Element).connection as Element[])[0] as Element
    expect([
      cast('bool', connection.local),
      cast('bool', connection.relay),
      cast('bool', connection.IPv6),
    ]).toEqual([true, false, false])
    expect(connection.uri).toBe(server.url)
  })

  test('MyPlexAccount.users(): <User> elements with <Server> children from /api/users', async () => {
    const friend = plex.addAccount({ username: 'python-friend' })
    plex.addServer({ name: 'Shared With Python', sharedWith: [friend.id] })
    const { root } = await query(PLEX_PATHS.users, { token: plex.createLegacyToken() })
    const users = (root.MediaContainer as Element).User as Element[]
    const user = users.find((entry) => entry.username === 'python-friend') as Element
    expect(cast('int', user.id)).toBe(friend.id)
    expect(cast('bool', user.home)).toBe(false)
    expect(((user.Server as Element[])[0] as Element).name).toBe('Shared With Python')
  })

  test('errors are XML too, and a bad token is 401', async () => {
    const { status, root } = await query(PLEX_PATHS.user, { token: 'bad' })
    expect(status).toBe(401)
    expect(root.errors).toMatchObject({ error: { code: '1001' } })
  })
})
