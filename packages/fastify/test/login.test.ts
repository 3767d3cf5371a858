import type { PlexLoginOptions } from '@plexauth/core'
import { createFakePlex, type FakePlex } from '@plexauth/testing'
import fastify5, { type FastifyInstance } from 'fastify'
import fastify4 from 'fastify4'
import { afterAll, afterEach, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { loginOptions as sharedLoginOptions } from '../../../test/login/adapter-helpers.js'
import { plexAuth, plexLogin } from '../src/index.js'

// What only the Fastify adapter decides: which register options it leaves to Fastify, how the login
// routes read a body, where an unknown login path goes, and how a bug is logged. The login routes
// themselves are the contract table's (test/login).

type LogLine = { msg?: string; err?: { message?: string } }

const majors: [string, (options?: object) => FastifyInstance][] = [
  ['Fastify 5', (options) => fastify5(options)],
  ['Fastify 4', (options) => fastify4(options) as unknown as FastifyInstance],
]

let plex: FakePlex
beforeAll(async () => {
  plex = await createFakePlex()
})
afterAll(() => plex.close())
afterEach(() => plex.reset())

// The shared helper, on this file's fake plex.tv.
const loginOptions = (extra?: Partial<PlexLoginOptions>) => sharedLoginOptions(plex, extra)

async function started(create: (options?: object) => FastifyInstance, options?: object) {
  const app = create(options)
  onTestFinished(() => app.close())
  return app
}

/** A PIN created, approved at the fake plex.tv and polled with its login-state cookie: the poll's answer. */
async function signInByPoll(app: FastifyInstance) {
  const created = await app.inject({
    method: 'POST',
    url: '/auth/plex/pin',
    headers: { accept: 'application/json' },
  })
  expect(created.statusCode).toBe(201)
  const pin = created.json() as { id: number; code: string }
  plex.approvePin(pin.code)
  const cookie = created.cookies.map(({ name, value }) => `${name}=${value}`).join('; ')
  return app.inject({ url: `/auth/plex/pin/${pin.id}`, headers: { accept: 'application/json', cookie } })
}

describe.each(majors)('%s', (_name, create) => {
  test("Fastify's own register options are not unknown options of plexLogin", async () => {
    const app = await started(create)
    await app.register(plexLogin, { ...loginOptions(), prefix: '/api', logLevel: 'warn', logSerializers: {} })
    await expect(app.ready()).resolves.toBe(app)
  })

  test("POST /pin reads no body, whatever its type (malformed JSON too); the app's routes still parse JSON", async () => {
    const app = await started(create)
    await app.register(plexLogin, loginOptions())
    app.post('/echo', async (request) => ({ body: request.body }))
    const pin = await app.inject({
      method: 'POST',
      url: '/auth/plex/pin',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      payload: '{not json',
    })
    expect(pin.statusCode).toBe(201)
    expect(pin.json()).toMatchObject({ id: expect.any(Number), code: expect.any(String) })
    const echo = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } })
    expect(echo.json()).toEqual({ body: { a: 1 } })
  })

  test('a login request with a body over 4 KiB is refused with 413 before the login sees it', async () => {
    const app = await started(create)
    await app.register(plexLogin, loginOptions())
    const before = plex.requests()
    const answer = await app.inject({
      method: 'POST',
      url: '/auth/plex/pin',
      headers: { accept: 'application/json', 'content-type': 'text/plain' },
      payload: 'x'.repeat(4097),
    })
    expect(answer.statusCode).toBe(413)
    expect(plex.requests()).toBe(before)
  })

  test("the login routes' cookies are added beside a cookie an earlier hook set", async () => {
    const app = await started(create)
    app.addHook('onRequest', async (_request, reply) => {
      reply.header('set-cookie', 'theme=dark; Path=/')
    })
    await app.register(plexLogin, loginOptions())
    const created = await app.inject({
      method: 'POST',
      url: '/auth/plex/pin',
      headers: { accept: 'application/json' },
    })
    expect(created.statusCode).toBe(201)
    const names = created.cookies.map(({ name }) => name)
    expect(names).toContain('theme')
    expect(names).toContain('plexauth_login')
  })

  test("a path under basePath that the login does not serve goes to the app's not-found handler", async () => {
    const app = await started(create)
    app.setNotFoundHandler((_request, reply) => reply.code(404).send({ notFound: 'app' }))
    await app.register(plexLogin, loginOptions())
    const answer = await app.inject({ url: '/auth/plex/nothing-here' })
    expect(answer.statusCode).toBe(404)
    expect(answer.json()).toEqual({ notFound: 'app' })
  })

  test.each([
    ['GET', '/auth/plex/nothing-here'],
    ['POST', '/auth/plex/session'],
    ['HEAD', '/auth/plex/session'],
    ['GET', '/auth/plex/logout'],
  ] as const)(
    'behind plexAuth, %s %s (no login route) is authenticated before the not-found handler',
    async (method, url) => {
      const app = await started(create)
      const reached: string[] = []
      app.setNotFoundHandler((request, reply) => {
        reached.push(request.url)
        return reply.code(404).send({ notFound: 'app' })
      })
      await app.register(plexLogin, loginOptions())
      await app.register(plexAuth, { clientIdentifier: 'plexauth-test-app', jwksUrl: plex.jwksUrl })
      const answer = await app.inject({ method, url })
      expect(answer.statusCode).toBe(401)
      expect(reached).toEqual([])
    },
  )

  test('a variant of a login route that Fastify routes to it (a trailing slash, an encoded slash in the PIN id) is answered as that route', async () => {
    const app = await started(create, { ignoreTrailingSlash: true })
    await app.register(plexLogin, loginOptions())
    const session = await app.inject({
      url: '/auth/plex/session/?x=1',
      headers: { accept: 'application/json' },
    })
    expect([session.statusCode, session.json().code]).toEqual([401, 'TOKEN_MISSING'])
    // The id is one segment, `12/345` once decoded: a poll of it (refused without its login state).
    const poll = await app.inject({ url: '/auth/plex/pin/12%2F345', headers: { accept: 'application/json' } })
    expect([poll.statusCode, poll.json().code]).toEqual([403, 'LOGIN_STATE_INVALID'])
  })

  test("onLogin gets Fastify's request, not Node's", async () => {
    const seen: unknown[] = []
    const app = await started(create)
    const onLogin = (context: { request: unknown }) => {
      seen.push(Object.hasOwn(context.request as object, 'raw') ? 'fastify request' : context.request)
    }
    await app.register(plexLogin, loginOptions({ onLogin }))
    const answer = await signInByPoll(app)
    expect(answer.statusCode).toBe(200)
    expect(seen).toEqual(['fastify request'])
  })

  test('a bug in onLogin: a bare 500, and the error in the request log', async () => {
    const lines: LogLine[] = []
    const stream = { write: (line: string) => lines.push(JSON.parse(line) as LogLine) }
    const app = await started(create, { logger: { level: 'error', stream } })
    const onLogin = () => {
      throw new Error('onLogin bug 4711')
    }
    await app.register(plexLogin, loginOptions({ onLogin }))
    const answer = await signInByPoll(app)
    expect(answer.statusCode).toBe(500)
    expect(answer.body).not.toMatch(/4711/)
    const logged = lines.filter((line) => line.msg === 'plexauth: unexpected error')
    expect(logged).toHaveLength(1)
    expect(logged[0]?.err?.message).toBe('onLogin bug 4711')
  })
})
