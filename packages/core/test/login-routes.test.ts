import type { IncomingMessage } from 'node:http'
import { PlexAuthError, type PlexAuthEvent, type PlexIdentity, type PlexLoginOptions } from '@plexauth/core'
import { createLoginHandler, type LoginHandler, type LoginResponse } from '@plexauth/core/adapter'
import { type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test, vi } from 'vitest'
import { nodeLoginRequest } from '../src/login/login-handler.js'
import { deriveKeys, seal, unseal } from '../src/session/seal.js'
import { advance, expectSettledAt, fetchOnFakeTimers, startPlex, useFakeDate } from './helpers.js'
import { cookieOf, cookiesOf, createPin, HOST, LOGIN_SECRET, loginHandler, poll } from './login-helpers.js'

const SECRET = LOGIN_SECRET
const handler = loginHandler

const callback = (login: LoginHandler, state: string) =>
  login.handle({ method: 'GET', url: '/auth/plex/callback', headers: { ...HOST, cookie: state } })

/** A login state for the PIN at `/start?returnTo=…`: its cookie. */
async function startAt(login: LoginHandler, returnTo: string) {
  const start = await login.handle({
    method: 'GET',
    url: `/auth/plex/start?returnTo=${encodeURIComponent(returnTo)}`,
    headers: HOST,
  })
  expect(start?.status).toBe(302)
  const code = String(new URLSearchParams(String(start?.headers.location).split('#?')[1]).get('code'))
  return { code, state: String(cookieOf(start, 'plexauth_login')) }
}

describe('nodeLoginRequest', () => {
  test('no url is "/", no socket gives no remote address', () => {
    const bare = { method: 'GET', headers: {}, rawHeaders: [] } as unknown as IncomingMessage
    const request = nodeLoginRequest(bare, 'framework')
    expect(request).toMatchObject({
      url: '/',
      method: 'GET',
      encrypted: false,
      frameworkRequest: 'framework',
    })
    expect(request).not.toHaveProperty('remoteAddress')
    const connected = {
      ...bare,
      url: '/x',
      socket: { remoteAddress: '10.0.0.9' },
    } as unknown as IncomingMessage
    expect(nodeLoginRequest(connected, undefined)).toMatchObject({ url: '/x', remoteAddress: '10.0.0.9' })
  })
})

describe('login state cookies', () => {
  const base = { v: 1, p: 77, c: 'ABCD1234', f: 'legacy', e: Math.floor(Date.now() / 1000) + 600 }
  test.each([
    ['another version', { v: 2 }],
    ['a PIN id that is no integer', { p: 1.5 }],
    ['a code that is no string', { c: 1234 }],
    ['an unknown flow', { f: 'pkce' }],
    ['no expiry', { e: undefined }],
    ['a nonce that is no string', { n: 5 }],
    ['a return path that is no string', { r: ['/'] }],
    ['a jwt flow without its nonce', { f: 'jwt' }],
  ])(
    '%s: 403 LOGIN_STATE_INVALID, and /callback sends the browser home with that code',
    async (_name, change) => {
      const plex = await startPlex()
      const login = handler(plex, { flow: 'legacy' })
      const value = await seal(deriveKeys([SECRET], 'login'), { ...base, ...change })
      const cookie = `plexauth_login=${value}`
      expect(await poll(login, 77, cookie)).toMatchObject({
        status: 403,
        body: { code: 'LOGIN_STATE_INVALID' },
      })
      expect((await callback(login, cookie))?.headers.location).toBe('/?plexauth_error=LOGIN_STATE_INVALID')
      expect(plex.requests()).toBe(0)
      // The same state, valid, reaches plex.tv (which knows no PIN 77: it expired or was withdrawn).
      const valid = `plexauth_login=${await seal(deriveKeys([SECRET], 'login'), base)}`
      expect(await poll(login, 77, valid)).toMatchObject({ status: 410, body: { code: 'PIN_EXPIRED' } })
      expect(plex.requests(PLEX_PATHS.pin)).toBe(1)
    },
  )
})

describe('login state cookies: bound to their PIN', () => {
  test('a login state polls its own PIN only: another PIN id is 403 LOGIN_STATE_INVALID, plex.tv not asked', async () => {
    const plex = await startPlex()
    const login = handler(plex)
    const mine = await createPin(login)
    const theirs = await createPin(login)
    const asked = plex.requests()
    plex.approvePin(theirs.pin.code)
    const answer = await poll(login, theirs.pin.id, mine.state)
    expect(answer).toMatchObject({ status: 403, body: { code: 'LOGIN_STATE_INVALID' } })
    expect(cookieOf(answer, 'plexauth_session')).toBeUndefined()
    expect(plex.requests()).toBe(asked)
  })
})

describe('login state cookies: bounded', () => {
  test('a login state over 4096 characters is refused unread (403 LOGIN_STATE_INVALID), even sealed by this app', async () => {
    const plex = await startPlex()
    const login = handler(plex, { flow: 'legacy' })
    const state = { v: 1, p: 77, c: 'ABCD1234', f: 'legacy', e: Math.floor(Date.now() / 1000) + 600 }
    const long = `plexauth_login=${await seal(deriveKeys([SECRET], 'login'), { ...state, r: `/${'a'.repeat(3000)}` })}`
    expect(long.length).toBeGreaterThan(4096 + 'plexauth_login='.length)
    expect(await poll(login, 77, long)).toMatchObject({ status: 403, body: { code: 'LOGIN_STATE_INVALID' } })
    expect(plex.requests()).toBe(0)
    // The same state with a short return path reaches plex.tv (which knows no PIN 77).
    const short = `plexauth_login=${await seal(deriveKeys([SECRET], 'login'), { ...state, r: '/a' })}`
    expect(await poll(login, 77, short)).toMatchObject({ status: 410, body: { code: 'PIN_EXPIRED' } })
  })
})

