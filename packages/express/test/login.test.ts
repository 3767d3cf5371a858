import type { PlexLoginOptions } from '@plexauth/core'
import { createFakePlex, DEFAULT_CLIENT_IDENTIFIER, type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import express5 from 'express'
import express4 from 'express4'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import {
  cookiesOf as cookies,
  LOGIN_SECRET,
  serve,
  loginOptions as sharedLoginOptions,
  signIn as sharedSignIn,
} from '../../../test/login/adapter-helpers.js'
import { plexAuth, plexLogin, requireUser } from '../src/index.js'

// What only the Express adapter decides: how it reports a bug, what it passes on, and which URL it reads.
// The login routes themselves are the contract table's (test/login).

const SECRET = LOGIN_SECRET
const NEW_SECRET = 'a-new-express-test-secret-of-32-characters'
const CLIENT_IDENTIFIER = DEFAULT_CLIENT_IDENTIFIER

const majors: [string, typeof express5][] = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
]

let plex: FakePlex
beforeAll(async () => {
  plex = await createFakePlex()
})
afterAll(() => plex.close())
afterEach(() => {
  vi.restoreAllMocks()
  plex.reset()
})

// The shared helpers, on this file's fake plex.tv.
const loginOptions = (extra?: Partial<PlexLoginOptions>) => sharedLoginOptions(plex, extra)
const signIn = (url: string, basePath?: string) => sharedSignIn(plex, url, basePath)

/** console.error, silenced and recorded. */
function stderr(): unknown[][] {
  return vi.spyOn(console, 'error').mockImplementation(() => {}).mock.calls
}

/** An app in production mode whose `onLogin` throws `bug`. */
function failingLogin(express: typeof express5, bug: unknown): ReturnType<typeof express5> {
  const app = express()
  app.set('env', 'production')
  app.use(
    plexLogin(
      loginOptions({
        onLogin: () => {
          throw bug
        },
      }),
    ),
  )
  return app
}

