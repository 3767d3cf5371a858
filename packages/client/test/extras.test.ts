import { PLEX_PATHS, STRONG_PIN_LIFETIME } from '@plexauth/testing'
import { decodeJwt } from 'jose'
import { describe, expect, test, vi } from 'vitest'
import { generateDeviceKey } from '../src/device-key.js'
import {
  createPlexClient,
  isPlexClientError,
  PlexClientError,
  type PlexClientState,
  type PlexClientStore,
} from '../src/index.js'
import { advance, clientFor, DAY, errorCode, login, spyStore, startFake, useFakeDate } from './helpers.js'

describe('account extras', () => {
  test('getUser(), ping() and getResources() use the stored token', async () => {
    const plex = await startFake()
    const client = clientFor(plex)
    await login(client, plex)
    const friend = plex.addAccount({ username: 'friend' })
    const owned = plex.addServer({ name: 'Home' })
    const shared = plex.addServer({ name: 'Friend', ownerId: friend.id, sharedWith: [plex.account.id] })

    expect(await client.getUser()).toMatchObject({
      id: plex.account.id,
      uuid: plex.account.uuid,
      username: plex.account.username,
      email: plex.account.email,
      friendlyName: plex.account.friendly_name,
      subscription: { active: false },
    })
    await expect(client.ping()).resolves.toBeUndefined()
    const resources = await client.getResources()
    expect(resources).toHaveLength(2)
    expect(resources.find((r) => r.clientIdentifier === owned.machineIdentifier)).toMatchObject({
      name: 'Home',
      provides: ['server'],
      owned: true,
      accessToken: owned.accessToken(),
      connections: [{ uri: owned.url, local: true, relay: false }],
    })
    expect(resources.find((r) => r.clientIdentifier === shared.machineIdentifier)).toMatchObject({
      owned: false,
      ownerId: friend.id,
      accessToken: shared.accessToken(plex.account.id),
    })
    expect(
      plex.log.find((entry) => entry.path === PLEX_PATHS.user)?.headers['x-plex-client-identifier'],
    ).toBeDefined()
  })

  test('getTransientToken(serverUrl, token) asks the media server for a transient token', async () => {
    const plex = await startFake()
    const client = clientFor(plex)
    await login(client, plex)
    const server = plex.addServer()
    const [resource] = await client.getResources()
    const transient = await client.getTransientToken(resource!.connections[0]!.uri, resource!.accessToken)
    expect(transient).toMatch(/^transient-/)
    expect(server.transientTokens).toEqual([transient])
    expect(await client.getTransientToken(server.url)).toMatch(/^transient-/)
    expect(await errorCode(client.getTransientToken(server.url, 'not-a-server-token'))).toBe('UNAUTHORIZED')
    await expect(client.getTransientToken('ftp://server', 'x')).rejects.toThrow(TypeError)
  })

  test('getTransientToken: plain http only to loopback and private-LAN hosts, never to a public one', async () => {
    const plex = await startFake()
    const asked: string[] = []
    // Media servers on the LAN answer from this stand-in; everything else goes to the fake.
    const lanFetch: typeof fetch = async (input, init) => {
      const url = new URL(String(input))
      if (url.hostname.startsWith('127.')) return fetch(input, init)
      asked.push(url.origin)
      return Response.json({ MediaContainer: { size: 0, token: 'transient-lan' } })
    }
    const client = clientFor(plex, { fetch: lanFetch })
    await login(client, plex)
    const allowed = [
      'http://192.168.1.20:32400',
      'http://10.0.0.5:32400',
      'http://172.16.0.9:32400',
      'http://172.31.255.1:32400',
      'http://[fd12:3456::1]:32400',
      'https://203.0.113.9:32400',
      'https://1-2-3-4.abcdef.plex.direct:32400',
    ]
    for (const url of allowed) expect(await client.getTransientToken(url), url).toBe('transient-lan')
    const refused = [
      'http://203.0.113.9:32400',
      'http://172.32.0.1:32400',
      'http://192.169.0.1:32400',
      'http://11.0.0.1:32400',
      'http://plex.example.com:32400',
      'http://192.168.1.20.nip.io:32400',
      'http://[2001:db8::1]:32400',
    ]
    for (const url of refused) {
      await expect(client.getTransientToken(url), url).rejects.toThrow(TypeError)
      await expect(client.getTransientToken(url, 'server-access-token'), url).rejects.toThrow(TypeError)
    }
    expect(asked).toEqual(allowed.map((url) => new URL(url).origin))
  })

  test('plex.tv status answers map to codes: 401, 498, 500', async () => {
    const plex = await startFake()
    const client = clientFor(plex)
    await login(client, plex)
    plex.fail(
      PLEX_PATHS.user,
      { status: 401, body: { errors: [{ code: 1001, message: 'x', status: 401 }] } },
      { times: 1 },
    )
    expect(await errorCode(client.getUser())).toBe('UNAUTHORIZED')
    plex.fail(PLEX_PATHS.ping, { status: 498 }, { times: 1 })
    expect(await errorCode(client.ping())).toBe('TOKEN_EXPIRED')
    plex.fail(PLEX_PATHS.resources, { status: 500 }, { times: 1 })
    const failure = client.getResources()
    expect(await errorCode(failure)).toBe('HTTP_ERROR')
    await expect(failure).rejects.toMatchObject({ status: 500 })
  })
})