describe('routes', () => {
  test('a request without a method is a GET; /session without a cookie is 401 TOKEN_MISSING', async () => {
    const plex = await startPlex()
    const answer = await handler(plex).handle({ url: '/auth/plex/session', headers: HOST })
    expect(answer).toMatchObject({ status: 401, body: { code: 'TOKEN_MISSING' } })
    expect(answer?.headers['www-authenticate']).toBe('Bearer realm="plex"')
  })

  test('/logout without a session cookie still clears it: 204', async () => {
    const plex = await startPlex()
    const answer = await handler(plex).handle({ method: 'POST', url: '/auth/plex/logout', headers: HOST })
    expect(answer?.status).toBe(204)
    expect(cookiesOf(answer)).toEqual([expect.stringMatching(/^plexauth_session=; Path=\/; Max-Age=0/)])
  })

  test('an error code joins returnTo’s query and stays before its fragment', async () => {
    const plex = await startPlex()
    const login = handler(plex)
    plex.fail(PLEX_PATHS.pins, 'down')
    const start = await login.handle({
      method: 'GET',
      url: `/auth/plex/start?returnTo=${encodeURIComponent('/list?page=2#top')}`,
      headers: HOST,
    })
    expect(start?.headers.location).toBe('/list?page=2&plexauth_error=PLEX_UNAVAILABLE#top')
  })

  test('version and the owner token are checked; the version is sent to plex.tv as X-Plex-Version', async () => {
    const plex = await startPlex()
    const headers: Record<string, string>[] = []
    const login = handler(plex, {
      version: '2.5.0',
      access: { machineIdentifier: 'srv-1', ownerToken: plex.createLegacyToken() },
      fetch: (input, init) => {
        headers.push(init?.headers as Record<string, string>)
        return globalThis.fetch(input, init)
      },
    })
    await createPin(login)
    expect(headers[0]).toMatchObject({ 'x-plex-version': '2.5.0' })
    expect(() => handler(plex, { version: 'a\nb' })).toThrow(TypeError)
    // At the bounds: a 256-character product and server identifier are taken.
    expect(() =>
      handler(plex, { product: 'P'.repeat(256), access: { machineIdentifier: 's'.repeat(256) } }),
    ).not.toThrow()
    expect(() => handler(plex, { access: { machineIdentifier: 'srv-1', ownerToken: '' } })).toThrow(TypeError)
  })

  test.each([
    [null, /plexLogin needs options/],
    ['my-app', /plexLogin needs options/],
    [
      { product: 'A', clientIdentifier: 'a', session: { secret: SECRET }, access: 'srv' },
      /access must be an object/,
    ],
    [
      { product: 'A', clientIdentifier: 'a', session: { secret: SECRET }, rateLimit: 10 },
      /rateLimit must be an object/,
    ],
    [
      {
        product: 'A',
        clientIdentifier: 'a',
        session: { secret: SECRET },
        access: { machineIdentifier: 's', ownerId: 0 },
      },
      /access.ownerId must be a Plex account id/,
    ],
    [
      {
        product: 'A',
        clientIdentifier: 'a',
        session: { secret: SECRET },
        access: { machineIdentifier: 's'.repeat(257) },
      },
      /access.machineIdentifier must be the server identifier/,
    ],
    [
      {
        product: 'A',
        clientIdentifier: 'a',
        session: { secret: SECRET },
        access: { machineIdentifier: 's', owner: 1 },
      },
      /unknown option access.owner/,
    ],
    [
      { product: 'A'.repeat(257), clientIdentifier: 'a', session: { secret: SECRET } },
      /product must be 1 to 256/,
    ],
    [{ product: 'A', clientIdentifier: 'a' }, /plexLogin needs a session option/],
  ])('plexLogin %j → TypeError', (options, message) => {
    expect(() => createLoginHandler(options)).toThrow(TypeError)
    expect(() => createLoginHandler(options)).toThrow(message)
  })
})

