import { setImmediate as tick } from 'node:timers/promises'
import * as core from '@plexauth/core'
import { AUTHENTICATOR_KEY } from '@plexauth/core/adapter'
import { createFakePlex, DEFAULT_CLIENT_IDENTIFIER, DEFAULT_USER, type FakePlex } from '@plexauth/testing'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import { describe, expect, onTestFinished, test } from 'vitest'
import {
  cookiesOf,
  createPin,
  expectLegacyBudgetPerClient,
  LOGIN_SECRET,
  legacyBudgetOptions,
  loginOptions,
  serve as serveListener,
  signIn,
} from '../../../test/login/adapter-helpers.js'
import * as adapter from '../src/index.js'
import {
  type PlexAuthState,
  plexAuth,
  plexLogin,
  requireAnyScope,
  requireScopes,
  requireUser,
} from '../src/index.js'

/** A Koa app served on a free loopback port until the test ends; its URL. */
function serve(app: Koa3<PlexAuthState> | Koa2<PlexAuthState>): Promise<string> {
  return serveListener(app.callback())
}

describe('misconfiguration throws TypeError when the app is built', () => {
  test.each([
    ['unknown option', () => plexAuth({ clientIdentifer: 'typo' } as never)],
    ['bad realm', () => plexAuth({ realm: 'x'.repeat(200) })],
    ['bad tokenSources', () => plexAuth({ tokenSources: 'query' as never })],
    ['bad forwardErrors', () => plexAuth({ forwardErrors: 1 as never })],
    ['requireScopes()', () => requireScopes()],
    ['requireAnyScope()', () => requireAnyScope()],
    ['requireAnyScope with a backslash', () => requireAnyScope('a\\b')],
    ['requireUser without a function', () => requireUser(null as never)],
  ])('%s', (_name, build) => {
    expect(build).toThrow(TypeError)
  })
})

test('re-exports what an app needs from core, the very same objects', () => {
  expect(adapter.PlexAuthError).toBe(core.PlexAuthError)
  expect(adapter.isPlexAuthError).toBe(core.isPlexAuthError)
  expect(adapter.createPlexVerifier).toBe(core.createPlexVerifier)
})

describe.each([
  ['Koa 3', Koa3],
  ['Koa 2', Koa2],
])('%s', (_name, KoaClass) => {
  test("forwarded errors keep status, WWW-Authenticate and message through Koa's default error handler", async () => {
    const app = new KoaClass<PlexAuthState>()
    app.silent = true
    app.use(
      plexAuth({ jwksUrl: 'http://127.0.0.1:9/keys', clientIdentifier: 'test-app', forwardErrors: true }),
    )
    app.use((ctx) => {
      ctx.body = { reached: true }
    })
    const res = await fetch(await serve(app), { headers: { 'x-plex-token': 'a b' } })
    expect(res.status).toBe(400)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="plex", error="invalid_request", error_description="The request carries its credentials incorrectly"',
    )
    expect(await res.text()).toBe('The request carries its credentials incorrectly')
  })
})

describe.each([
  ['Koa 3', Koa3],
  ['Koa 2', Koa2],
])('%s: where the authenticator is recorded', (_name, KoaClass) => {
  test("on ctx.state, not on Node's request; guards answer in plexAuth's realm", async () => {
    const app = new KoaClass<PlexAuthState>()
    app.silent = true
    app.use(plexAuth({ acceptAnyAudience: true, credentialsRequired: false, realm: 'koa-realm' }))
    const seen: boolean[] = []
    app.use((ctx, next) => {
      seen.push(AUTHENTICATOR_KEY in ctx.req, AUTHENTICATOR_KEY in ctx.state)
      return next()
    })
    app.use(requireScopes('email'))
    const res = await fetch(await serve(app))
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="koa-realm"')
    expect(seen).toEqual([false, true])
  })
})

// What only the Koa adapter decides, on a running app: which address a client is, where a bug is reported,
// what passes on to later middleware, and which headers an earlier middleware keeps.

const SECRET = LOGIN_SECRET
const NEW_SECRET = 'a-new-koa-test-secret-of-at-least-32-chars'

async function fakePlex(): Promise<FakePlex> {
  const plex = await createFakePlex()
  onTestFinished(() => plex.close())
  return plex
}

/** What an app emits as 'error': each error's message, and the path of the request it came with. */
function emittedErrors(
  app: Koa3<PlexAuthState> | Koa2<PlexAuthState>,
): { message: unknown; path: unknown }[] {
  const emitted: { message: unknown; path: unknown }[] = []
  app.on('error', (err: Error, ctx?: { path?: string }) => {
    emitted.push({ message: err.message, path: ctx?.path })
  })
  return emitted
}

