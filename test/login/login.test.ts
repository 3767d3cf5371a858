import type { PlexLoginOptions, SessionOptions } from '@plexauth/core'
import type { PlexAuthSessionOptions } from '@plexauth/core/adapter'
import { createFakePlex, type FakePlex, type FakeServer, PLEX_PATHS } from '@plexauth/testing'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { LOGIN_FRAMEWORKS, type RunningLoginApp } from './apps.js'
import { Browser, cookieLine, type LoginAnswer } from './browser.js'

/**
 * The contract table of the login HTTP API (issue 13), on every framework version, against the fake plex.tv.
 * Every row signs in the way a browser does: `POST /pin`, the user approves at the fake, `GET /pin/:id`.
 */

const SERVER_ID = 'login-server-0001'
const OWNER_ID = 123456
const FRIEND_ID = 7001
const STRANGER_ID = 7002
const REFUSED_ID = 7003
const REVALIDATE_AFTER = 60
const STALE_IF_ERROR = 300
const OLD_SECRET = 'an-old-secret-of-at-least-32-characters!!'
const NEW_SECRET = 'a-new-secret-of-at-least-32-characters!!!'
const FOREIGN_SECRET = 'a-foreign-secret-of-at-least-32-characters'
const SESSION_COOKIE = 'plexauth_session'
const LOGIN_COOKIE = 'plexauth_login'

interface Apps {
  plex: FakePlex
  server: FakeServer
  /** flow jwt, access to the server, onLogin keeping `{ role }` (refusing REFUSED_ID). */
  main: RunningLoginApp
  legacy: RunningLoginApp
  ownerOnly: RunningLoginApp
  /** Secrets [NEW, OLD]: opens what main (OLD) sealed, and seals with NEW. */
  rotated: RunningLoginApp
  foreign: RunningLoginApp
  /** Polls plex.tv at most every 5 s, and lets a client create 2 PINs. */
  slow: RunningLoginApp
}

function onLogin({ identity }: { identity: { user: { id: number } } }) {
  if (identity.user.id === REFUSED_ID) return false
  return { role: identity.user.id === OWNER_ID ? 'admin' : 'member' }
}

async function startApps(framework: (typeof LOGIN_FRAMEWORKS)[number]): Promise<Apps> {
  const plex = await createFakePlex()
  for (const id of [FRIEND_ID, STRANGER_ID, REFUSED_ID]) plex.addAccount({ id, username: `user${id}` })
  const server = plex.addServer({
    machineIdentifier: SERVER_ID,
    ownerId: OWNER_ID,
    sharedWith: [FRIEND_ID, REFUSED_ID],
  })
  const urls = {
    plexTvUrl: plex.url,
    clientsUrl: plex.url,
    authAppUrl: `${plex.url}/auth`,
    jwksUrl: plex.jwksUrl,
  }
  const start = (
    session: SessionOptions,
    login: Partial<PlexLoginOptions> = {},
    auth: Partial<PlexAuthSessionOptions> = {},
  ) =>
    framework.start({
      login: {
        product: 'Login Test',
        clientIdentifier: 'login-test-app',
        session,
        access: { machineIdentifier: SERVER_ID },
        onLogin,
        pollInterval: 0.1,
        rateLimit: { perClient: 10_000, total: 10_000 },
        ...urls,
        ...login,
      },
      auth: {
        clientIdentifier: 'login-test-app',
        session,
        jwksUrl: plex.jwksUrl,
        plexTvUrl: plex.url,
        ...auth,
      },
    })
  const timing = { revalidateAfter: REVALIDATE_AFTER, staleIfError: STALE_IF_ERROR }
  return {
    plex,
    server,
    main: await start({ secret: OLD_SECRET, ...timing }),
    legacy: await start({ secret: OLD_SECRET, ...timing }, { flow: 'legacy' }),
    ownerOnly: await start(
      { secret: OLD_SECRET, ...timing },
      { access: { machineIdentifier: SERVER_ID, ownerId: OWNER_ID, ownerOnly: true } },
    ),
    rotated: await start({ secret: [NEW_SECRET, OLD_SECRET], ...timing }),
    foreign: await start({ secret: FOREIGN_SECRET, ...timing }),
    slow: await start({ secret: OLD_SECRET }, { pollInterval: 5, rateLimit: { perClient: 2, total: 100 } }),
  }
}

