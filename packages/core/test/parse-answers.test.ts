import { describe, expect, test } from 'vitest'
import { accountRecord } from '../src/plex-tv/legacy-tokens.js'
import { PlexAnswerError, parseAccount, parsePin, parseResources } from '../src/plex-tv/parse-answers.js'

// One reading of plex.tv's answers for core and @plexauth/client. These are the cases where the two
// copies once drifted apart: core trimmed `provides` and took `owned` as 1 or "1", the client did neither.
describe('parseResources (GET /api/v2/resources)', () => {
  const device = { clientIdentifier: 'abc', name: 'Home', provides: 'server', owned: true }

  test('provides is split on commas and trimmed; empty entries dropped', () => {
    const [resource] = parseResources([{ ...device, provides: ' client , server,,player ' }])
    expect(resource?.provides).toEqual(['client', 'server', 'player'])
  })

  test.each([
    [true, true],
    [1, true],
    ['1', true],
    [false, false],
    [0, false],
    ['0', false],
    ['true', false],
    [undefined, false],
  ])('owned %j reads as %j', (owned, expected) => {
    expect(parseResources([{ ...device, owned }])[0]?.owned).toBe(expected)
  })

  test('a device without a name or provides: an empty name, provides nothing', () => {
    const [resource] = parseResources([{ clientIdentifier: 'abc', provides: ['server'] }])
    expect(resource).toMatchObject({ name: '', clientIdentifier: 'abc', provides: [], owned: false })
  })

  test('entries that are not devices are skipped; the rest are read', () => {
    const resources = parseResources([null, 42, 'x', [], { name: 'no id' }, { clientIdentifier: '' }, device])
    expect(resources.map((r) => r.clientIdentifier)).toEqual(['abc'])
  })

  test('optional fields kept when well-typed, dropped otherwise; connections need a uri', () => {
    const [resource] = parseResources([
      {
        ...device,
        accessToken: 'tok',
        ownerId: '7',
        presence: 'yes',
        httpsRequired: true,
        connections: [{ uri: 'https://10.0.0.2:32400', local: true, port: 32400 }, { local: true }, null],
      },
    ])
    expect(resource).toEqual({
      name: 'Home',
      clientIdentifier: 'abc',
      provides: ['server'],
      owned: true,
      accessToken: 'tok',
      httpsRequired: true,
      connections: [{ uri: 'https://10.0.0.2:32400', port: 32400, local: true, relay: false, IPv6: false }],
    })
  })

  test('anything but a list, or an absurdly long one, is not an answer', () => {
    for (const body of [{ errors: [] }, null, 'server', 42]) {
      expect(() => parseResources(body), JSON.stringify(body)).toThrow(PlexAnswerError)
    }
    expect(() => parseResources(new Array(10_001).fill(device))).toThrow(PlexAnswerError)
    expect(parseResources(new Array(10_000).fill(device))).toHaveLength(10_000)
  })

  test('strings of up to 8192 characters are read; a longer one is dropped, or the entry skipped', () => {
    const at = 'a'.repeat(8192)
    const past = 'a'.repeat(8193)
    const fields = { name: at, accessToken: at, product: at, productVersion: at, platform: at }
    const more = { publicAddress: at, sourceTitle: at }
    const connection = { uri: at, protocol: at, address: at }
    const [kept] = parseResources([
      { ...device, ...fields, ...more, clientIdentifier: at, connections: [connection] },
    ])
    expect(kept).toMatchObject({ ...fields, ...more, clientIdentifier: at, connections: [connection] })

    const [dropped] = parseResources([
      {
        ...device,
        ...Object.fromEntries(Object.keys({ ...fields, ...more }).map((name) => [name, past])),
        connections: [{ uri: past }, { uri: 'https://10.0.0.2:32400', protocol: past, address: past }],
      },
    ])
    expect(dropped).toEqual({
      name: '',
      clientIdentifier: 'abc',
      provides: ['server'],
      owned: true,
      connections: [{ uri: 'https://10.0.0.2:32400', local: false, relay: false, IPv6: false }],
    })
    expect(parseResources([{ ...device, clientIdentifier: past }])).toEqual([])
  })

  test('each connection flag is its own, true only for true; an ill-typed port is dropped', () => {
    const [resource] = parseResources([
      {
        ...device,
        connections: [
          { uri: 'https://a', local: true, relay: false, IPv6: false },
          { uri: 'https://b', local: false, relay: true, IPv6: false },
          { uri: 'https://c', local: false, relay: false, IPv6: true },
          { uri: 'https://d', local: 'yes', relay: 1, IPv6: 'true', port: '32400' },
        ],
      },
    ])
    expect(resource?.connections).toEqual([
      { uri: 'https://a', local: true, relay: false, IPv6: false },
      { uri: 'https://b', local: false, relay: true, IPv6: false },
      { uri: 'https://c', local: false, relay: false, IPv6: true },
      { uri: 'https://d', local: false, relay: false, IPv6: false },
    ])
  })

  test('ill-typed device fields are dropped', () => {
    const [resource] = parseResources([{ ...device, accessToken: 42, httpsRequired: 'yes', presence: 1 }])
    expect(resource).toEqual({ ...device, provides: ['server'], connections: [] })
  })
})