describe('network limits', () => {
  test('a hanging answer times out, a dropped one is a network error, garbage is invalid', async () => {
    const plex = await startFake()
    const client = clientFor(plex, { timeout: 0.2 })
    await login(client, plex)
    plex.fail(PLEX_PATHS.user, 'hang', { times: 1 })
    expect(await errorCode(client.getUser())).toBe('TIMEOUT')
    plex.fail(PLEX_PATHS.user, 'down', { times: 1 })
    expect(await errorCode(client.getUser())).toBe('NETWORK_ERROR')
    plex.fail(PLEX_PATHS.user, 'garbage', { times: 1 })
    expect(await errorCode(client.getUser())).toBe('RESPONSE_INVALID')
    plex.fail(PLEX_PATHS.user, { body: { id: 'not a number' } }, { times: 1 })
    expect(await errorCode(client.getUser())).toBe('RESPONSE_INVALID')
  })

  test('an oversized answer is cut off; a redirect is not followed', async () => {
    const plex = await startFake()
    const client = clientFor(plex, { maxResponseBytes: 4096 })
    await login(client, plex)
    plex.fail(PLEX_PATHS.resources, { hugeBytes: 100_000 }, { times: 1 })
    expect(await errorCode(client.getResources())).toBe('RESPONSE_TOO_LARGE')
    plex.fail(PLEX_PATHS.user, { redirect: 'http://127.0.0.1:9/steal' }, { times: 1 })
    const redirected = client.getUser()
    expect(await errorCode(redirected)).toBe('HTTP_ERROR')
    await expect(redirected).rejects.toMatchObject({ status: 302 })
  })

  test('maxResponseBytes above the key set limit of the verifier (16 MiB): tokens still verify', async () => {
    const plex = await startFake()
    const client = clientFor(plex, { maxResponseBytes: 32 * 1024 * 1024 })
    const token = await login(client, plex)
    expect(await client.getToken()).toBe(token)
  })

  test('Plex keys unavailable: KEYS_UNAVAILABLE, the stored token kept', async () => {
    const plex = await startFake()
    const store = spyStore()
    await login(clientFor(plex, { store }), plex)
    plex.fail(PLEX_PATHS.keys, { status: 503 })
    expect(await errorCode(clientFor(plex, { store }).getToken())).toBe('KEYS_UNAVAILABLE')
    // No new token is asked for that could not be checked either.
    expect([plex.requests(PLEX_PATHS.nonce), plex.requests(PLEX_PATHS.token)]).toEqual([0, 0])
    expect(store.state()?.token).toBeDefined()
  })

  test('no error message or serialization ever contains a token', async () => {
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    const token = await login(client, plex)
    const errors: unknown[] = []
    for (const mode of [{ status: 401 }, { status: 422 }, 'garbage', { status: 500 }] as const) {
      plex.fail(PLEX_PATHS.user, mode, { times: 1 })
      errors.push(await client.getUser().catch((err: unknown) => err))
    }
    plex.fail(PLEX_PATHS.token, { body: { auth_token: `${token}x` } }, { times: 1 })
    errors.push(await client.getToken({ forceRefresh: true }).catch((err: unknown) => err))
    for (const err of errors) {
      expect(isPlexClientError(err)).toBe(true)
      const text = `${(err as Error).message} ${String(err)} ${JSON.stringify(err)}`
      expect(text).not.toContain(token)
      expect(text).not.toContain(token.split('.')[1])
    }
  })
})

