import type { PlexLoginOptions } from '@plexauth/core'
import type { LoginHandler } from '@plexauth/core/adapter'
import { createFakePlex, type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { deriveDeviceKey } from '../src/login/device-key.js'
import { safeReturnTo } from '../src/login/login-handler.js'
import { advance, useFakeDate } from './helpers.js'
import { cookieOf, createPin, HOST, LOGIN_SECRET, loginHandler, poll } from './login-helpers.js'

const SECRET = LOGIN_SECRET

let plex: FakePlex
beforeAll(async () => {
  plex = await createFakePlex()
})
afterAll(() => plex.close())

/** A fetch that records what the login sends to plex.tv (method, path, JSON body) and passes it on. */
function recordingFetch() {
  const sent: { method: string; path: string; body: unknown; headers: Record<string, string> }[] = []
  const fetchImpl: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(String(input))
    sent.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      headers: (init?.headers ?? {}) as Record<string, string>,
    })
    return globalThis.fetch(input, init)
  }
  return { sent, fetchImpl }
}

const handler = (options: Partial<PlexLoginOptions> = {}): LoginHandler => loginHandler(plex, options)

describe('safeReturnTo', () => {
  test.each([
    ['/library?page=2#top', '/library?page=2#top'],
    ['/', '/'],
    ['/a/../b', '/b'],
    [undefined, '/'],
    ['', '/'],
    ['library', '/'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example', '/'],
    ['/x\r\nSet-Cookie: a=b', '/'],
    [`/${'a'.repeat(3000)}`, '/'],
    // At most 2048 characters.
    [`/${'a'.repeat(2047)}`, `/${'a'.repeat(2047)}`],
    [`/${'a'.repeat(2048)}`, '/'],
    // No backslash anywhere, not even where a URL parser would keep it (the query) or turn it into "/".
    ['/a\\b', '/'],
    ['/?q=\\x', '/'],
    // Dot segments that, once removed, would leave a protocol-relative path (another host).
    ['/.//evil.example', '/'],
    ['/..//evil.example/x', '/'],
    ['/a/..//evil.example', '/'],
    ['/%2e//evil.example', '/'],
    ['/a/.//b', '/a//b'],
    ['/ /x', '/%20/x'],
  ])('%j → %j', (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected)
  })
})