describe('parseAccount (GET /api/v2/user)', () => {
  const account = {
    id: 42,
    uuid: 'u-42',
    username: 'alice',
    email: 'alice@example.com',
    friendlyName: 'Alice',
    title: 'Alice',
    thumb: 'https://plex.tv/users/u-42/avatar',
    joinedAt: 1_500_000_000,
    restricted: false,
    anonymous: false,
    home: true,
    subscription: { active: true, status: 'Active', plan: 'lifetime', extra: 1 },
  }

  test('known fields are read; unknown ones dropped', () => {
    expect(parseAccount({ ...account, unknown: 'x' })).toEqual({
      ...account,
      subscription: { active: true, status: 'Active', plan: 'lifetime' },
    })
  })

  test('a positive id and a uuid are required', () => {
    for (const body of [
      { ...account, id: 0 },
      { ...account, id: -1 },
      { ...account, id: '42' },
      { ...account, id: 2 ** 53 },
      { ...account, uuid: '' },
      { ...account, uuid: 'u'.repeat(513) },
      { id: 42 },
      [account],
      null,
    ]) {
      expect(() => parseAccount(body), JSON.stringify(body)?.slice(0, 60)).toThrow(PlexAnswerError)
    }
  })

  test('ill-typed or oversized optional fields are dropped, not trusted', () => {
    const parsed = parseAccount({
      ...account,
      username: 'a'.repeat(513),
      email: 7,
      joinedAt: -1,
      restricted: 'no',
      subscription: 'active',
    })
    expect(parsed).not.toHaveProperty('username')
    expect(parsed).not.toHaveProperty('email')
    expect(parsed).not.toHaveProperty('joinedAt')
    expect(parsed).not.toHaveProperty('restricted')
    expect(parsed).not.toHaveProperty('subscription')
    expect(parsed.friendlyName).toBe('Alice')
  })

  test('identity fields up to 512 characters are read, a longer one dropped; other strings up to 8192', () => {
    const id = 'u'.repeat(512)
    const long = 't'.repeat(8192)
    const identity = { uuid: id, username: id, email: id, friendlyName: id }
    const others = { title: long, thumb: long, subscription: { active: true, status: long, plan: long } }
    expect(parseAccount({ ...account, ...identity, ...others })).toEqual({
      ...account,
      ...identity,
      ...others,
    })

    const over = 'u'.repeat(513)
    const dropped = parseAccount({
      ...account,
      username: over,
      email: over,
      friendlyName: over,
      title: `${long}t`,
      thumb: `${long}t`,
      subscription: { active: true, status: `${long}t`, plan: `${long}t` },
    })
    expect(dropped).toEqual({
      id: 42,
      uuid: 'u-42',
      joinedAt: 1_500_000_000,
      restricted: false,
      anonymous: false,
      home: true,
      subscription: { active: true },
    })
    expect(() => parseAccount({ ...account, uuid: over })).toThrow(PlexAnswerError)
  })

  test('a subscription that is a list is no subscription', () => {
    expect(parseAccount({ id: 1, uuid: 'u', subscription: [] })).toEqual({ id: 1, uuid: 'u' })
  })

  test('only own members count', () => {
    const inherited = Object.create({ id: 42, uuid: 'u' }) as object
    expect(() => parseAccount(inherited)).toThrow(PlexAnswerError)
  })

  test("a legacy token's record: the user and the scopes of the fields present, in PLEX_SCOPES order", () => {
    const record = accountRecord(
      parseAccount({ id: 1, uuid: 'u', joinedAt: 0, friendlyName: 'F', email: 'e' }),
    )
    expect(record).toEqual({
      valid: true,
      user: { id: 1, uuid: 'u', email: 'e', friendlyName: 'F', joinedAt: 0 },
      scopes: ['email', 'friendly_name', 'joinedAt'],
    })
    expect(Object.isFrozen(record)).toBe(true)
  })
})

