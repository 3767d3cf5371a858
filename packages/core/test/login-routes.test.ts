import type { IncomingMessage } from 'node:http'
import type { PlexAuthEvent, PlexLoginOptions } from '@plexauth/core'
import { createLoginHandler, type LoginHandler } from '@plexauth/core/adapter'
import { type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { nodeLoginRequest } from '../src/login/login-handler.js'
import { deriveKeys, seal } from '../src/session/seal.js'
import { advance, startPlex, useFakeDate } from './helpers.js'
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
    console.log('DEBUG', JSON.stringify(answer), JSON.stringify(plex.log))
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