describe.each([
  ['Koa 3', Koa3],
  ['Koa 2', Koa2],
])('%s: on a running app', (_name, KoaClass) => {
  /** An app whose guard's predicate throws `thrown` (Koa's own `'error'` listener unless the test adds one). */
  function throwingGuard(plex: FakePlex, thrown: unknown) {
    const app = new KoaClass<PlexAuthState>()
    app.silent = true
    app.use(plexAuth({ jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER }))
    app.use(
      requireUser(() => {
        throw thrown
      }),
    )
    return app
  }

  /** A request with a valid token to `/guarded`: plexauth's bare 500, whatever the guard threw. */
  async function expectInternalError(app: ReturnType<typeof throwingGuard>, plex: FakePlex) {
    const res = await fetch(`${await serve(app)}/guarded`, {
      headers: { authorization: `Bearer ${plex.issueToken()}` },
    })
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ code: 'INTERNAL_ERROR' })
  }

  test('behind a proxy (app.proxy), legacy lookups are budgeted per client as ctx.ip reports it', async () => {
    const plex = await fakePlex()
    const app = new KoaClass<PlexAuthState>()
    app.silent = true
    app.proxy = true
    app.use(plexAuth(legacyBudgetOptions(plex)))
    app.use((ctx) => {
      ctx.body = { id: ctx.state.plex?.user.id }
    })
    const url = await serve(app)
    await expectLegacyBudgetPerClient(plex, async (client, token) => {
      const res = await fetch(url, { headers: { 'x-forwarded-for': client, 'x-plex-token': token } })
      return { status: res.status, body: await res.json() }
    })
  })

  test("a guard's bug is emitted as 'error' with the request's context", async () => {
    const plex = await fakePlex()
    const app = throwingGuard(plex, new Error('predicate bug 4713'))
    const emitted = emittedErrors(app)
    await expectInternalError(app, plex)
    expect(emitted).toEqual([{ message: 'predicate bug 4713', path: '/guarded' }])
  })

  test("a bug in onLogin: a bare 500, and the bug emitted as 'error' with the request's context", async () => {
    const plex = await fakePlex()
    const app = new KoaClass<PlexAuthState>()
    app.silent = true
    const emitted = emittedErrors(app)
    app.use(
      plexLogin(
        loginOptions(plex, {
          onLogin: () => {
            throw new Error('onLogin bug 4714')
          },
        }),
      ),
    )
    const answer = await signIn(plex, await serve(app))
    expect(answer.status).toBe(500)
    expect(JSON.stringify(await answer.json())).not.toMatch(/4714/)
    expect(emitted).toEqual([
      { message: 'onLogin bug 4714', path: expect.stringMatching(/^\/auth\/plex\/pin\//) },
    ])
  })

  test("a bug that throws no Error is emitted as one (Koa's listeners, its default among them, take Errors)", async () => {
    const plex = await fakePlex()
    // Koa's own listener: it throws at anything but an Error, which would have replaced plexauth's answer.
    await expectInternalError(throwingGuard(plex, 'predicate threw a string'), plex)

    const login = new KoaClass<PlexAuthState>()
    login.silent = true
    const emitted = emittedErrors(login)
    login.use(
      plexLogin(
        loginOptions(plex, {
          onLogin: () => {
            throw 'onLogin threw a string'
          },
        }),
      ),
    )
    expect((await signIn(plex, await serve(login))).status).toBe(500)
    expect(emitted).toEqual([
      {
        message: 'non-error thrown: "onLogin threw a string"',
        path: expect.stringMatching(/^\/auth\/plex\/pin\//),
      },
    ])
  })

  test("a bug that throws an object that is no Error is emitted as an Error too (Koa's default listener stays quiet)", async () => {
    const plex = await fakePlex()
    await expectInternalError(throwingGuard(plex, { reason: 'a plain object' }), plex)
  })

  test('a request under basePath that is no login route passes on, and plex.tv hears nothing', async () => {
    const plex = await fakePlex()
    const app = new KoaClass<PlexAuthState>()
    app.silent = true
    app.use(plexLogin(loginOptions(plex)))
    app.use((ctx) => {
      ctx.status = 404
      ctx.body = { passedOn: `${ctx.method} ${ctx.originalUrl}` }
    })
    const url = await serve(app)
    const answers = await Promise.all([
      fetch(`${url}/auth/plex/nowhere`),
      fetch(`${url}/auth/plex/session`, { method: 'POST' }),
      fetch(`${url}/auth/plex/pin/1`, { method: 'DELETE' }),
    ])
    expect(await Promise.all(answers.map(async (answer) => [answer.status, await answer.json()]))).toEqual([
      [404, { passedOn: 'GET /auth/plex/nowhere' }],
      [404, { passedOn: 'POST /auth/plex/session' }],
      [404, { passedOn: 'DELETE /auth/plex/pin/1' }],
    ])
    expect(plex.requests()).toBe(0)
  })

  test("the login routes' cookies are added beside a cookie an earlier middleware set", async () => {
    const plex = await fakePlex()
    const app = new KoaClass<PlexAuthState>()
    app.silent = true
    app.use((ctx, next) => {
      ctx.cookies.set('theme', 'dark')
      return next()
    })
    app.use(plexLogin(loginOptions(plex)))
    const url = await serve(app)
    const created = await createPin(url)
    expect(created.status).toBe(201)
    const names = cookiesOf(created).map((cookie) => cookie.split('=')[0])
    expect(names).toContain('theme')
    expect(names).toContain('plexauth_login')
  })

  test("the login's other headers replace those an earlier middleware set, and onLogin gets Koa's context", async () => {
    const plex = await fakePlex()
    const app = new KoaClass<PlexAuthState>()
    app.silent = true
    app.use((ctx, next) => {
      ;(ctx.state as { mark?: string }).mark = 'koa context'
      ctx.set('cache-control', 'public, max-age=60')
      ctx.type = 'html'
      return next()
    })
    const seen: unknown[] = []
    const onLogin = (context: { request: unknown }) => {
      seen.push((context.request as { state?: { mark?: unknown } }).state?.mark)
    }
    app.use(plexLogin(loginOptions(plex, { onLogin })))
    const url = await serve(app)
    const created = await createPin(url)
    expect(created.status).toBe(201)
    expect([created.headers.get('cache-control'), created.headers.get('content-type')]).toEqual([
      'no-store',
      'application/json; charset=utf-8',
    ])
    expect((await signIn(plex, url)).status).toBe(200)
    expect(seen).toEqual(['koa context'])
  })

  test('mounted under a prefix (ctx.path rewritten, as koa-mount does), the login still answers at basePath', async () => {
    const plex = await fakePlex()
    const app = new KoaClass<PlexAuthState>()
    app.silent = true
    const login = plexLogin(loginOptions(plex))
    // What koa-mount('/auth', login) does: ctx.path without the prefix while the middleware runs.
    app.use(async (ctx, next) => {
      if (!ctx.path.startsWith('/auth/')) return next()
      const outer = ctx.path
      ctx.path = ctx.path.slice('/auth'.length)
      await login(ctx, async () => {
        ctx.path = outer
        await next()
      })
      ctx.path = outer
    })
    app.use((ctx) => {
      ctx.status = 404
      ctx.body = { passedOn: ctx.originalUrl }
    })
    const url = await serve(app)
    const created = await createPin(url)
    expect(created.status).toBe(201)
    expect(await created.json()).toMatchObject({ id: expect.any(Number), code: expect.any(String) })
    const other = await fetch(`${url}/auth/other?next=/auth/plex/pin`)
    expect([other.status, await other.json()]).toEqual([404, { passedOn: '/auth/other?next=/auth/plex/pin' }])
  })

  test('a session cookie re-sealed by plexAuth is added beside a cookie set before it', async () => {
    const plex = await fakePlex()
    const app = new KoaClass<PlexAuthState>()
    app.silent = true
    app.use(plexLogin(loginOptions(plex)))
    app.use((ctx, next) => {
      ctx.append('set-cookie', 'theme=dark; Path=/')
      return next()
    })
    // Opens what plexLogin sealed with SECRET, and seals it anew with NEW_SECRET.
    app.use(
      plexAuth({
        jwksUrl: plex.jwksUrl,
        clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
        session: { secret: [NEW_SECRET, SECRET] },
      }),
    )
    app.use((ctx) => {
      ctx.body = { id: ctx.state.plex?.user.id }
    })
    const url = await serve(app)
    const signedIn = await signIn(plex, url)
    expect(signedIn.status).toBe(200)
    const session = cookiesOf(signedIn).find((cookie) => cookie.startsWith('plexauth_session='))!
    const res = await fetch(`${url}/me`, { headers: { cookie: session } })
    expect(await res.json()).toEqual({ id: DEFAULT_USER.id })
    const cookies = cookiesOf(res)
    expect(cookies).toContain('theme=dark')
    expect(cookies.filter((cookie) => cookie.startsWith('plexauth_session='))).toHaveLength(1)
    expect(cookies).not.toContain(session)
  })

  test('a guard waits for the middleware after it: its answer and its errors reach the middleware before', async () => {
    const plex = await fakePlex()
    const app = new KoaClass<PlexAuthState>()
    app.silent = true
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch (err) {
        ctx.status = 500
        ctx.body = { caught: (err as Error).message }
      }
    })
    app.use(plexAuth({ jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER }))
    app.use(requireScopes('email'))
    app.use(async (ctx) => {
      await tick()
      if (ctx.path === '/throws') throw new Error('handler failed later')
      ctx.body = { id: ctx.state.plex?.user.id }
    })
    const url = await serve(app)
    const headers = { authorization: `Bearer ${plex.issueToken()}` }
    const answered = await fetch(`${url}/me`, { headers })
    expect([answered.status, await answered.json()]).toEqual([200, { id: DEFAULT_USER.id }])
    const failed = await fetch(`${url}/throws`, { headers })
    expect([failed.status, await failed.json()]).toEqual([500, { caught: 'handler failed later' }])
  })
})