describe('the login routes, against the fake plex.tv', () => {
  test('only the routes under basePath are handled; other paths and methods are passed on', async () => {
    const login = handler({ basePath: '/login' })
    expect(login.matches('/login/pin')).toBe(true)
    expect(login.matches('/login')).toBe(false)
    expect(login.matches('/login/')).toBe(false)
    expect(login.matches('/loginx/pin')).toBe(false)
    // A URL is matched on its path: its query names no route.
    expect(login.matches('/login/pin?x=1')).toBe(true)
    expect(login.matches('/login?to=/login/pin')).toBe(false)
    expect(login.matches('/other?next=/login/pin')).toBe(false)
    expect(await login.handle({ method: 'GET', url: '/other', headers: HOST })).toBeUndefined()
    expect(await login.handle({ method: 'DELETE', url: '/login/pin', headers: HOST })).toBeUndefined()
    expect(await login.handle({ method: 'GET', url: '/login/nope', headers: HOST })).toBeUndefined()
    // Each route answers its own method only: a GET never logs out, a POST never starts or finishes a sign-in.
    plex.resetCounters()
    for (const [method, url] of [
      ['GET', '/login/logout'],
      ['POST', '/login/start'],
      ['POST', '/login/callback'],
      ['POST', '/login/pin/1'],
    ] as const) {
      expect(await login.handle({ method, url, headers: HOST }), `${method} ${url}`).toBeUndefined()
    }
    expect(plex.requests()).toBe(0)
    // Methods are compared case-insensitively.
    expect(await login.handle({ method: 'get', url: '/login/session', headers: HOST })).toMatchObject({
      status: 401,
      body: { code: 'TOKEN_MISSING' },
    })
  })

  test('one client identifier end to end, X-Plex-* product headers, a device key of its own for each PIN', async () => {
    const { sent, fetchImpl } = recordingFetch()
    const login = handler({ fetch: fetchImpl })
    const first = await createPin(login)
    await createPin(login)
    await poll(login, first.pin.id, first.state)
    const created = sent.filter((request) => request.method === 'POST' && request.path === PLEX_PATHS.pins)
    expect(created).toHaveLength(2)
    const kids = created.map((request) => (request.body as { jwk: { kid: string } }).jwk.kid)
    expect(new Set(kids).size).toBe(2)
    expect(created[0]?.body).toMatchObject({
      strong: true,
      jwk: { kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA' },
    })
    expect(JSON.stringify(created[0]?.body)).not.toMatch(/"d"/)
    for (const request of sent) {
      expect(request.headers).toMatchObject({
        accept: 'application/json',
        'x-plex-client-identifier': 'core-login-test',
        'x-plex-product': 'Core Test',
        'x-plex-platform': 'Web',
        'x-plex-device': 'plexauth',
        'x-plex-device-name': 'Core Test',
      })
    }
  })

  test('a PIN device key comes from the secret and the nonce: same inputs, same key; another secret, another key', () => {
    const nonce = Buffer.alloc(16, 7)
    const key = (secret: number) => deriveDeviceKey(Buffer.alloc(32, secret), nonce).jwk
    expect(key(1)).toEqual(key(1))
    expect(key(2).x).not.toBe(key(1).x)
    expect(deriveDeviceKey(Buffer.alloc(32, 1), Buffer.alloc(16, 8)).jwk.x).not.toBe(key(1).x)
  })

  test('the jwt flow asks for username, email, friendly_name and restricted: the identity carries them', async () => {
    const login = handler()
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    const answer = await poll(login, pin.id, state)
    expect(answer?.body).toMatchObject({
      identity: {
        kind: 'jwt',
        scopes: ['username', 'email', 'friendly_name', 'restricted'],
        user: { restricted: expect.any(Boolean) },
      },
    })
  })

  test('polls reach plex.tv at most once per pollInterval per PIN, however often the browser asks', async () => {
    useFakeDate(Date.now())
    const login = handler()
    const { pin, state } = await createPin(login)
    plex.resetCounters()
    for (let i = 0; i < 20; i++) expect((await poll(login, pin.id, state))?.status).toBe(202)
    expect(plex.requests(PLEX_PATHS.pin)).toBe(1)
    advance(1)
    for (let i = 0; i < 5; i++) await poll(login, pin.id, state)
    expect(plex.requests(PLEX_PATHS.pin)).toBe(2)
    plex.approvePin(pin.code)
    advance(1)
    const [a, b] = await Promise.all([poll(login, pin.id, state), poll(login, pin.id, state)])
    expect(a?.status).toBe(200)
    expect(b?.status).toBe(200)
    expect(plex.requests(PLEX_PATHS.pin)).toBe(3)
  })

  test('an expired PIN is forgotten: 410 without asking plex.tv', async () => {
    useFakeDate(Date.now())
    const login = handler()
    const { pin, state } = await createPin(login)
    advance(3600)
    plex.resetCounters()
    const answer = await poll(login, pin.id, state)
    expect(answer).toMatchObject({ status: 410, body: { code: 'PIN_EXPIRED' } })
    expect(plex.requests()).toBe(0)
  })

  test('another instance with the same secret finishes a PIN it did not create (the cookie carries the state)', async () => {
    const { pin, state } = await createPin(handler())
    plex.approvePin(pin.code)
    const answer = await poll(handler(), pin.id, state)
    expect(answer?.status).toBe(200)
    expect(cookieOf(answer, 'plexauth_session')).toBeDefined()
    // A login state sealed under another secret is not this app's.
    const foreign = await poll(
      handler({ session: { secret: 'some-other-secret-of-32-characters!' } }),
      pin.id,
      state,
    )
    expect(foreign).toMatchObject({ status: 403, body: { code: 'LOGIN_STATE_INVALID' } })
  })

  test('PIN creation: per-client and total budgets (429 RATE_LIMITED with Retry-After)', async () => {
    const login = handler({ rateLimit: { perClient: 2, total: 6 } })
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) {
      const answer = await login.handle({
        method: 'POST',
        url: '/auth/plex/pin',
        headers: HOST,
        remoteAddress: '10.1.1.1',
      })
      statuses.push(answer?.status ?? 0)
    }
    expect(statuses).toEqual([201, 429, 429])
    const total: number[] = []
    for (let i = 0; i < 4; i++) {
      const answer = await login.handle({
        method: 'POST',
        url: '/auth/plex/pin',
        headers: HOST,
        remoteAddress: `10.2.2.${i}`,
      })
      total.push(answer?.status ?? 0)
      if (answer?.status === 429) expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0)
    }
    expect(total.filter((status) => status === 429).length).toBeGreaterThan(0)
  })

  test('POST /pin and /logout refuse a foreign Origin', async () => {
    const login = handler()
    for (const url of ['/auth/plex/pin', '/auth/plex/logout']) {
      const answer = await login.handle({
        method: 'POST',
        url,
        headers: { ...HOST, origin: 'https://evil.example' },
      })
      expect(answer).toMatchObject({ status: 403, body: { code: 'CSRF_REJECTED' } })
    }
  })

  test('onLogin: a result over 1 KiB, or not an object, is a bare 500 and no session', async () => {
    for (const result of [{ blob: 'x'.repeat(2000) }, 'admin', ['a'], null]) {
      const login = handler({ onLogin: () => result })
      const { pin, state } = await createPin(login)
      plex.approvePin(pin.code)
      const answer = await poll(login, pin.id, state)
      expect(answer).toMatchObject({ status: 500, body: { code: 'INTERNAL_ERROR' } })
      expect(answer?.bug).toBeInstanceOf(TypeError)
      expect(cookieOf(answer, 'plexauth_session')).toBeUndefined()
      // The sign-in is over: its login state is cleared.
      expect(cookieOf(answer, 'plexauth_login')).toBe('plexauth_login=')
    }
  })

  test('onLogin gets the identity, the Plex token and the framework request; runs once per sign-in', async () => {
    const seen: unknown[] = []
    const login = handler({
      onLogin: ({ identity, plexToken, request }) => {
        seen.push({ id: identity.user.id, token: plexToken === identity.token, request })
        return undefined
      },
    })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    const marker = { framework: true }
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        login.handle({
          method: 'GET',
          url: `/auth/plex/pin/${pin.id}`,
          headers: { ...HOST, cookie: state },
          frameworkRequest: marker,
        }),
      ),
    )
    expect(seen).toEqual([{ id: plex.account.id, token: true, request: marker }])
    // Returning nothing lets the user in.
    expect(answers.map((answer) => answer?.status)).toEqual([200, 200, 200])
  })

  test('managed and Home users: empty email and username are absent; restricted and home are kept', async () => {
    const managed = plex.addAccount({ username: '', email: '', restricted: true })
    const login = handler({ flow: 'legacy' })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code, { user: { id: managed.id } })
    const answer = await poll(login, pin.id, state)
    expect(answer?.status).toBe(200)
    const body = answer?.body as { identity: { user: Record<string, unknown> } } | undefined
    const user = body?.identity.user
    expect(user).toMatchObject({ id: managed.id, restricted: true, home: expect.any(Boolean) })
    expect(user).not.toHaveProperty('email')
    expect(user).not.toHaveProperty('username')
  })

  test('plex.tv down while creating a PIN: 503 PLEX_UNAVAILABLE; /start sends the browser back with the code', async () => {
    const login = handler()
    plex.fail(PLEX_PATHS.pins, 'down')
    try {
      const answer = await login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST })
      expect(answer).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
      expect(answer?.headers['retry-after']).toMatch(/^\d+$/)
      const start = await login.handle({ method: 'GET', url: '/auth/plex/start?returnTo=/x', headers: HOST })
      expect(start).toMatchObject({
        status: 303,
        headers: { location: '/x?plexauth_error=PLEX_UNAVAILABLE' },
      })
      // A returnTo whose dot segments hide another host sends the browser to this app's root instead.
      const hidden = await login.handle({
        method: 'GET',
        url: '/auth/plex/start?returnTo=/.//evil.example',
        headers: HOST,
      })
      expect(hidden?.headers.location).toBe('/?plexauth_error=PLEX_UNAVAILABLE')
    } finally {
      plex.recover()
    }
  })

  test('plex.tv failing while polling: 503 PLEX_UNAVAILABLE, the login state kept, and the next poll signs in', async () => {
    const login = handler({ pollInterval: 0.1 })
    const { pin, state } = await createPin(login)
    plex.approvePin(pin.code)
    for (const mode of ['garbage', { status: 500 }, { body: { id: 'x' } }] as const) {
      plex.fail(PLEX_PATHS.pin, mode)
      try {
        const answer = await poll(login, pin.id, state)
        expect(answer).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
        expect(cookieOf(answer, 'plexauth_login')).toBeUndefined()
      } finally {
        plex.recover()
      }
      await new Promise((resolve) => setTimeout(resolve, 120))
    }
    expect((await poll(login, pin.id, state))?.status).toBe(200)
  })

  test('plex.tv answering garbage to PIN creation: 503 PLEX_UNAVAILABLE', async () => {
    const login = handler()
    for (const mode of ['garbage', { status: 201, body: { id: -1, code: '!' } }, { status: 401 }] as const) {
      plex.fail(PLEX_PATHS.pins, mode)
      try {
        const answer = await login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST })
        expect(answer).toMatchObject({ status: 503, body: { code: 'PLEX_UNAVAILABLE' } })
      } finally {
        plex.recover()
      }
    }
  })

  test('/callback without a login state, or still pending: back to the page with a code', async () => {
    const login = handler({ pollInterval: 0.1 })
    const none = await login.handle({ method: 'GET', url: '/auth/plex/callback', headers: HOST })
    expect(none).toMatchObject({ status: 303, headers: { location: '/?plexauth_error=LOGIN_STATE_INVALID' } })
    const start = await login.handle({ method: 'GET', url: '/auth/plex/start?returnTo=/p', headers: HOST })
    const state = String(cookieOf(start, 'plexauth_login'))
    const pending = await login.handle({
      method: 'GET',
      url: '/auth/plex/callback',
      headers: { ...HOST, cookie: state },
    })
    expect(pending).toMatchObject({ status: 303, headers: { location: '/p?plexauth_error=PIN_EXPIRED' } })
  })

  test('/start without a Host header (and no publicUrl) is 400; with publicUrl, forwardUrl uses it', async () => {
    const login = handler()
    const bare = await login.handle({ method: 'GET', url: '/auth/plex/start', headers: {} })
    expect(bare).toMatchObject({ status: 400, body: { code: 'REQUEST_INVALID' } })
    const proxied = handler({ publicUrl: 'https://app.example.com/' })
    const start = await proxied.handle({ method: 'GET', url: '/auth/plex/start', headers: {} })
    expect(start?.status).toBe(302)
    const params = new URLSearchParams(String(start?.headers.location).split('#?')[1])
    expect(params.get('forwardUrl')).toBe('https://app.example.com/auth/plex/callback')
    expect(cookieOf(start, '__Host-plexauth_login')).toBeDefined()
  })

  test('/session re-seals a cookie sealed with an older secret; /logout clears it', async () => {
    const old = handler()
    const { pin, state } = await createPin(old)
    plex.approvePin(pin.code)
    const session = String(cookieOf(await poll(old, pin.id, state), 'plexauth_session'))
    const rotated = handler({ session: { secret: ['a-brand-new-secret-of-32-characters!!', SECRET] } })
    const answer = await rotated.handle({
      method: 'GET',
      url: '/auth/plex/session',
      headers: { ...HOST, cookie: session },
    })
    expect(answer?.status).toBe(200)
    expect(cookieOf(answer, 'plexauth_session')).not.toBe(session)
    const out = await rotated.handle({
      method: 'POST',
      url: '/auth/plex/logout',
      headers: { ...HOST, cookie: session },
    })
    expect(out?.status).toBe(204)
    expect([out?.headers['set-cookie']].flat().join()).toMatch(/plexauth_session=; Path=\/; Max-Age=0/)
  })
})