describe('finishing a sign-in', () => {
  test('Plex’s keys unreachable: 503 KEYS_UNAVAILABLE, the login state kept; the next poll once they are back signs in', async () => {
    useFakeDate(Date.now())
    const plex = await startPlex()
    const login = handler(plex)
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    plex.fail(PLEX_PATHS.keys, 'down')
    const failed = await poll(login, pin.id, state)
    expect(failed).toMatchObject({ status: 503, body: { code: 'KEYS_UNAVAILABLE' } })
    expect(cookiesOf(failed)).toEqual([])
    plex.recover()
    advance(60)
    plex.resetCounters()
    const answer = await poll(login, pin.id, state)
    expect(answer?.status).toBe(200)
    expect(cookieOf(answer, 'plexauth_session')).toBeDefined()
  })

  test('legacy: plex.tv down when confirming the token is 503 PLEX_UNAVAILABLE (state kept); a refused token ends the PIN', async () => {
    useFakeDate(Date.now())
    const plex = await startPlex()
    const login = handler(plex, { flow: 'legacy' })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    plex.fail(PLEX_PATHS.user, 'down')
    const down = await poll(login, pin.id, state)
    expect(down).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
    expect(cookiesOf(down)).toEqual([])
    plex.fail(PLEX_PATHS.user, { status: 401 })
    // Past the backoff a failed request earns.
    advance(60)
    const refused = await poll(login, pin.id, state)
    expect(refused).toMatchObject({ status: 403, body: { code: 'ACCESS_DENIED', reason: 'refused' } })
    expect(cookiesOf(refused)).toEqual([expect.stringMatching(/^plexauth_login=; Path=\/; Max-Age=0/)])
    // The outcome is final for this PIN: asked again, the same answer, and plex.tv is not asked.
    plex.recover()
    plex.resetCounters()
    expect(await poll(login, pin.id, state)).toMatchObject({ status: 403, body: { reason: 'refused' } })
    expect(plex.requests()).toBe(0)
  })

  test('the JWT flow refuses a PIN that yields a legacy token (403, no session), after plex.tv confirmed that token', async () => {
    const plex = await startPlex()
    const login = handler(plex)
    const { pin, state } = await createPin(login)
    const token = plex.createLegacyToken()
    plex.fail(PLEX_PATHS.pin, { body: { id: pin.id, code: pin.code, authToken: token, expiresIn: 600 } })
    plex.resetCounters()
    const answer = await poll(login, pin.id, state)
    expect(answer).toMatchObject({ status: 403, body: { code: 'ACCESS_DENIED', reason: 'refused' } })
    expect(cookieOf(answer, 'plexauth_session')).toBeUndefined()
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
  })

  test('server access: plex.tv down is 503 (try again); denied is 403 no_server_access', async () => {
    useFakeDate(Date.now())
    const plex = await startPlex()
    const server = plex.addServer()
    const login = handler(plex, { access: { machineIdentifier: server.machineIdentifier } })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    plex.fail(PLEX_PATHS.resources, 'down')
    expect(await poll(login, pin.id, state)).toMatchObject({
      status: 503,
      body: { code: 'PLEX_UNAVAILABLE' },
    })
    plex.recover()
    // Past the backoff a failed request earns.
    advance(60)
    const answer = await poll(login, pin.id, state)
    expect(answer?.status).toBe(200)
    expect(answer?.body).toMatchObject({
      identity: { access: { machineIdentifier: server.machineIdentifier } },
    })

    const stranger = plex.addAccount({ username: 'stranger' })
    const other = await createPin(login)
    plex.approvePin(other.pin.code, { user: { id: stranger.id } })
    expect(await poll(login, other.pin.id, other.state)).toMatchObject({
      status: 403,
      body: { code: 'ACCESS_DENIED', reason: 'no_server_access' },
    })
  })

  test('access without ownerOnly lets in a user the server is shared with; with ownerOnly that user is 403 not_owner', async () => {
    const plex = await startPlex()
    const friend = plex.addAccount({ username: 'friend' })
    const server = plex.addServer({ sharedWith: [friend.id] })
    const access = { machineIdentifier: server.machineIdentifier, ownerId: plex.account.id }
    const signIn = async (login: LoginHandler) => {
      const { pin, state } = await createPin(login)
      plex.approvePin(pin.code, { user: { id: friend.id } })
      return poll(login, pin.id, state)
    }
    const shared = await signIn(handler(plex, { access }))
    expect(shared?.status).toBe(200)
    expect(shared?.body).toMatchObject({ identity: { user: { id: friend.id }, access: { owner: false } } })
    expect(await signIn(handler(plex, { access: { ...access, ownerOnly: true } }))).toMatchObject({
      status: 403,
      body: { code: 'ACCESS_DENIED', reason: 'not_owner' },
    })
  })

  test('access without ownerId or ownerToken decides access only: a device list naming the server as the user’s own makes nobody the owner', async () => {
    const plex = await startPlex()
    const server = plex.addServer()
    const stranger = plex.addAccount({ username: 'stranger' })
    const login = handler(plex, { access: { machineIdentifier: server.machineIdentifier } })
    // A device the stranger registered under the server's identifier: plex.tv lists it as a server they own.
    plex.fail(PLEX_PATHS.resources, {
      body: [
        { name: 'Basement', clientIdentifier: server.machineIdentifier, provides: 'server', owned: true },
      ],
    })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code, { user: { id: stranger.id } })
    const answer = await poll(login, pin.id, state)
    expect(answer?.status).toBe(200)
    expect(answer?.body).toMatchObject({ identity: { user: { id: stranger.id }, access: { owner: false } } })
    const session = await login.handle({
      method: 'GET',
      url: '/auth/plex/session',
      headers: { ...HOST, cookie: String(cookieOf(answer, 'plexauth_session')) },
    })
    expect(session?.body).toMatchObject({ user: { id: stranger.id }, access: { owner: false } })
  })

  test('/callback: plex.tv down while finishing sends the browser back with the code; onLogin throwing is a bare 500', async () => {
    const plex = await startPlex()
    const login = handler(plex, { flow: 'legacy', pollInterval: 0.1 })
    const first = await startAt(login, '/home')
    plex.approvePin(first.code)
    plex.fail(PLEX_PATHS.user, 'down')
    const down = await callback(login, first.state)
    expect(down).toMatchObject({
      status: 303,
      headers: { location: '/home?plexauth_error=PLEX_UNAVAILABLE' },
    })
    plex.recover()

    const bug = new Error('onLogin failed')
    const failing = handler(plex, {
      flow: 'legacy',
      onLogin: () => {
        throw bug
      },
    })
    const second = await startAt(failing, '/home')
    plex.approvePin(second.code)
    const answer = await callback(failing, second.state)
    expect(answer).toMatchObject({ status: 500, body: { code: 'INTERNAL_ERROR' }, bug })
    expect(cookiesOf(answer)).toEqual([expect.stringMatching(/^plexauth_login=; Path=\/; Max-Age=0/)])
  })

  test('a poll that arrives while the sign-in is being finished waits for it: onLogin runs once, both get the session', async () => {
    const plex = await startPlex()
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let entered: () => void = () => {}
    const inOnLogin = new Promise<void>((resolve) => {
      entered = resolve
    })
    let calls = 0
    const login = handler(plex, {
      onLogin: async () => {
        calls++
        entered()
        await gate
        return { role: 'viewer' }
      },
    })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    const first = poll(login, pin.id, state)
    await inOnLogin
    plex.resetCounters()
    const second = poll(login, pin.id, state)
    release()
    const answers = await Promise.all([first, second])
    expect(answers.map((answer) => answer?.status)).toEqual([200, 200])
    expect(cookieOf(answers[1], 'plexauth_session')).toBe(cookieOf(answers[0], 'plexauth_session'))
    expect(calls).toBe(1)
    expect(plex.requests()).toBe(0)
    // Later polls of the signed-in PIN get the same answer without asking plex.tv.
    const again = await poll(login, pin.id, state)
    expect(cookieOf(again, 'plexauth_session')).toBe(cookieOf(answers[0], 'plexauth_session'))
    expect(plex.requests()).toBe(0)
  })
})

describe('plex.tv’s PIN endpoints misbehaving', () => {
  function recorded(plex: FakePlex, options: Partial<PlexLoginOptions> = {}) {
    const events: PlexAuthEvent[] = []
    const login = handler(plex, { onEvent: (event) => events.push(event), ...options })
    return { events, login }
  }

  test('events name the path only (no query), and a 429 as rate_limited', async () => {
    const plex = await startPlex()
    const { events, login } = recorded(plex, { flow: 'legacy' })
    plex.fail(PLEX_PATHS.pins, { status: 429 })
    const answer = await login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST })
    expect(answer).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
    expect(events).toEqual([
      {
        type: 'plex_request_failed',
        url: `${plex.url}/api/v2/pins`,
        reason: 'rate_limited',
        status: 429,
        retryIn: 1,
      },
    ])
  })

  test('a poll answered with another PIN is PLEX_UNAVAILABLE (invalid_body), the state kept', async () => {
    const plex = await startPlex()
    const { events, login } = recorded(plex)
    const { pin, state } = await createPin(login)
    plex.fail(PLEX_PATHS.pin, { body: { id: pin.id + 1, code: pin.code, authToken: null, expiresIn: 600 } })
    const answer = await poll(login, pin.id, state)
    expect(answer).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
    expect(cookiesOf(answer)).toEqual([])
    expect(events).toEqual([
      {
        type: 'plex_request_failed',
        url: `${plex.url}/api/v2/pins/${pin.id}`,
        reason: 'invalid_body',
        retryIn: 1,
      },
    ])
  })

  test('a fetch that answers with no response, or an empty body, is PLEX_UNAVAILABLE', async () => {
    const plex = await startPlex()
    for (const [answer, reason] of [
      [undefined, 'network'],
      [new Response(null, { status: 201 }), 'invalid_body'],
    ] as const) {
      const { events, login } = recorded(plex, { fetch: async () => answer as unknown as Response })
      const created = await login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST })
      expect(created).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
      expect(events).toMatchObject([{ type: 'plex_request_failed', reason }])
    }
  })
})