interface Pin {
  id: number
  code: string
  authUrl: string
  expiresAt: string
  pollInterval: number
}

async function createPin(browser: Browser): Promise<Pin> {
  const answer = await browser.send('/auth/plex/pin', { method: 'POST' })
  expect(answer.status).toBe(201)
  return answer.body as Pin
}

/** A full sign-in as `userId`: PIN, approval at the fake, one poll. */
async function signIn(
  apps: Apps,
  app: RunningLoginApp,
  userId: number,
): Promise<{ browser: Browser; answer: LoginAnswer }> {
  const browser = new Browser(app.url)
  const pin = await createPin(browser)
  apps.plex.approvePin(pin.code, { user: { id: userId } })
  const answer = await browser.send(`/auth/plex/pin/${pin.id}`)
  return { browser, answer }
}

/** What the fake's sign-in page does on "Deny": `POST /__fake/pins/deny` with the PIN's code. */
async function denyAtFake(plex: FakePlex, code: string): Promise<void> {
  const response = await fetch(`${plex.url}/__fake/pins/deny`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  })
  expect(response.status).toBeLessThan(300)
}

function expectError(answer: LoginAnswer, status: number, code: string) {
  expect(answer.status).toBe(status)
  expect(answer.body).toMatchObject({
    code,
    error: expect.any(String),
    error_description: expect.any(String),
  })
}

afterEach(() => {
  vi.useRealTimers()
})