describe('login edge cases', () => {
  test('getToken() before any login: NOT_LOGGED_IN', async () => {
    const plex = await startFake()
    expect(await errorCode(clientFor(plex).getToken())).toBe('NOT_LOGGED_IN')
  })

  test('a PIN that expires before approval: LOGIN_EXPIRED', async () => {
    useFakeDate()
    const plex = await startFake()
    const client = clientFor(plex)
    const pin = await client.startLogin()
    advance(STRONG_PIN_LIFETIME + 1)
    expect(await errorCode(client.waitForLogin(pin))).toBe('LOGIN_EXPIRED')
  })

  test('a PIN whose lifetime plex.tv overstates (expiresIn 1e308, a year): kept to an hour, so waitForLogin ends', async () => {
    useFakeDate()
    const plex = await startFake()
    const client = clientFor(plex)
    for (const expiresIn of [1e308, 365 * DAY]) {
      plex.fail(PLEX_PATHS.pins, { status: 201, body: { id: 7, code: 'ABCD1234', expiresIn } }, { times: 1 })
      const pin = await client.startLogin()
      expect(pin.expiresAt.getTime() - Date.now(), String(expiresIn)).toBe(3600_000)
      // plex.tv keeps saying "pending" (it answers the PIN with no token): the expiry ends the wait.
      plex.fail(PLEX_PATHS.pin, { body: { id: 7, code: 'ABCD1234', authToken: null } })
      const polls = plex.requests(PLEX_PATHS.pin)
      advance(3600)
      expect(await errorCode(client.waitForLogin(pin))).toBe('LOGIN_EXPIRED')
      expect(plex.requests(PLEX_PATHS.pin)).toBe(polls)
      plex.recover()
    }
  })

  /** A PIN started on fake time, the clock then at its expiry; `polls`: plex.tv's PIN requests so far. */
  async function pinAtItsExpiry() {
    useFakeDate()
    const plex = await startFake()
    const client = clientFor(plex)
    const pin = await client.startLogin()
    const polls = plex.requests(PLEX_PATHS.pin)
    vi.setSystemTime(pin.expiresAt)
    return { plex, client, pin, polls }
  }

  test('a PIN whose expiry the clock has reached: LOGIN_EXPIRED without asking plex.tv', async () => {
    const { plex, client, pin, polls } = await pinAtItsExpiry()
    expect(await errorCode(client.waitForLogin(pin))).toBe('LOGIN_EXPIRED')
    expect(plex.requests(PLEX_PATHS.pin)).toBe(polls)
  })

  test('an aborted signal: ABORTED with its reason, before the expiry is looked at and without asking plex.tv', async () => {
    const { plex, client, pin, polls } = await pinAtItsExpiry()
    const reason = new Error('user gave up')
    const waiting = client.waitForLogin(pin, { signal: AbortSignal.abort(reason) })
    expect(await errorCode(waiting)).toBe('ABORTED')
    await expect(waiting).rejects.toMatchObject({ cause: reason })
    expect(plex.requests(PLEX_PATHS.pin)).toBe(polls)
  })

  test("waitForLogin waits the interval it is given between polls, not the client's pollInterval", async () => {
    const plex = await startFake()
    let code = ''
    const sleeps: number[] = []
    const client = clientFor(plex, {
      sleep: async (ms) => {
        sleeps.push(ms)
        plex.approvePin(code)
      },
    })
    const pin = await client.startLogin()
    code = pin.code
    await client.waitForLogin(pin, { interval: 5 })
    expect(sleeps).toEqual([5000])
  })

  test('plex.tv answers 404 for the PIN (gone there: code 1020): LOGIN_EXPIRED at once, not polled again', async () => {
    const plex = await startFake()
    const client = clientFor(plex)
    const pin = await client.startLogin()
    plex.denyPin(pin.code)
    const err = await client.waitForLogin(pin).then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(err).toMatchObject({ name: 'PlexClientError', code: 'LOGIN_EXPIRED', status: 404 })
    expect(plex.requests(PLEX_PATHS.pin)).toBe(1)
    expect(await errorCode(client.getToken())).toBe('NOT_LOGGED_IN')
  })

  test('aborting waitForLogin: ABORTED', async () => {
    const plex = await startFake()
    const client = clientFor(plex)
    const pin = await client.startLogin()
    const controller = new AbortController()
    const waiting = client.waitForLogin(pin, { signal: controller.signal, interval: 5 })
    await expect.poll(() => plex.requests(PLEX_PATHS.pin), { interval: 5 }).toBe(1)
    controller.abort()
    expect(await errorCode(waiting)).toBe('ABORTED')
  })

  test('logout forgets the token and the device key; a login finishing after logout is not stored', async () => {
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    await login(client, plex)
    const { clientIdentifier } = store.state()!
    await client.logout()
    expect(store.state()).toEqual({ version: 1, clientIdentifier })
    expect(await errorCode(client.getToken())).toBe('NOT_LOGGED_IN')

    const pin = await client.startLogin()
    const waiting = client.waitForLogin(pin)
    plex.approvePin(pin.code)
    await client.logout()
    expect(await errorCode(waiting)).toBe('NOT_LOGGED_IN')
    expect(store.state()?.token).toBeUndefined()
  })

  test('the client identifier and device key are generated once and kept', async () => {
    const plex = await startFake()
    const store = spyStore()
    await login(clientFor(plex, { store }), plex)
    const before = store.state()!
    const again = clientFor(plex, { store })
    expect(await again.getClientIdentifier()).toBe(before.clientIdentifier)
    await login(again, plex)
    expect(store.state()?.device).toEqual(before.device)
  })
})