describe('answers and cookies', () => {
  test('every answer is no-store (JSON and redirects); only a 401 carries WWW-Authenticate', async () => {
    const plex = await startPlex()
    const login = handler(plex)
    const created = await login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST })
    expect(created?.status).toBe(201)
    expect(created?.headers['cache-control']).toBe('no-store')
    const start = await login.handle({ method: 'GET', url: '/auth/plex/start', headers: HOST })
    expect(start?.status).toBe(302)
    expect(start?.headers['cache-control']).toBe('no-store')
    const refused = await login.handle({
      method: 'POST',
      url: '/auth/plex/pin',
      headers: { ...HOST, origin: 'https://evil.example' },
    })
    expect(refused).toMatchObject({ status: 403, body: { code: 'CSRF_REJECTED' } })
    expect(refused?.headers['cache-control']).toBe('no-store')
    expect(refused?.headers).not.toHaveProperty('www-authenticate')
    const { pin, state } = await createPin(login)
    plex.denyPin(pin.code)
    const gone = await poll(login, pin.id, state)
    expect(gone).toMatchObject({ status: 410, body: { code: 'PIN_EXPIRED' } })
    expect(gone?.headers).not.toHaveProperty('www-authenticate')
    // A PIN that ended ends its login state.
    expect(cookiesOf(gone)).toEqual([expect.stringMatching(/^plexauth_login=; Path=\/; Max-Age=0/)])
  })

  test('a pending poll sets no cookie: its headers are the JSON ones and nothing else', async () => {
    const plex = await startPlex()
    const login = handler(plex)
    const { pin, state } = await createPin(login)
    const pending = await poll(login, pin.id, state)
    expect(pending).toMatchObject({ status: 202, body: { status: 'pending' } })
    expect(pending?.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    })
  })

  test('POST /pin: expiresAt is when the PIN expires, and the login-state cookie lives exactly that long', async () => {
    useFakeDate()
    const plex = await startPlex()
    const answer = await handler(plex).handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST })
    const expiresAt = Date.parse((answer?.body as { expiresAt?: string } | undefined)?.expiresAt ?? '')
    expect(expiresAt).toBeGreaterThan(Date.now())
    const line = cookiesOf(answer).find((cookie) => cookie.startsWith('plexauth_login='))
    expect(line).toContain(`; Max-Age=${Math.floor((expiresAt - Date.now()) / 1000)};`)
  })

  test('a PIN expiring mid-second is taken to expire at that second: expiresAt and Max-Age round down', async () => {
    useFakeDate()
    const plex = await startPlex()
    const expiresAt = new Date(Date.now() + 600_500).toISOString()
    const login = handler(plex, {
      fetch: async () =>
        Response.json({ id: 1, code: 'ABCD1234', authToken: null, expiresAt }, { status: 201 }),
    })
    const answer = await login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST })
    expect(answer?.status).toBe(201)
    expect(answer?.body).toMatchObject({ expiresAt: new Date(Date.now() + 600_000).toISOString() })
    const line = cookiesOf(answer).find((cookie) => cookie.startsWith('plexauth_login='))
    expect(line).toContain('; Max-Age=600;')
  })

  test('every end of a sign-in clears the login state: signed in by poll or /callback, refused at /callback, an unreadable state', async () => {
    const plex = await startPlex()
    const cleared = expect.stringMatching(/^plexauth_login=; Path=\/; Max-Age=0/)
    const login = handler(plex)
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    const polled = await poll(login, pin.id, state)
    expect(polled?.status).toBe(200)
    expect(cookiesOf(polled)).toEqual([cleared, expect.stringMatching(/^plexauth_session=[^;]/)])

    const first = await startAt(login, '/home')
    plex.approvePin(first.code)
    const back = await callback(login, first.state)
    expect(back).toMatchObject({ status: 303, headers: { location: '/home' } })
    expect(cookiesOf(back)).toEqual([cleared, expect.stringMatching(/^plexauth_session=[^;]/)])

    const refusing = handler(plex, { onLogin: () => false })
    const second = await startAt(refusing, '/home')
    plex.approvePin(second.code)
    const refused = await callback(refusing, second.state)
    expect(refused?.headers.location).toBe('/home?plexauth_error=ACCESS_DENIED')
    expect(cookiesOf(refused)).toEqual([cleared])

    const unreadable = await callback(login, 'plexauth_login=not-a-sealed-state')
    expect(unreadable?.headers.location).toBe('/?plexauth_error=LOGIN_STATE_INVALID')
    expect(cookiesOf(unreadable)).toEqual([cleared])
  })

  test('/session: a cookie that opens to no session is cleared; a re-sealed one keeps its remaining life', async () => {
    useFakeDate()
    const plex = await startPlex()
    const old = handler(plex)
    const dead = await old.handle({
      method: 'GET',
      url: '/auth/plex/session',
      headers: { ...HOST, cookie: 'plexauth_session=not-a-session' },
    })
    expect(dead).toMatchObject({ status: 401, body: { code: 'TOKEN_MISSING' } })
    expect(cookiesOf(dead)).toEqual([expect.stringMatching(/^plexauth_session=; Path=\/; Max-Age=0/)])

    const { pin, state } = await createPin(old)
    plex.approvePin(pin.code)
    const signedIn = await poll(old, pin.id, state)
    const line = (answer: LoginResponse | undefined) =>
      String(cookiesOf(answer).find((cookie) => cookie.startsWith('plexauth_session=')))
    const maxAge = /; Max-Age=(\d+);/.exec(line(signedIn))?.[1]
    expect(Number(maxAge)).toBeGreaterThan(3600)
    advance(30)
    const rotated = handler(plex, { session: { secret: ['a-brand-new-secret-of-32-characters!!', SECRET] } })
    const renewed = await rotated.handle({
      method: 'GET',
      url: '/auth/plex/session',
      headers: { ...HOST, cookie: String(cookieOf(signedIn, 'plexauth_session')) },
    })
    expect(renewed?.status).toBe(200)
    expect(line(renewed)).toContain(`; Max-Age=${Number(maxAge) - 30};`)
  })

  test('/logout ends the session in the revocation store; on https it clears the __Host- cookie', async () => {
    const plex = await startPlex()
    const revoked = new Set<string>()
    const revocations = {
      revoke: (sid: string) => {
        revoked.add(sid)
      },
      revokeUser: () => {},
      isRevoked: ({ sessionId }: { sessionId: string }) => revoked.has(sessionId),
    }
    const login = handler(plex, { session: { secret: SECRET, revocations } })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    const session = String(cookieOf(await poll(login, pin.id, state), 'plexauth_session'))
    const out = await login.handle({
      method: 'POST',
      url: '/auth/plex/logout',
      headers: { ...HOST, cookie: session },
    })
    expect(out?.status).toBe(204)
    expect(revoked.size).toBe(1)
    const after = await login.handle({
      method: 'GET',
      url: '/auth/plex/session',
      headers: { ...HOST, cookie: session },
    })
    expect(after).toMatchObject({ status: 401, body: { code: 'TOKEN_MISSING' } })

    const secure = await login.handle({
      method: 'POST',
      url: '/auth/plex/logout',
      headers: { host: 'app.example.com' },
      encrypted: true,
    })
    expect(cookiesOf(secure)).toEqual([
      expect.stringMatching(/^__Host-plexauth_session=; Path=\/; Max-Age=0;.*Secure/),
    ])
  })

  test('behind a proxy (publicUrl): its origin may POST /pin whatever the Host, and forwardUrl is built on it', async () => {
    const plex = await startPlex()
    const login = handler(plex, { publicUrl: 'https://app.example.com' })
    const created = await login.handle({
      method: 'POST',
      url: '/auth/plex/pin',
      headers: { host: '127.0.0.1:3000', origin: 'https://app.example.com' },
    })
    expect(created?.status).toBe(201)
    const start = await login.handle({
      method: 'GET',
      url: '/auth/plex/start',
      headers: { host: '127.0.0.1:3000' },
    })
    const params = new URLSearchParams(String(start?.headers.location).split('#?')[1])
    expect(params.get('forwardUrl')).toBe('https://app.example.com/auth/plex/callback')
    // Plex's sign-in page is told the client identifier, the PIN's code and the product's name.
    expect(params.get('clientID')).toBe('core-login-test')
    expect(params.get('code')).toMatch(/./)
    expect(params.get('context[device][product]')).toBe('Core Test')
  })

  test('PIN creation is budgeted per client address: one client waiting (Retry-After to its next PIN) leaves another its own', async () => {
    useFakeDate()
    const plex = await startPlex()
    const login = handler(plex, { rateLimit: { perClient: 2, total: 1000 } })
    const send = (remoteAddress: string) =>
      login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST, remoteAddress })
    expect((await send('10.9.0.1'))?.status).toBe(201)
    const limited = await send('10.9.0.1')
    expect(limited).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } })
    // Two a minute, one at a time: the next in 30 seconds.
    expect(limited?.headers['retry-after']).toBe('30')
    expect((await send('10.9.0.2'))?.status).toBe(201)
  })

  test('a client’s Retry-After is rounded up to the second: 7 a minute is one every 8.57 s, so 9', async () => {
    useFakeDate()
    const plex = await startPlex()
    const login = handler(plex, { rateLimit: { perClient: 7, total: 1000 } })
    const statuses: number[] = []
    let limited: LoginResponse | undefined
    for (let i = 0; i < 5; i++) {
      limited = await login.handle({
        method: 'POST',
        url: '/auth/plex/pin',
        headers: HOST,
        remoteAddress: '10.9.3.1',
      })
      statuses.push(limited?.status ?? 0)
    }
    // 4 at once (half of 7, rounded up), then a wait of 60/7 seconds.
    expect(statuses).toEqual([201, 201, 201, 201, 429])
    expect(limited?.headers['retry-after']).toBe('9')
  })

  test('the defaults: 5 PINs at once per client (10 a minute), pollInterval 2 seconds', async () => {
    useFakeDate()
    const plex = await startPlex()
    const login = handler(plex, { rateLimit: undefined, pollInterval: undefined })
    const statuses: number[] = []
    let body: unknown
    for (let i = 0; i < 6; i++) {
      const answer = await login.handle({
        method: 'POST',
        url: '/auth/plex/pin',
        headers: HOST,
        remoteAddress: '10.9.1.1',
      })
      statuses.push(answer?.status ?? 0)
      body ??= answer?.body
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429])
    expect(body).toMatchObject({ pollInterval: 2 })
    // 60 a minute in total, 20 at once: the 21st client waits.
    const total = handler(plex, { rateLimit: undefined })
    const all: number[] = []
    for (let i = 0; i < 21; i++) {
      const answer = await total.handle({
        method: 'POST',
        url: '/auth/plex/pin',
        headers: HOST,
        remoteAddress: `10.9.2.${i}`,
      })
      all.push(answer?.status ?? 0)
    }
    expect(all.filter((status) => status === 201)).toHaveLength(20)
    expect(all[20]).toBe(429)
  })
})