describe.each(majors)('%s', (_name, express) => {
  test("a bug in onLogin: a bare 500, and its stack on stderr as Express reports errors (env not 'test')", async () => {
    const app = failingLogin(express, new Error('onLogin bug 4711'))
    const logged = stderr()
    const answer = await signIn(await serve(app))
    expect(answer.status).toBe(500)
    const body = JSON.stringify(await answer.json())
    expect(body).not.toMatch(/4711/)
    expect(answer.headers.getSetCookie().some((line) => line.startsWith('plexauth_session='))).toBe(false)
    expect(logged).toHaveLength(1)
    expect(logged[0]).toEqual([expect.stringMatching(/^Error: onLogin bug 4711\n\s+at /)])
  })

  test("a bug in onLogin is not reported when the app's env is 'test', as Express does", async () => {
    const app = express()
    app.set('env', 'test')
    app.use(
      plexLogin(
        loginOptions({
          onLogin: () => {
            throw new Error('onLogin bug 4712')
          },
        }),
      ),
    )
    const logged = stderr()
    const answer = await signIn(await serve(app))
    expect(answer.status).toBe(500)
    expect(logged).toEqual([])
  })

  test('a thrown non-Error is reported as its string, from onLogin and from a guard', async () => {
    const app = express()
    app.set('env', 'production')
    const session = { secret: SECRET }
    app.use(
      plexLogin(
        loginOptions({
          session,
          onLogin: () => {
            throw 'onLogin threw a string'
          },
        }),
      ),
    )
    app.use(plexAuth({ clientIdentifier: CLIENT_IDENTIFIER, jwksUrl: plex.jwksUrl, session }))
    app.get(
      '/guarded',
      requireUser(() => {
        throw { toString: () => 'predicate threw an object' }
      }),
      (_req, res) => res.json({ reached: true }),
    )
    const logged = stderr()
    const url = await serve(app)
    expect((await signIn(url)).status).toBe(500)
    const guarded = await fetch(`${url}/guarded`, {
      headers: { authorization: `Bearer ${plex.issueToken({ clientIdentifier: CLIENT_IDENTIFIER })}` },
    })
    expect(guarded.status).toBe(500)
    expect(await guarded.json()).not.toHaveProperty('reached')
    expect(logged).toEqual([['onLogin threw a string'], ['predicate threw an object']])
  })

  test("the login's other headers replace those an earlier middleware set, and plexAuth's refusals are JSON", async () => {
    const app = express()
    app.use((_req, res, next) => {
      res.set('cache-control', 'public, max-age=60')
      res.type('html')
      next()
    })
    app.use(plexLogin(loginOptions()))
    app.use(plexAuth({ clientIdentifier: CLIENT_IDENTIFIER, jwksUrl: plex.jwksUrl }))
    app.get('/page', (_req, res) => res.send('<p>hi</p>'))
    const url = await serve(app)
    const session = await fetch(`${url}/auth/plex/session`)
    const refused = await fetch(`${url}/page`)
    const seen = [session, refused].map((answer) => [
      answer.status,
      answer.headers.get('content-type'),
      answer.headers.get('cache-control'),
    ])
    expect(seen).toEqual([
      [401, 'application/json; charset=utf-8', 'no-store'],
      [401, 'application/json; charset=utf-8', 'public, max-age=60'],
    ])
    expect(await refused.json()).toMatchObject({ code: 'TOKEN_MISSING' })
  })

  test("onLogin gets Express's request, with what Express added to it", async () => {
    const seen: unknown[] = []
    const app = express()
    app.use(
      plexLogin(
        loginOptions({
          onLogin: (context) => {
            seen.push((context.request as { originalUrl?: unknown } | undefined)?.originalUrl)
          },
        }),
      ),
    )
    expect((await signIn(await serve(app))).status).toBe(200)
    expect(seen).toEqual([expect.stringMatching(/^\/auth\/plex\/pin\/\d+$/)])
  })

  test('an Error without a stack is reported as its string', async () => {
    const bug = new Error('onLogin bug 4715')
    bug.stack = undefined
    const app = failingLogin(express, bug)
    const logged = stderr()
    expect((await signIn(await serve(app))).status).toBe(500)
    expect(logged).toEqual([['Error: onLogin bug 4715']])
  })

  test("a cookie the app set before is kept beside the login routes' cookies and plexAuth's re-sealed one", async () => {
    const app = express()
    app.use((_req, res, next) => {
      res.append('set-cookie', 'theme=dark; Path=/')
      next()
    })
    app.use(plexLogin(loginOptions()))
    // Opens what plexLogin sealed with SECRET, and seals it anew with NEW_SECRET.
    app.use(
      plexAuth({
        clientIdentifier: CLIENT_IDENTIFIER,
        jwksUrl: plex.jwksUrl,
        session: { secret: [NEW_SECRET, SECRET] },
      }),
    )
    app.get('/me', (req, res) => res.json({ id: req.plex?.user.id }))
    const url = await serve(app)
    const signedIn = await signIn(url)
    expect(signedIn.status).toBe(200)
    const session = cookies(signedIn).find((cookie) => cookie.startsWith('plexauth_session='))
    expect(session).toBeDefined()
    expect(cookies(signedIn)).toContain('theme=dark')
    const me = await fetch(`${url}/me`, { headers: { cookie: session! } })
    expect(me.status).toBe(200)
    const resealed = cookies(me)
    expect(resealed).toContain('theme=dark')
    expect(resealed.filter((cookie) => cookie.startsWith('plexauth_session='))).toHaveLength(1)
    expect(resealed).not.toContain(session)
  })

  test('a redirect of the login routes has no body and no JSON content type', async () => {
    const app = express()
    app.use(plexLogin(loginOptions({ authAppUrl: `${plex.url}/auth` })))
    const url = await serve(app)
    const answer = await fetch(`${url}/auth/plex/start?returnTo=/home`, { redirect: 'manual' })
    expect(answer.status).toBe(302)
    expect(answer.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth/)
    expect(answer.headers.get('content-type')).toBeNull()
    expect(await answer.text()).toBe('')
  })

  test('a request under basePath that is no login route passes on, and plex.tv hears nothing', async () => {
    const app = express()
    app.use(plexLogin(loginOptions()))
    app.use((req, res) => {
      res.status(404).json({ passedOn: `${req.method} ${req.originalUrl}` })
    })
    const url = await serve(app)
    const answers = await Promise.all([
      fetch(`${url}/auth/plex/nowhere`),
      fetch(`${url}/auth/plex/session`, { method: 'POST' }),
      fetch(`${url}/auth/plex/`),
      fetch(`${url}/auth/plexus/pin`, { method: 'POST' }),
    ])
    expect(await Promise.all(answers.map(async (answer) => [answer.status, await answer.json()]))).toEqual([
      [404, { passedOn: 'GET /auth/plex/nowhere' }],
      [404, { passedOn: 'POST /auth/plex/session' }],
      [404, { passedOn: 'GET /auth/plex/' }],
      [404, { passedOn: 'POST /auth/plexus/pin' }],
    ])
    expect(plex.requests()).toBe(0)
  })

  test('mounted under a path or a router, the routes answer at basePath (the original URL)', async () => {
    const app = express()
    const router = express.Router()
    router.use(plexLogin(loginOptions({ basePath: '/api/login' })))
    app.use('/auth', plexLogin(loginOptions()))
    app.use('/api', router)
    const url = await serve(app)
    expect((await signIn(url)).status).toBe(200)
    expect((await signIn(url, '/api/login')).status).toBe(200)
    expect(plex.requests(PLEX_PATHS.pins)).toBe(2)
  })
})