describe('the state a client keeps', () => {
  test('a store whose load resolves null holds nothing yet: an identifier is generated and saved', async () => {
    const plex = await startFake()
    let saved: PlexClientState | null = null
    const store: PlexClientStore = {
      load: () => saved,
      save: (state) => {
        saved = state
      },
    }
    const clientIdentifier = await clientFor(plex, { store }).getClientIdentifier()
    expect(saved).toEqual({ version: 1, clientIdentifier })
  })

  test('a stored identifier or token out of bounds (too long, a space) is STORE_CORRUPT; at the bounds it is read', async () => {
    const plex = await startFake()
    const device = await generateDeviceKey()
    const read = (state: PlexClientState) =>
      clientFor(plex, { store: { load: () => state, save: () => {} } }).getClientIdentifier()
    expect(await read({ version: 1, clientIdentifier: 'x'.repeat(256) })).toBe('x'.repeat(256))
    expect(await errorCode(read({ version: 1, clientIdentifier: 'x'.repeat(257) }))).toBe('STORE_CORRUPT')
    expect(await errorCode(read({ version: 1, clientIdentifier: 'c0 ffee' }))).toBe('STORE_CORRUPT')
    expect(await read({ version: 1, clientIdentifier: 'c', device, token: 't'.repeat(8192) })).toBe('c')
    const tooLong = { version: 1, clientIdentifier: 'c', device, token: 't'.repeat(8193) } as const
    expect(await errorCode(read(tooLong))).toBe('STORE_CORRUPT')
    expect(await errorCode(read({ version: 1, clientIdentifier: 'c', device, token: 'a.b c' }))).toBe(
      'STORE_CORRUPT',
    )
  })

  test('a store that failed to load is read again on the next call (the user may have fixed it)', async () => {
    const plex = await startFake()
    const inner = spyStore()
    let failures = 1
    const store: PlexClientStore = {
      load: () => {
        if (failures-- > 0) throw new Error('not mounted yet')
        return inner.load()
      },
      save: (state) => inner.save(state),
    }
    const client = clientFor(plex, { store })
    expect(await errorCode(client.getClientIdentifier())).toBe('STORE_FAILED')
    const clientIdentifier = await client.getClientIdentifier()
    expect(inner.state()).toEqual({ version: 1, clientIdentifier })
  })

  test('a change that leaves the state as it is writes nothing', async () => {
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    await client.logout()
    expect(store.saves).toBe(0)
    await client.getClientIdentifier()
    expect(store.saves).toBe(1)
    // Nothing to forget: no token, no device key.
    await client.logout()
    expect(store.saves).toBe(1)
  })

  test('what another process stored between the first load and a change is kept, never replaced by a new identifier or key', async () => {
    const plex = await startFake()
    const shared = spyStore()
    await clientFor(plex, { store: shared }).startLogin()
    const stored = shared.state()!
    // The first load finds nothing; by the change's re-read, the other process has stored its key.
    let loads = 0
    const store: PlexClientStore = {
      load: () => (loads++ === 0 ? undefined : shared.load()),
      save: (state) => shared.save(state),
    }
    const pin = await clientFor(plex, { store }).startLogin()
    expect(shared.state()).toEqual(stored)
    expect(pin.authUrl).toContain(`clientID=${stored.clientIdentifier}&`)
    loads = 0
    expect(await clientFor(plex, { store }).getClientIdentifier()).toBe(stored.clientIdentifier)
    expect(shared.state()).toEqual(stored)
  })

  test('changes of one process take turns: the identifier asked for during a first login is the one stored', async () => {
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    const [clientIdentifier, pin] = await Promise.all([client.getClientIdentifier(), client.startLogin()])
    expect(store.state()?.clientIdentifier).toBe(clientIdentifier)
    expect(pin.authUrl).toContain(`clientID=${clientIdentifier}&`)
  })

  test('a logout that could not be written still keeps a login under way from storing its token', async () => {
    const plex = await startFake()
    const inner = spyStore()
    let savesFail = false
    const store: PlexClientStore = {
      load: () => inner.load(),
      save: (state) => {
        if (savesFail) throw new Error('disk full')
        return inner.save(state)
      },
    }
    const client = clientFor(plex, { store })
    const pin = await client.startLogin()
    const waiting = client.waitForLogin(pin)
    savesFail = true
    expect(await errorCode(client.logout())).toBe('STORE_FAILED')
    savesFail = false
    plex.approvePin(pin.code)
    expect(await errorCode(waiting)).toBe('NOT_LOGGED_IN')
    expect(inner.state()?.device).toBeDefined()
    expect(inner.state()?.token).toBeUndefined()
  })

  test('a logout after startLogin, before any token, forgets the device key too', async () => {
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    await client.startLogin()
    const { clientIdentifier, device } = store.state()!
    expect(device).toBeDefined()
    await client.logout()
    expect(store.state()).toEqual({ version: 1, clientIdentifier })
  })

  test('the client keeps its own copy of what it saves: a store that changes the object it was given changes nothing', async () => {
    const plex = await startFake()
    const inner = spyStore()
    const store: PlexClientStore = {
      load: () => inner.load(),
      save: (state) => {
        inner.save(state)
        state.clientIdentifier = 'changed-by-the-store'
      },
    }
    const clientIdentifier = await clientFor(plex, { store }).getClientIdentifier()
    expect(clientIdentifier).not.toBe('changed-by-the-store')
    expect(inner.state()?.clientIdentifier).toBe(clientIdentifier)
  })
})