describe('finishing a sign-in: what is final', () => {
  test('onLogin: exactly 1 KiB of JSON is kept in the session as app; 1 KiB and a byte is a bare 500', async () => {
    const plex = await startPlex()
    // {"b":"…"}: 8 bytes around the value.
    for (const [size, status] of [
      [1024, 200],
      [1025, 500],
    ] as const) {
      const login = handler(plex, { onLogin: () => ({ b: 'x'.repeat(size - 8) }) })
      const { pin, state } = await createPin(login)
      plex.approvePin(pin.code)
      const answer = await poll(login, pin.id, state)
      expect(answer?.status).toBe(status)
      if (status === 200)
        expect(answer?.body).toMatchObject({ identity: { app: { b: 'x'.repeat(size - 8) } } })
    }
  })

  test('onLogin throwing a bug ends the PIN: the same login state polled again is the same 500, onLogin not run again', async () => {
    const plex = await startPlex()
    let calls = 0
    const login = handler(plex, {
      onLogin: () => {
        calls++
        if (calls === 1) throw new Error('a bug')
      },
    })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    expect(await poll(login, pin.id, state)).toMatchObject({ status: 500, body: { code: 'INTERNAL_ERROR' } })
    plex.resetCounters()
    expect(await poll(login, pin.id, state)).toMatchObject({ status: 500, body: { code: 'INTERNAL_ERROR' } })
    expect(calls).toBe(1)
    expect(plex.requests()).toBe(0)
  })

  test('an outage while finishing is retried by the very next poll, without waiting for pollInterval', async () => {
    useFakeDate()
    const plex = await startPlex()
    let calls = 0
    const login = handler(plex, {
      onLogin: () => {
        calls++
        if (calls === 1) throw new PlexAuthError('PLEX_UNAVAILABLE', { retryAfter: 1 })
      },
    })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    const failed = await poll(login, pin.id, state)
    expect(failed).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
    expect(cookiesOf(failed)).toEqual([])
    // The clock has not moved: the next poll asks plex.tv again at once.
    const answer = await poll(login, pin.id, state)
    expect(answer?.status).toBe(200)
    expect(calls).toBe(2)
  })

  test('the legacy flow refuses a PIN that yields a Plex JWT (403, no session), though the JWT is valid', async () => {
    const plex = await startPlex()
    const login = handler(plex, { flow: 'legacy' })
    const { pin, state } = await createPin(login)
    const token = plex.issueToken({ clientIdentifier: 'core-login-test' })
    plex.fail(PLEX_PATHS.pin, { body: { id: pin.id, code: pin.code, authToken: token, expiresIn: 600 } })
    const answer = await poll(login, pin.id, state)
    expect(answer).toMatchObject({ status: 403, body: { code: 'ACCESS_DENIED', reason: 'refused' } })
    expect(cookieOf(answer, 'plexauth_session')).toBeUndefined()
    // The same token signs in with the jwt flow: only the flow refused it.
    const jwt = handler(plex)
    const other = await createPin(jwt)
    plex.fail(PLEX_PATHS.pin, {
      body: { id: other.pin.id, code: other.pin.code, authToken: token, expiresIn: 600 },
    })
    expect((await poll(jwt, other.pin.id, other.state))?.status).toBe(200)
  })

  test('an ownerOnly sign-in seals a session that only the owner may keep (its record says ownerOnly)', async () => {
    const plex = await startPlex()
    const server = plex.addServer()
    const login = handler(plex, {
      access: { machineIdentifier: server.machineIdentifier, ownerId: plex.account.id, ownerOnly: true },
    })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    const answer = await poll(login, pin.id, state)
    expect(answer?.status).toBe(200)
    const value = String(cookieOf(answer, 'plexauth_session')).slice('plexauth_session='.length)
    const opened = await unseal(deriveKeys([SECRET], 'session'), value, 8192)
    expect(opened?.payload).toMatchObject({ oo: true, a: { m: server.machineIdentifier, o: true } })
  })

  test('routes lists exactly what handle answers: each route with its method, nothing with the other method', async () => {
    const plex = await startPlex()
    const login = handler(plex)
    expect(login.routes.map(({ method, path }) => `${method} ${path}`)).toEqual([
      'POST /pin',
      'GET /pin/:id',
      'GET /start',
      'GET /callback',
      'GET /session',
      'POST /logout',
    ])
    for (const { method, path } of login.routes) {
      const url = `/auth/plex${path.replace(':id', '12345')}`
      const other = method === 'GET' ? 'POST' : 'GET'
      expect(await login.handle({ method, url, headers: { ...HOST } }), `${method} ${url}`).toBeDefined()
      expect(
        await login.handle({ method: other, url, headers: { ...HOST } }),
        `${other} ${url}`,
      ).toBeUndefined()
    }
    // `/pin/:id` is one path segment, as a router reading `routes` matches it.
    for (const url of ['/auth/plex/pin/12345/', '/auth/plex/pin/12345/x', '/auth/plex/pin//12345']) {
      expect(await login.handle({ method: 'GET', url, headers: { ...HOST } }), url).toBeUndefined()
    }
    expect(Object.isFrozen(login.routes)).toBe(true)
  })

  test("the session seals the owner's account id its access was decided by: configured, or read with ownerToken; none without either", async () => {
    const plex = await startPlex()
    const friend = plex.addAccount({ username: 'friend' })
    const server = plex.addServer({ sharedWith: [friend.id] })
    const m = server.machineIdentifier
    const sealedAccess = async (access: { ownerId?: number; ownerToken?: string }, userId: number) => {
      const login = handler(plex, { access: { machineIdentifier: m, ...access } })
      const { pin, state } = await createPin(login)
      plex.approvePin(pin.code, { user: { id: userId } })
      const answer = await poll(login, pin.id, state)
      expect(answer?.status).toBe(200)
      const value = String(cookieOf(answer, 'plexauth_session')).slice('plexauth_session='.length)
      return (await unseal(deriveKeys([SECRET], 'session'), value, 8192))?.payload.a
    }
    expect(await sealedAccess({ ownerId: plex.account.id }, friend.id)).toEqual({
      m,
      o: false,
      src: 'resources',
      oid: plex.account.id,
    })
    const ownerToken = plex.createLegacyToken({ accountId: plex.account.id })
    expect(await sealedAccess({ ownerToken }, plex.account.id)).toEqual({
      m,
      o: true,
      src: 'resources',
      oid: plex.account.id,
    })
    expect(await sealedAccess({}, plex.account.id)).toEqual({ m, o: false, src: 'resources' })
  })

  test('legacy: the token plex.tv gives is confirmed by plex.tv at each sign-in (no answer kept beyond a second)', async () => {
    useFakeDate()
    const plex = await startPlex()
    const login = handler(plex, { flow: 'legacy' })
    const token = plex.createLegacyToken()
    for (let i = 0; i < 2; i++) {
      const { pin, state } = await createPin(login)
      plex.fail(PLEX_PATHS.pin, { body: { id: pin.id, code: pin.code, authToken: token, expiresIn: 600 } })
      expect((await poll(login, pin.id, state))?.status).toBe(200)
      advance(2)
    }
    expect(plex.requests(PLEX_PATHS.user)).toBe(2)
  })

  test('/callback polls plex.tv a few times: an approval that shows on the second poll signs in', async () => {
    const plex = await startPlex()
    let code = ''
    let polls = 0
    const login = handler(plex, {
      pollInterval: 0.1,
      fetch: async (input, init) => {
        const answer = await globalThis.fetch(input, init)
        if (
          (init?.method ?? 'GET') === 'GET' &&
          new URL(String(input)).pathname.startsWith('/api/v2/pins/')
        ) {
          polls++
          if (polls === 1) plex.approvePin(code)
        }
        return answer
      },
    })
    const started = await startAt(login, '/home')
    code = started.code
    const back = await callback(login, started.state)
    expect(back).toMatchObject({ status: 303, headers: { location: '/home' } })
    expect(cookieOf(back, 'plexauth_session')).toBeDefined()
    expect(polls).toBe(2)
  })

  test('/callback polls plex.tv three times, even when its timer fires early by the clock', async () => {
    const plex = await startPlex()
    let polls = 0
    const login = handler(plex, {
      pollInterval: 0.2,
      fetch: async (input, init) => {
        if ((init?.method ?? 'GET') === 'GET' && new URL(String(input)).pathname.startsWith('/api/v2/pins/'))
          polls++
        return globalThis.fetch(input, init)
      },
    })
    const started = await startAt(login, '/home')
    // libuv's timers run on the loop's clock, not Date.now(): a wait can end a little before Date.now() says
    // the poll interval has passed. Here every wait of 50 ms or more ends 40 ms early.
    const realSetTimeout = globalThis.setTimeout
    const early = vi
      .spyOn(globalThis, 'setTimeout')
      .mockImplementation(((run: () => void, ms?: number) =>
        realSetTimeout(run, ms !== undefined && ms >= 50 ? ms - 40 : ms)) as typeof setTimeout)
    try {
      const back = await callback(login, started.state)
      expect(back?.headers.location).toBe('/home?plexauth_error=PIN_EXPIRED')
    } finally {
      early.mockRestore()
    }
    expect(polls).toBe(3)
  })
})