// The PIN answer was read twice too: core's sign-in took `expiresAt` and checked the code and token, the
// client took only `expiresIn` and any strings.
describe('parsePin (POST and GET /api/v2/pins)', () => {
  const now = Date.parse('2026-06-01T00:00:00Z')
  const pin = { id: 7, code: 'ABCD1234', expiresIn: 1800, authToken: null }

  test('expiry from expiresAt when it is a date, else expiresIn (seconds), else 15 minutes', () => {
    expect(parsePin({ ...pin, expiresAt: '2026-06-01T00:10:00Z' }, now).expiresAt).toBe(now + 600_000)
    expect(parsePin({ ...pin, expiresAt: 'soon' }, now).expiresAt).toBe(now + 1_800_000)
    expect(parsePin({ ...pin, expiresIn: 0 }, now).expiresAt).toBe(now + 900_000)
    expect(parsePin({ ...pin, expiresIn: '60' }, now).expiresAt).toBe(now + 900_000)
    // Whatever plex.tv says, a PIN is not believed beyond an hour.
    expect(parsePin({ ...pin, expiresIn: 1e308 }, now).expiresAt).toBe(now + 3_600_000)
    expect(parsePin({ ...pin, expiresIn: 3601 }, now).expiresAt).toBe(now + 3_600_000)
    expect(parsePin({ ...pin, expiresIn: 3599 }, now).expiresAt).toBe(now + 3_599_000)
    expect(parsePin({ ...pin, expiresAt: '2126-06-01T00:00:00Z' }, now).expiresAt).toBe(now + 3_600_000)
  })

  test('authToken: null, absent or empty while pending; a token once approved', () => {
    expect(parsePin(pin, now).authToken).toBeNull()
    expect(parsePin({ ...pin, authToken: undefined }, now).authToken).toBeNull()
    expect(parsePin({ ...pin, authToken: '' }, now).authToken).toBeNull()
    expect(parsePin({ ...pin, authToken: 'eyJ.a.b-token' }, now).authToken).toBe('eyJ.a.b-token')
  })

  test('an approved token of 8 to 8192 characters is read; a shorter or longer one is not a PIN', () => {
    for (const length of [8, 8192]) {
      const authToken = 'a'.repeat(length)
      expect(parsePin({ ...pin, authToken }, now).authToken).toBe(authToken)
    }
    for (const length of [7, 8193]) {
      expect(() => parsePin({ ...pin, authToken: 'a'.repeat(length) }, now), `${length}`).toThrow(
        PlexAnswerError,
      )
    }
  })

  test('not a PIN: a bad id, code or token', () => {
    for (const body of [
      { ...pin, id: 0 },
      { ...pin, id: '7' },
      { ...pin, code: 'AB' },
      { ...pin, code: 'has space' },
      { ...pin, authToken: 42 },
      { ...pin, authToken: 'two\nlines-of-token' },
      [pin],
      null,
    ]) {
      expect(() => parsePin(body, now), JSON.stringify(body)).toThrow(PlexAnswerError)
    }
  })

  test('a code of 4 to 64 characters, an integer id, a finite expiresIn (JSON reads 1e400 as Infinity)', () => {
    const four = { ...pin, code: 'ABCD' }
    expect(parsePin(four, now).code).toBe('ABCD')
    expect(parsePin({ ...pin, code: 'A'.repeat(64) }, now).code).toBe('A'.repeat(64))
    for (const body of [
      { ...pin, code: 'A'.repeat(65) },
      { ...pin, code: 'ABC' },
      { ...pin, id: 7.5 },
    ]) {
      expect(() => parsePin(body, now), JSON.stringify(body)).toThrow(PlexAnswerError)
    }
    const endless = JSON.parse('{"id":7,"code":"ABCD","expiresIn":1e400}') as unknown
    expect(parsePin(endless, now).expiresAt).toBe(now + 900_000)
  })
})