describe.each(LOGIN_FRAMEWORKS)('login routes on $name', (framework) => {
  let apps: Apps
  beforeAll(async () => {
    apps = await startApps(framework)
  })
  afterAll(async () => {
    await Promise.all(
      [apps.main, apps.legacy, apps.ownerOnly, apps.rotated, apps.foreign, apps.slow].map((app) =>
        app.close(),
      ),
    )
    await apps.plex.close()
  })

  test('flow jwt: POST /pin creates a strong PIN at plex.tv with the device key and product headers', async () => {
    apps.plex.resetCounters()
    const browser = new Browser(apps.main.url)
    const answer = await browser.send('/auth/plex/pin', { method: 'POST' })
    expect(answer.status).toBe(201)
    const pin = answer.body as Pin
    expect(pin).toEqual({
      id: expect.any(Number),
      code: expect.stringMatching(/^[a-z0-9]{25}$/),
      authUrl: expect.stringContaining(`${apps.plex.url}/auth#?`),
      expiresAt: expect.any(String),
      pollInterval: 0.1,
    })
    const auth = new URLSearchParams(pin.authUrl.split('#?')[1])
    expect(auth.get('clientID')).toBe('login-test-app')
    expect(auth.get('code')).toBe(pin.code)
    expect(auth.get('context[device][product]')).toBe('Login Test')
    const created = apps.plex.log.find((entry) => entry.method === 'POST' && entry.path === PLEX_PATHS.pins)
    expect(created?.headers).toMatchObject({
      accept: 'application/json',
      'x-plex-client-identifier': 'login-test-app',
      'x-plex-product': 'Login Test',
    })
    const login = cookieLine(answer, LOGIN_COOKIE)
    expect(login).toMatch(/HttpOnly/)
    expect(login).toMatch(/SameSite=Lax/)
    expect(login).toMatch(/Path=\//)
  })

  test('flow jwt succeeds: 200 signed_in, the session cookie, and req.plex from the cookie', async () => {
    const { browser, answer } = await signIn(apps, apps.main, FRIEND_ID)
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({
      status: 'signed_in',
      identity: {
        kind: 'jwt',
        user: { id: FRIEND_ID },
        access: { machineIdentifier: SERVER_ID, owner: false },
        app: { role: 'member' },
      },
    })
    expect(JSON.stringify(answer.body)).not.toMatch(/"token"/)
    const line = cookieLine(answer, SESSION_COOKIE)
    expect(line).toMatch(/HttpOnly/)
    expect(line).toMatch(/SameSite=Lax/)
    expect(line).toMatch(/Path=\//)
    expect(line).toMatch(/Max-Age=\d+/)
    expect(line).not.toMatch(/Secure/)
    expect(browser.cookies.get(SESSION_COOKIE)?.length).toBeLessThan(4096)
    const me = await browser.send('/me')
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({
      plex: {
        kind: 'jwt',
        user: { id: FRIEND_ID },
        app: { role: 'member' },
        session: { issuedAt: expect.any(Number) },
      },
    })
    const session = await browser.send('/auth/plex/session')
    expect(session.status).toBe(200)
    expect(session.body).toMatchObject({
      user: { id: FRIEND_ID },
      session: { expiresAt: expect.any(Number) },
    })
  })

  test('flow legacy succeeds: the token is checked through /api/v2/user', async () => {
    apps.plex.resetCounters()
    const { browser, answer } = await signIn(apps, apps.legacy, FRIEND_ID)
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({
      status: 'signed_in',
      identity: { kind: 'legacy', user: { id: FRIEND_ID } },
    })
    expect(apps.plex.requests(PLEX_PATHS.user)).toBeGreaterThan(0)
    expect((await browser.send('/me')).body).toMatchObject({
      plex: { kind: 'legacy', user: { id: FRIEND_ID } },
    })
  })

  test('pending: 202 until approved; polls reach plex.tv at most once per pollInterval', async () => {
    const browser = new Browser(apps.slow.url)
    const pin = await createPin(browser)
    apps.plex.resetCounters()
    for (let i = 0; i < 5; i++) {
      const answer = await browser.send(`/auth/plex/pin/${pin.id}`)
      expect(answer.status).toBe(202)
      expect(answer.body).toEqual({ status: 'pending' })
    }
    expect(apps.plex.requests(PLEX_PATHS.pin)).toBe(1)
  })

  test('expired: 410 PIN_EXPIRED once the PIN has expired, and the login state is cleared', async () => {
    const browser = new Browser(apps.main.url)
    const pin = await createPin(browser)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.parse(pin.expiresAt) + 1000)
    const answer = await browser.send(`/auth/plex/pin/${pin.id}`)
    expectError(answer, 410, 'PIN_EXPIRED')
    expect(cookieLine(answer, LOGIN_COOKIE)).toMatch(/Max-Age=0/)
  })

  test('denied by the user: the fake sign-in page\'s "Deny" withdraws the PIN; the poll is 410 PIN_EXPIRED', async () => {
    const browser = new Browser(apps.main.url)
    const pin = await createPin(browser)
    await denyAtFake(apps.plex, pin.code)
    const answer = await browser.send(`/auth/plex/pin/${pin.id}`)
    expectError(answer, 410, 'PIN_EXPIRED')
    expect(cookieLine(answer, SESSION_COOKIE)).toBeUndefined()
    // Through /start and /callback, the page learns it as plexauth_error.
    const start = await browser.send('/auth/plex/start?returnTo=/home')
    const params = new URLSearchParams(String(start.headers.location).split('#?')[1])
    await denyAtFake(apps.plex, String(params.get('code')))
    const back = await browser.send('/auth/plex/callback')
    expect(back.status).toBe(303)
    expect(back.headers.location).toBe('/home?plexauth_error=PIN_EXPIRED')
  })

  test('no server access: 403 ACCESS_DENIED, reason no_server_access, no session', async () => {
    const { answer } = await signIn(apps, apps.main, STRANGER_ID)
    expectError(answer, 403, 'ACCESS_DENIED')
    expect(answer.body).toMatchObject({ reason: 'no_server_access' })
    expect(cookieLine(answer, SESSION_COOKIE)).toBeUndefined()
  })

  test('not the owner: 403 ACCESS_DENIED, reason not_owner; the owner gets in', async () => {
    const { answer } = await signIn(apps, apps.ownerOnly, FRIEND_ID)
    expectError(answer, 403, 'ACCESS_DENIED')
    expect(answer.body).toMatchObject({ reason: 'not_owner' })
    const owner = await signIn(apps, apps.ownerOnly, OWNER_ID)
    expect(owner.answer.status).toBe(200)
    expect(owner.answer.body).toMatchObject({ identity: { access: { owner: true }, app: { role: 'admin' } } })
  })

  test('refused by onLogin: 403 ACCESS_DENIED, reason refused, no session', async () => {
    const { answer } = await signIn(apps, apps.main, REFUSED_ID)
    expectError(answer, 403, 'ACCESS_DENIED')
    expect(answer.body).toMatchObject({ reason: 'refused' })
    expect(cookieLine(answer, SESSION_COOKIE)).toBeUndefined()
  })

  test("login CSRF: a poll without this browser's login state is 403 LOGIN_STATE_INVALID", async () => {
    const victim = new Browser(apps.main.url)
    const pin = await createPin(victim)
    apps.plex.approvePin(pin.code, { user: { id: FRIEND_ID } })
    const attacker = new Browser(apps.main.url)
    expectError(await attacker.send(`/auth/plex/pin/${pin.id}`), 403, 'LOGIN_STATE_INVALID')
    // Another browser's login state names another PIN.
    const other = await createPin(attacker)
    expect(other.id).not.toBe(pin.id)
    expectError(await attacker.send(`/auth/plex/pin/${pin.id}`), 403, 'LOGIN_STATE_INVALID')
    expect((await victim.send(`/auth/plex/pin/${pin.id}`)).status).toBe(200)
  })

  test('/start redirects to Plex with forwardUrl to /callback; /callback signs in and returns to returnTo', async () => {
    const browser = new Browser(apps.main.url)
    const start = await browser.send('/auth/plex/start?returnTo=/library%3Fpage%3D2')
    expect(start.status).toBe(302)
    const location = String(start.headers.location)
    expect(location.startsWith(`${apps.plex.url}/auth#?`)).toBe(true)
    const params = new URLSearchParams(location.split('#?')[1])
    expect(params.get('forwardUrl')).toBe(`${apps.main.url}/auth/plex/callback`)
    apps.plex.approvePin(String(params.get('code')), { user: { id: FRIEND_ID } })
    const back = await browser.send('/auth/plex/callback')
    expect(back.status).toBe(303)
    expect(back.headers.location).toBe('/library?page=2')
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true)
    expect((await browser.send('/me')).status).toBe(200)
  })

  // No body of the login's own: Express and Fastify send none, Koa its status text (as for any bodiless answer).
  test('the redirects of /start and /callback and the 204 of /logout carry no JSON', async () => {
    const browser = new Browser(apps.main.url)
    const start = await browser.send('/auth/plex/start?returnTo=/home')
    const params = new URLSearchParams(String(start.headers.location).split('#?')[1])
    apps.plex.approvePin(String(params.get('code')), { user: { id: FRIEND_ID } })
    const back = await browser.send('/auth/plex/callback')
    const logout = await browser.send('/auth/plex/logout', {
      method: 'POST',
      headers: { origin: apps.main.url },
    })
    const bodiless = [start, back, logout].map((answer) => [
      answer.status,
      /json/.test(String(answer.headers['content-type'])),
      typeof answer.body,
    ])
    expect(bodiless).toEqual([
      [302, false, expect.stringMatching(/^(undefined|string)$/)],
      [303, false, expect.stringMatching(/^(undefined|string)$/)],
      [204, false, 'undefined'],
    ])
  })

  test.each(['https://evil.example/steal', '//evil.example/steal', '/\\evil.example', 'javascript:alert(1)'])(
    'an open redirect is refused: returnTo %s becomes /',
    async (returnTo) => {
      const browser = new Browser(apps.main.url)
      const start = await browser.send(`/auth/plex/start?returnTo=${encodeURIComponent(returnTo)}`)
      expect(start.status).toBe(302)
      const params = new URLSearchParams(String(start.headers.location).split('#?')[1])
      apps.plex.approvePin(String(params.get('code')), { user: { id: FRIEND_ID } })
      const back = await browser.send('/auth/plex/callback')
      expect(back.status).toBe(303)
      expect(back.headers.location).toBe('/')
    },
  )

  test.each([
    ['no server access', 'main', STRANGER_ID],
    ['not the owner', 'ownerOnly', FRIEND_ID],
    ['refused by onLogin', 'main', REFUSED_ID],
  ] as const)(
    '/callback on refusal (%s): 303 to returnTo with plexauth_error=<CODE>',
    async (_label, app, userId) => {
      const browser = new Browser(apps[app].url)
      const start = await browser.send('/auth/plex/start?returnTo=/welcome')
      const params = new URLSearchParams(String(start.headers.location).split('#?')[1])
      apps.plex.approvePin(String(params.get('code')), { user: { id: userId } })
      const back = await browser.send('/auth/plex/callback')
      expect(back.status).toBe(303)
      expect(back.headers.location).toBe('/welcome?plexauth_error=ACCESS_DENIED')
      expect(browser.cookies.has(SESSION_COOKIE)).toBe(false)
    },
  )

  test('a tampered, foreign-secret or expired cookie is no session: 401, never a 500', async () => {
    const { browser } = await signIn(apps, apps.main, FRIEND_ID)
    const value = String(browser.cookies.get(SESSION_COOKIE))
    const tampered = `${value.slice(0, -5)}${value.slice(-5) === 'AAAAA' ? 'BBBBB' : 'AAAAA'}`
    for (const cookie of [tampered, 'garbage', `${value}x`, '..']) {
      const answer = await browser.send('/me', { headers: { cookie: `${SESSION_COOKIE}=${cookie}` } })
      expectError(answer, 401, 'TOKEN_MISSING')
      expectError(
        await browser.send('/auth/plex/session', { headers: { cookie: `${SESSION_COOKIE}=${cookie}` } }),
        401,
        'TOKEN_MISSING',
      )
    }
    const foreign = new Browser(apps.foreign.url)
    foreign.cookies.set(SESSION_COOKIE, value)
    expectError(await foreign.send('/me'), 401, 'TOKEN_MISSING')
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 8 * 86_400_000)
    expectError(await browser.send('/me'), 401, 'TOKEN_MISSING')
    expectError(await browser.send('/auth/plex/session'), 401, 'TOKEN_MISSING')
  })

  test('CSRF on unsafe methods: a cookie POST from another origin is 403 CSRF_REJECTED; a token header is not affected', async () => {
    const { browser } = await signIn(apps, apps.main, FRIEND_ID)
    expectError(
      await browser.send('/me', { method: 'POST', headers: { origin: 'https://evil.example' } }),
      403,
      'CSRF_REJECTED',
    )
    expectError(await browser.send('/me', { method: 'POST' }), 403, 'CSRF_REJECTED')
    expectError(
      await browser.send('/me', { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } }),
      403,
      'CSRF_REJECTED',
    )
    expect((await browser.send('/me', { method: 'POST', headers: { origin: apps.main.url } })).status).toBe(
      200,
    )
    expect(
      (await browser.send('/me', { method: 'POST', headers: { 'sec-fetch-site': 'same-origin' } })).status,
    ).toBe(200)
    const token = apps.plex.issueToken({ clientIdentifier: 'login-test-app' })
    const withToken = await browser.send('/me', {
      method: 'POST',
      headers: { origin: 'https://evil.example', authorization: `Bearer ${token}` },
    })
    expect(withToken.status).toBe(200)
    // The header wins over the cookie.
    expect(withToken.body).toMatchObject({ plex: { user: { id: OWNER_ID } } })
    expect((withToken.body as { plex: object }).plex).not.toHaveProperty('session')
  })

  test('any other request under basePath goes through plexAuth: 401 without a session, the app’s own 404 with one', async () => {
    const anonymous = new Browser(apps.main.url)
    for (const [method, path] of [
      ['GET', '/auth/plex/anything'],
      ['POST', '/auth/plex/session'],
      ['GET', '/auth/plex/logout'],
      ['HEAD', '/auth/plex/session'],
      ['GET', '/auth/plex/'],
      // `/pin/:id` is one path segment: a longer path under /pin/ is no poll.
      ['GET', '/auth/plex/pin/12345/'],
      ['GET', '/auth/plex/pin/12345/x'],
      ['GET', '/auth/plex/pin//12345'],
    ] as const) {
      const answer = await anonymous.send(path, { method })
      expect(answer.status, `${method} ${path}`).toBe(401)
      expect(String(answer.headers['www-authenticate']), `${method} ${path}`).toMatch(/^Bearer /)
    }
    const { browser } = await signIn(apps, apps.main, FRIEND_ID)
    expect((await browser.send('/auth/plex/anything')).status).toBe(404)
    expect((await browser.send('/auth/plex/pin/12345/x')).status).toBe(404)
  })

  test('logout: 204 and the cookie cleared', async () => {
    const { browser } = await signIn(apps, apps.main, FRIEND_ID)
    const answer = await browser.send('/auth/plex/logout', {
      method: 'POST',
      headers: { origin: apps.main.url },
    })
    expect(answer.status).toBe(204)
    expect(cookieLine(answer, SESSION_COOKIE)).toMatch(/Max-Age=0/)
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false)
    expectError(await browser.send('/auth/plex/session'), 401, 'TOKEN_MISSING')
  })

  test('access revoked: the session ends within revalidateAfter', async () => {
    const revoked = apps.plex.addAccount({ username: 'soon-unshared' })
    const shared = apps.server
    shared.share(revoked.id)
    const { browser, answer } = await signIn(apps, apps.main, revoked.id)
    expect(answer.status).toBe(200)
    shared.unshare(revoked.id)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + (REVALIDATE_AFTER - 5) * 1000)
    // Within revalidateAfter the sealed decision stands.
    expect((await browser.send('/me')).status).toBe(200)
    vi.setSystemTime(Date.now() + 10_000)
    const after = await browser.send('/me')
    expectError(after, 401, 'TOKEN_MISSING')
    expect(cookieLine(after, SESSION_COOKIE)).toMatch(/Max-Age=0/)
    expectError(await browser.send('/auth/plex/session'), 401, 'TOKEN_MISSING')
  })

  test('plex.tv down: the session keeps working within staleIfError, then 503, never a 401', async () => {
    const { browser } = await signIn(apps, apps.main, FRIEND_ID)
    apps.plex.fail('*', 'down')
    try {
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(Date.now() + (REVALIDATE_AFTER + 1) * 1000)
      const stale = await browser.send('/me')
      expect(stale.status).toBe(200)
      expect(stale.body).toMatchObject({ plex: { user: { id: FRIEND_ID }, access: { stale: true } } })
      vi.setSystemTime(Date.now() + STALE_IF_ERROR * 1000)
      const down = await browser.send('/me')
      expect(down.status).toBe(503)
      expect(down.body).toMatchObject({ code: 'PLEX_UNAVAILABLE' })
    } finally {
      apps.plex.recover()
    }
    vi.setSystemTime(Date.now() + 61_000)
    const back = await browser.send('/me')
    expect(back.status).toBe(200)
    expect(back.body).toMatchObject({ plex: { access: { stale: false } } })
    // Checked again: the cookie is sealed anew.
    expect(cookieLine(back, SESSION_COOKIE)).toMatch(/Max-Age=\d+/)
  })

  test('secret rotation: a cookie sealed with the old secret still opens, and is re-sealed with the new one', async () => {
    const { browser } = await signIn(apps, apps.main, FRIEND_ID)
    const old = String(browser.cookies.get(SESSION_COOKIE))
    const rotated = new Browser(apps.rotated.url)
    rotated.cookies.set(SESSION_COOKIE, old)
    const answer = await rotated.send('/me')
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ plex: { user: { id: FRIEND_ID }, app: { role: 'member' } } })
    const renewed = String(rotated.cookies.get(SESSION_COOKIE))
    expect(renewed).not.toBe(old)
    expect((await rotated.send('/auth/plex/session')).status).toBe(200)
    // Sealed with the new secret: an app that only knows the old one cannot open it.
    const main = new Browser(apps.main.url)
    main.cookies.set(SESSION_COOKIE, renewed)
    expectError(await main.send('/me'), 401, 'TOKEN_MISSING')
  })

  test('cookies are Secure with the __Host- prefix unless plain http on a loopback host', async () => {
    const browser = new Browser(apps.main.url)
    const answer = await browser.send('/auth/plex/pin', {
      method: 'POST',
      headers: { host: 'app.example.com' },
    })
    expect(answer.status).toBe(201)
    const line = cookieLine(answer, `__Host-${LOGIN_COOKIE}`)
    expect(line).toMatch(/; Secure/)
    expect(line).toMatch(/Path=\//)
    const pin = answer.body as Pin
    apps.plex.approvePin(pin.code, { user: { id: FRIEND_ID } })
    const signedIn = await browser.send(`/auth/plex/pin/${pin.id}`, { headers: { host: 'app.example.com' } })
    expect(signedIn.status).toBe(200)
    expect(cookieLine(signedIn, `__Host-${SESSION_COOKIE}`)).toMatch(/; Secure/)
    // A __Host- cookie is read on the public host; the unprefixed name is not.
    expect((await browser.send('/me', { headers: { host: 'app.example.com' } })).status).toBe(200)
    const plain = String(browser.cookies.get(`__Host-${SESSION_COOKIE}`))
    const tossed = await browser.send('/me', {
      headers: { host: 'app.example.com', cookie: `${SESSION_COOKIE}=${plain}` },
    })
    expect(tossed.status).toBe(401)
  })

  test('PIN creation is rate-limited per client: 429 RATE_LIMITED with Retry-After', async () => {
    const browser = new Browser(apps.slow.url)
    const answers: LoginAnswer[] = []
    for (let i = 0; i < 4; i++) answers.push(await browser.send('/auth/plex/pin', { method: 'POST' }))
    const limited = answers.find((answer) => answer.status === 429)
    expect(limited).toBeDefined()
    expectError(limited as LoginAnswer, 429, 'RATE_LIMITED')
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0)
  })

  test('onLogin throwing: 500 with no details, and no session', async () => {
    const throwing = await framework.start({
      login: {
        product: 'Login Test',
        clientIdentifier: 'login-test-app',
        session: { secret: OLD_SECRET },
        onLogin: () => {
          throw new Error('database is down: secret detail')
        },
        pollInterval: 0.1,
        plexTvUrl: apps.plex.url,
        clientsUrl: apps.plex.url,
        jwksUrl: apps.plex.jwksUrl,
      },
      auth: {
        clientIdentifier: 'login-test-app',
        session: { secret: OLD_SECRET },
        jwksUrl: apps.plex.jwksUrl,
      },
    })
    try {
      const { answer } = await signIn(apps, throwing, FRIEND_ID)
      expect(answer.status).toBe(500)
      expect(JSON.stringify(answer.body)).not.toMatch(/secret detail|database/)
      expect(cookieLine(answer, SESSION_COOKIE)).toBeUndefined()
    } finally {
      await throwing.close()
    }
  })
})