describe('plex.tv’s PIN endpoints: what is sent and what is believed', () => {
  function recorded(plex: FakePlex, options: Partial<PlexLoginOptions> = {}) {
    const events: PlexAuthEvent[] = []
    const sent: { method: string; url: string; headers: Record<string, string> }[] = []
    const login = handler(plex, {
      onEvent: (event) => events.push(event),
      fetch: (input, init) => {
        sent.push({
          method: init?.method ?? 'GET',
          url: String(input),
          headers: (init?.headers ?? {}) as Record<string, string>,
        })
        return globalThis.fetch(input, init)
      },
      ...options,
    })
    return { events, sent, login }
  }

  test('a legacy PIN is a strong one (?strong=true); a JSON body goes with its content type, a poll has neither', async () => {
    const plex = await startPlex()
    for (const flow of ['legacy', 'jwt'] as const) {
      const { sent, login } = recorded(plex, { flow })
      const { pin, state } = await createPin(login)
      await poll(login, pin.id, state)
      const [create, polled] = sent
      expect(create?.method).toBe('POST')
      if (flow === 'legacy') {
        expect(create?.url).toBe(`${plex.url}/api/v2/pins?strong=true`)
        expect(create?.headers).not.toHaveProperty('content-type')
      } else {
        expect(create?.headers['content-type']).toBe('application/json')
      }
      expect(polled?.method).toBe('GET')
      expect(polled?.headers).not.toHaveProperty('content-type')
    }
  })

  test('a PIN created with 200 instead of 201 is taken; a PIN said to live a day is believed for an hour', async () => {
    useFakeDate()
    const plex = await startPlex()
    const { login } = recorded(plex, { flow: 'legacy' })
    plex.fail(PLEX_PATHS.pins, {
      status: 200,
      body: { id: 4242, code: 'ABCD1234', authToken: null, expiresIn: 86_400 },
    })
    const answer = await login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST })
    expect(answer).toMatchObject({ status: 201, body: { id: 4242, code: 'ABCD1234' } })
    const expiresAt = Date.parse((answer?.body as { expiresAt?: string } | undefined)?.expiresAt ?? '')
    expect(expiresAt - Date.now()).toBe(3600_000)
    expect(cookiesOf(answer)[0]).toContain('; Max-Age=3600;')
  })

  test('a PIN answer of 64 KiB is read; one byte more is PLEX_UNAVAILABLE (too_large, Retry-After 1)', async () => {
    const plex = await startPlex()
    const { events, login } = recorded(plex, { flow: 'legacy' })
    plex.fail(PLEX_PATHS.pins, { hugeBytes: 64 * 1024 }, { times: 1 })
    expect((await login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST }))?.status).toBe(201)
    plex.fail(PLEX_PATHS.pins, { hugeBytes: 64 * 1024 + 1 }, { times: 1 })
    const answer = await login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST })
    expect(answer).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
    expect(answer?.headers['retry-after']).toBe('1')
    expect(events).toMatchObject([{ type: 'plex_request_failed', reason: 'too_large' }])
  })

  test('plex.tv not answering PIN creation within timeout: PLEX_UNAVAILABLE, reason timeout', async () => {
    const plex = await startPlex()
    const { events, login } = recorded(plex, { flow: 'legacy', timeout: 0.05 })
    plex.fail(PLEX_PATHS.pins, 'hang')
    const answer = await login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST })
    expect(answer).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
    expect(events).toMatchObject([{ type: 'plex_request_failed', reason: 'timeout' }])
  })

  test.each([
    ['401', { status: 401 }],
    ['410', { status: 410 }],
    ['201 with an approved PIN', { status: 201 }],
  ])(
    'a poll answered %s proves nothing: PLEX_UNAVAILABLE, the login state kept, no session',
    async (_name, mode) => {
      const plex = await startPlex()
      const { login } = recorded(plex, { flow: 'legacy' })
      const { pin, state } = await createPin(login)
      const token = plex.createLegacyToken()
      plex.fail(PLEX_PATHS.pin, {
        ...mode,
        body: { id: pin.id, code: pin.code, authToken: token, expiresIn: 600 },
      })
      const answer = await poll(login, pin.id, state)
      expect(answer).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
      expect(cookiesOf(answer)).toEqual([])
    },
  )
})