describe('options', () => {
  test('misconfiguration throws TypeError at construction', () => {
    const bad: unknown[] = [
      {},
      { product: '' },
      { product: 'X', scopes: ['admin'] },
      { product: 'X', scopes: ['username', 'shared_user'] },
      { product: 'X', baseUrl: 'http://plex.example.com' },
      { product: 'X', baseUrl: 'https://user:pass@plex.tv' },
      { product: 'X', refreshWithin: -1 },
      { product: 'X', store: {} },
      { product: 'X', colour: 'blue' },
    ]
    for (const options of bad) {
      expect(() => createPlexClient(options as Parameters<typeof createPlexClient>[0])).toThrow(TypeError)
    }
    expect(() => createPlexClient({ product: 'X', scopes: ['username', 'joinedAt'] })).not.toThrow()
  })

  test('the bounds of every numeric option and of a header value: at the bound accepted, past it TypeError', () => {
    const bad = [
      { refreshWithin: 6 * 86_400 + 1 },
      { maxRetries: 11 },
      { maxRetries: -1 },
      { maxRetryDelay: 3601 },
      { timeout: 301 },
      { timeout: 0 },
      { maxResponseBytes: 1023 },
      { maxResponseBytes: 64 * 1024 * 1024 + 1 },
      { pollInterval: 61 },
      { pollInterval: 0 },
      { product: 'x'.repeat(257) },
    ]
    for (const options of bad) {
      expect(() => createPlexClient({ product: 'X', ...options }), JSON.stringify(options)).toThrow(TypeError)
    }
    const good = [
      { refreshWithin: 6 * 86_400 },
      { refreshWithin: 0 },
      { maxRetries: 10 },
      { maxRetries: 0 },
      { maxRetryDelay: 3600 },
      { maxRetryDelay: 0 },
      { timeout: 300 },
      { timeout: 0.001 },
      { maxResponseBytes: 1024 },
      { maxResponseBytes: 64 * 1024 * 1024 },
      { pollInterval: 60 },
      { pollInterval: 0.001 },
      { product: 'x'.repeat(256) },
    ]
    for (const options of good) {
      expect(() => createPlexClient({ product: 'X', ...options }), JSON.stringify(options)).not.toThrow()
    }
  })

  test('a scope listed twice is asked for once: in the device JWT and in the token', async () => {
    const plex = await startFake()
    const scopeClaims: unknown[] = []
    const recordingFetch: typeof fetch = (input, init) => {
      if (new URL(String(input)).pathname === PLEX_PATHS.token && typeof init?.body === 'string') {
        scopeClaims.push(decodeJwt((JSON.parse(init.body) as { jwt: string }).jwt).scope)
      }
      return fetch(input, init)
    }
    const client = clientFor(plex, {
      scopes: ['email', 'username', 'email', 'username'],
      fetch: recordingFetch,
    })
    await client.registerDevice(plex.createLegacyToken())
    expect(scopeClaims).toEqual(['email,username'])
    expect((await client.getIdentity()).scopes).toEqual(['username', 'email'])
  })

  test('PlexClientError: fixed messages, a closed set of codes, cause kept', () => {
    const cause = new Error('socket hang up')
    const err = new PlexClientError('NETWORK_ERROR', { cause })
    expect(err).toMatchObject({ name: 'PlexClientError', code: 'NETWORK_ERROR', cause })
    expect(err.message).toBe('The Plex service could not be reached')
    expect(isPlexClientError(Object.assign(new Error('x'), { name: 'PlexClientError', code: 'NOPE' }))).toBe(
      false,
    )
  })
})