describe('defaults, nonces, events and expiry of a sign-in', () => {
  test('the defaults: PINs at https://clients.plex.tv (jwt) and https://plex.tv (legacy), X-Plex-Version 1.0, the sign-in page at https://app.plex.tv/auth', async () => {
    const plex = await startPlex()
    const sent: { url: string; headers: Record<string, string> }[] = []
    const fetchImpl: typeof globalThis.fetch = async (input, init) => {
      sent.push({ url: String(input), headers: (init?.headers ?? {}) as Record<string, string> })
      return Response.json({ id: 1, code: 'ABCD1234', authToken: null, expiresIn: 600 }, { status: 201 })
    }
    const defaults = { plexTvUrl: undefined, clientsUrl: undefined, authAppUrl: undefined, fetch: fetchImpl }
    for (const flow of ['jwt', 'legacy'] as const) {
      const answer = await handler(plex, { ...defaults, flow }).handle({
        method: 'POST',
        url: '/auth/plex/pin',
        headers: HOST,
      })
      expect(
        String((answer?.body as { authUrl?: string } | undefined)?.authUrl).startsWith(
          'https://app.plex.tv/auth#?',
        ),
      ).toBe(true)
    }
    expect(sent.map((request) => request.url)).toEqual([
      'https://clients.plex.tv/api/v2/pins',
      'https://plex.tv/api/v2/pins?strong=true',
    ])
    for (const request of sent) expect(request.headers['x-plex-version']).toBe('1.0')
  })

  test('by default Plex’s keys come from https://clients.plex.tv/api/v2/auth/keys', async () => {
    const plex = await startPlex()
    const urls: string[] = []
    const login = handler(plex, {
      plexTvUrl: undefined,
      clientsUrl: undefined,
      jwksUrl: undefined,
      fetch: (input, init) => {
        const url = String(input)
        urls.push(url.split('?')[0] ?? url)
        return globalThis.fetch(url.replace(/^https:\/\/(?:clients\.)?plex\.tv/, plex.url), init)
      },
    })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    expect((await poll(login, pin.id, state))?.status).toBe(200)
    expect(urls).toContain('https://clients.plex.tv/api/v2/auth/keys')
  })

  test('each jwt sign-in has a nonce of its own, 16 random bytes, sealed in its login state', async () => {
    const plex = await startPlex()
    const login = handler(plex)
    const nonces: Buffer[] = []
    for (let i = 0; i < 2; i++) {
      const { state } = await createPin(login)
      const opened = await unseal(deriveKeys([SECRET], 'login'), state.slice('plexauth_login='.length), 4096)
      nonces.push(Buffer.from(String(opened?.payload.n), 'base64url'))
    }
    expect(nonces.map((nonce) => nonce.length)).toEqual([16, 16])
    expect(nonces[0]?.equals(nonces[1] as Buffer)).toBe(false)
  })

  test('what goes wrong while finishing a sign-in reaches onEvent: Plex’s keys unreachable, plex.tv failing the access check', async () => {
    const plex = await startPlex()
    const server = plex.addServer()
    const events: PlexAuthEvent[] = []
    const onEvent = (event: PlexAuthEvent) => events.push(event)
    const login = handler(plex, { onEvent })
    const first = await createPin(login)
    plex.approvePin(first.pin.code)
    plex.fail(PLEX_PATHS.keys, 'down')
    expect((await poll(login, first.pin.id, first.state))?.status).toBe(503)
    expect(events).toContainEqual(expect.objectContaining({ type: 'keys_fetch_failed', url: plex.jwksUrl }))
    plex.recover()
    const guarded = handler(plex, { onEvent, access: { machineIdentifier: server.machineIdentifier } })
    const second = await createPin(guarded)
    plex.approvePin(second.pin.code)
    plex.fail(PLEX_PATHS.resources, 'down')
    expect((await poll(guarded, second.pin.id, second.state))?.status).toBe(503)
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'plex_request_failed',
        url: expect.stringContaining(PLEX_PATHS.resources),
      }),
    )
  })

  test('PIN creation that plex.tv never answers fails at the default timeout (5 s) on the clock, not a millisecond before', async () => {
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.pins, 'hang')
    const { fetch, sent } = fetchOnFakeTimers()
    const login = handler(plex, { flow: 'legacy', fetch })
    const creating = login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST })
    await sent
    await expectSettledAt(creating, 5000)
    const answer = await creating
    expect(answer).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
  })

  test('onLogin’s object is kept as JSON, the same in the sign-in answer as in every later one', async () => {
    const plex = await startPlex()
    const login = handler(plex, { onLogin: () => ({ role: 'viewer', since: new Date(0) }) })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    const signedIn = await poll(login, pin.id, state)
    const app = { role: 'viewer', since: '1970-01-01T00:00:00.000Z' }
    expect((signedIn?.body as { identity?: { app: unknown } } | undefined)?.identity?.app).toEqual(app)
    const session = await login.handle({
      method: 'GET',
      url: '/auth/plex/session',
      headers: { ...HOST, cookie: String(cookieOf(signedIn, 'plexauth_session')) },
    })
    expect((session?.body as { app?: unknown } | undefined)?.app).toEqual(app)
  })

  test('onLogin sees the access just decided, as req.plex will (the README’s role example); without access none', async () => {
    const plex = await startPlex()
    const friend = plex.addAccount({ username: 'friend' })
    const server = plex.addServer({ sharedWith: [friend.id] })
    const seen: PlexIdentity[] = []
    const signIn = async (options: Partial<PlexLoginOptions>, userId: number) => {
      const login = handler(plex, {
        ...options,
        onLogin: ({ identity }) => {
          seen.push(identity)
          return { role: identity.access?.owner ? 'admin' : 'member' }
        },
      })
      const { pin, state } = await createPin(login)
      plex.approvePin(pin.code, { user: { id: userId } })
      const answer = await poll(login, pin.id, state)
      return (answer?.body as { identity?: { app?: unknown } } | undefined)?.identity?.app
    }
    const access = { machineIdentifier: server.machineIdentifier, ownerId: plex.account.id }
    expect(await signIn({ access }, plex.account.id)).toEqual({ role: 'admin' })
    expect(await signIn({ access }, friend.id)).toEqual({ role: 'member' })
    expect(await signIn({}, plex.account.id)).toEqual({ role: 'member' })
    expect(seen.map((identity) => identity.access)).toEqual([
      { machineIdentifier: server.machineIdentifier, owner: true, source: 'resources', stale: false },
      { machineIdentifier: server.machineIdentifier, owner: false, source: 'resources', stale: false },
      undefined,
    ])
    expect(Object.isFrozen(seen[0])).toBe(true)
    // The token is still there, and still out of what the identity serializes to.
    expect(seen[0]!.token).toMatch(/^ey/)
    expect(JSON.stringify(seen[0])).not.toContain(seen[0]!.token)
  })

  test('a PIN is expired from its very expiry second: 410 without asking plex.tv', async () => {
    useFakeDate()
    const plex = await startPlex()
    const login = handler(plex)
    const { pin, state } = await createPin(login)
    const opened = await unseal(deriveKeys([SECRET], 'login'), state.slice('plexauth_login='.length), 4096)
    const expiresAt = Number(opened?.payload.e) * 1000
    advance((expiresAt - Date.now() - 1) / 1000)
    plex.resetCounters()
    expect((await poll(login, pin.id, state))?.status).toBe(202)
    expect(plex.requests(PLEX_PATHS.pin)).toBe(1)
    advance(0.001)
    plex.resetCounters()
    expect(await poll(login, pin.id, state)).toMatchObject({ status: 410, body: { code: 'PIN_EXPIRED' } })
    expect(plex.requests()).toBe(0)
  })
})
