import * as core from '@plexauth/core'
import { AUTHENTICATOR_KEY } from '@plexauth/core/adapter'
import { createFakePlex, DEFAULT_CLIENT_IDENTIFIER, PLEX_PATHS } from '@plexauth/testing'
import fastify5, { type FastifyInstance } from 'fastify'
import fastify4 from 'fastify4'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import { expectLegacyBudgetPerClient, legacyBudgetOptions } from '../../../test/login/adapter-helpers.js'
import * as adapter from '../src/index.js'
import plexAuth, { type PlexAuthOptions, requireAnyScope, requireScopes, requireUser } from '../src/index.js'

const OFFLINE = { jwksUrl: 'http://127.0.0.1:9/keys', clientIdentifier: 'plexauth-test-app' }
const majors: [string, () => FastifyInstance][] = [
  ['Fastify 5', () => fastify5()],
  ['Fastify 4', () => fastify4() as unknown as FastifyInstance],
]

describe.each(majors)('%s', (_name, create) => {
  test.each([
    ['unknown option', { clientIdentifer: 'typo' }],
    ['bad realm', { realm: 'a"b' }],
    ['bad tokenSources', { tokenSources: ['cookie'] }],
    ['bad credentialsRequired', { credentialsRequired: 'no' }],
  ])('misconfiguration fails register with TypeError: %s', async (_case, options) => {
    const app = create()
    app.register(plexAuth, options as PlexAuthOptions)
    await expect(app.ready()).rejects.toThrow(TypeError)
  })

  test("Fastify's own register options are not unknown options", async () => {
    const app = create()
    await app.register(plexAuth, { ...OFFLINE, prefix: '/api', logLevel: 'warn', logSerializers: {} })
    expect(app.hasRequestDecorator('plex')).toBe(true)
  })

  test("records the authenticator on Fastify's request (a declared slot), not on Node's; guards answer in its realm", async () => {
    const app = create()
    await app.register(plexAuth, { ...OFFLINE, realm: 'fastify-realm' })
    expect(app.hasRequestDecorator(AUTHENTICATOR_KEY)).toBe(true)
    const seen: boolean[] = []
    const record = async (request: { raw: object }) => {
      seen.push(AUTHENTICATOR_KEY in request.raw, Object.hasOwn(request, AUTHENTICATOR_KEY))
    }
    app.get(
      '/open',
      { config: { plexAuth: false }, preHandler: [record, requireScopes('email')] },
      async () => ({}),
    )
    const res = await app.inject({ url: '/open' })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="fastify-realm"')
    expect(seen).toEqual([false, true])
  })

  test('exposes the shared verifier and decorates the whole app, not an inner scope', async () => {
    const verifier = core.createPlexVerifier(OFFLINE)
    const app = create()
    await app.register(plexAuth, { verifier, realm: 'api' })
    expect(app.plexAuth.verifier).toBe(verifier)
    expect(app.plexAuth.realm).toBe('api')
    // The narrow view only: request plumbing stays inside the plugin.
    expect(Object.keys(app.plexAuth).sort()).toEqual(['realm', 'verifier'])
    expect(Object.isFrozen(app.plexAuth)).toBe(true)
  })

  test('refuses an unauthenticated request before its body is read', async () => {
    const app = create()
    let parsed = 0
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      parsed++
      done(null, JSON.parse(body as string))
    })
    await app.register(plexAuth, OFFLINE)
    let handled = 0
    app.post('/upload', async () => {
      handled++
      return { ok: true }
    })
    const res = await app.inject({ method: 'POST', url: '/upload', payload: { big: 'x'.repeat(1000) } })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="plex"')
    expect(res.json()).toEqual({
      error: 'unauthorized',
      error_description: 'Authentication required',
      code: 'TOKEN_MISSING',
    })
    expect([parsed, handled]).toEqual([0, 0])
  })

  test('a refusal is JSON even when an earlier hook gave the reply another content type', async () => {
    const app = create()
    app.addHook('onRequest', async (_request, reply) => {
      reply.type('text/html; charset=utf-8')
    })
    await app.register(plexAuth, OFFLINE)
    app.get('/page', async () => '<p>hi</p>')
    const res = await app.inject({ url: '/page' })
    expect(res.statusCode).toBe(401)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.json()).toMatchObject({ code: 'TOKEN_MISSING' })
  })

  test("forwarded errors keep status and WWW-Authenticate through Fastify's default error handler", async () => {
    const app = create()
    await app.register(plexAuth, { ...OFFLINE, forwardErrors: true })
    app.get('/me', async () => ({ reached: true }))
    const res = await app.inject({ url: '/me', headers: { authorization: 'Bearer abc.def.ghi' } })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="plex", error="invalid_token", error_description="The token is malformed"',
    )
    expect(res.json()).toMatchObject({ code: 'TOKEN_MALFORMED', statusCode: 401 })
  })

  test('forwardErrors: a verifier rejecting with undefined does not let an unauthenticated request through', async () => {
    const app = create()
    const verifier = { verify: () => Promise.reject(undefined) } as unknown as core.PlexVerifier
    await app.register(plexAuth, { verifier, forwardErrors: true })
    let handled = 0
    app.get('/me', async () => {
      handled++
      return { reached: true }
    })
    const res = await app.inject({ url: '/me', headers: { authorization: 'Bearer abc.def.ghi' } })
    expect(res.statusCode).toBe(500)
    expect(handled).toBe(0)
  })
})

test('plugin metadata: name and Fastify range, wrapped by fastify-plugin', () => {
  const meta = (plexAuth as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]
  expect(meta).toMatchObject({ name: '@plexauth/fastify', fastify: '4.x || 5.x' })
  expect((plexAuth as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')]).toBe(true)
})

describe('guards: misconfiguration throws TypeError at once', () => {
  test.each([
    ['requireScopes()', () => requireScopes()],
    ['requireAnyScope()', () => requireAnyScope()],
    ['requireScopes with a quote', () => requireScopes('a"b')],
    ['requireUser without a function', () => requireUser('admin' as never)],
  ])('%s', (_name, build) => {
    expect(build).toThrow(TypeError)
  })
})

test('re-exports what an app needs from core, the very same objects', () => {
  expect(adapter.PlexAuthError).toBe(core.PlexAuthError)
  expect(adapter.isPlexAuthError).toBe(core.isPlexAuthError)
  expect(adapter.createPlexVerifier).toBe(core.createPlexVerifier)
  expect(adapter.plexAuth).toBe(plexAuth)
})

describe.each(majors)('%s: legacy-token lookups', (name) => {
  test("are budgeted per client by Fastify's request.ip, which honours trustProxy", async () => {
    const plex = await createFakePlex()
    onTestFinished(() => plex.close())
    const app =
      name === 'Fastify 5'
        ? fastify5({ trustProxy: true })
        : (fastify4({ trustProxy: true }) as unknown as FastifyInstance)
    onTestFinished(() => app.close())
    await app.register(plexAuth, legacyBudgetOptions(plex))
    app.get('/me', async (request) => ({ id: request.plex?.user.id }))
    await expectLegacyBudgetPerClient(plex, async (client, token) => {
      const answer = await app.inject({
        url: '/me',
        headers: { 'x-forwarded-for': client, 'x-plex-token': token },
      })
      return { status: answer.statusCode, body: answer.json() }
    })
  })
})

/** An app of that major logging at `level`: its JSON lines parsed into `lines`, or handed to `write`. */
function loggedApp<Line = Record<string, unknown>>(
  name: string,
  level: string,
  write?: (line: string) => void,
) {
  const lines: Line[] = []
  const stream = { write: write ?? ((line: string) => lines.push(JSON.parse(line) as Line)) }
  const logger = { level, stream }
  const app =
    name === 'Fastify 5' ? fastify5({ logger }) : (fastify4({ logger }) as unknown as FastifyInstance)
  return { app, lines }
}

describe.each(majors)('%s: tokens in logged URLs', (name) => {
  test("routes after the plugin log their URL redacted under a logger without serializers; a route's own req serializer and its scope's others stay", async () => {
    const secret = 'sEcReT-plex-token-4711'
    const { app, lines } = loggedApp<{ msg?: string; req?: Record<string, unknown>; res?: unknown }>(
      name,
      'info',
    )
    onTestFinished(() => app.close())
    await app.register(plexAuth, { ...OFFLINE, tokenSources: ['authorization', 'x-plex-token', 'query'] })
    const open = { config: { plexAuth: false as const } }
    app.get('/open', open, async () => ({}))
    app.get('/own', { ...open, logSerializers: { req: () => ({ own: true }) } }, async () => ({}))
    const scoped = async (scope: FastifyInstance) => {
      scope.get('/scoped', open, async () => ({}))
    }
    await app.register(scoped, { logSerializers: { res: () => 'scoped' } })
    for (const path of ['/open', '/own', '/scoped']) {
      expect((await app.inject({ url: `${path}?X-Plex-Token=${secret}&x=1` })).statusCode).toBe(200)
    }
    const incoming = lines.filter((line) => line.msg === 'incoming request').map((line) => line.req)
    expect(incoming).toHaveLength(3)
    expect(incoming[0]?.url).toBe('/open?X-Plex-Token=[REDACTED]&x=1')
    expect(incoming[1]).toEqual({ own: true })
    expect(incoming[2]?.url).toBe('/scoped?X-Plex-Token=[REDACTED]&x=1')
    const completed = lines.filter((line) => line.msg === 'request completed').map((line) => line.res)
    expect(completed[2]).toBe('scoped')
    expect(JSON.stringify(lines)).not.toContain(secret)
  })
})

describe.each(majors)('%s: outages in the log', (name) => {
  test('a 503 is logged through the request logger, with its code and no token, and nothing on the console', async () => {
    const { app, lines } = loggedApp(name, 'warn')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const plex = await createFakePlex()
      onTestFinished(() => plex.close())
      plex.fail(PLEX_PATHS.keys, { status: 503 })
      await app.register(plexAuth, { jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER })
      app.get('/me', async () => ({ ok: true }))
      const token = plex.issueToken()
      const answer = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
      expect(answer.statusCode).toBe(503)
      const logged = lines.filter((line) => line.plexauth === 'KEYS_UNAVAILABLE')
      expect(logged).toHaveLength(1)
      expect(logged[0]?.reqId).toBeDefined()
      expect(JSON.stringify(lines)).not.toContain(token.split('.')[1])
      expect(warn).not.toHaveBeenCalled()
    } finally {
      warn.mockRestore()
      await app.close()
    }
  })

  test("a guard's bug is logged once, as an error with the request's id, and not as an outage", async () => {
    const { app, lines } = loggedApp(name, 'warn')
    onTestFinished(() => app.close())
    const plex = await createFakePlex()
    onTestFinished(() => plex.close())
    await app.register(plexAuth, { jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER })
    const bug = requireUser(() => {
      throw new Error('predicate bug 4716')
    })
    app.get('/bug', { preHandler: bug }, async () => ({ reached: true }))
    const answer = await app.inject({
      url: '/bug',
      headers: { authorization: `Bearer ${plex.issueToken()}` },
    })
    expect(answer.statusCode).toBe(500)
    expect(
      lines.map((line) => [line.level, line.msg, (line.err as { message?: string } | undefined)?.message]),
    ).toEqual([[50, 'plexauth: unexpected error', 'predicate bug 4716']])
    expect(lines[0]?.reqId).toBeDefined()
  })

  test("a refusal that cannot be answered (its log line throws) goes to Fastify's error path, and the request is not left open", async () => {
    let thrown = 0
    const stream = {
      write: (line: string) => {
        if (thrown === 0 && line.includes('"plexauth":"KEYS_UNAVAILABLE"')) {
          thrown++
          throw new Error('log sink down')
        }
      },
    }
    const { app } = loggedApp(name, 'warn', stream.write)
    onTestFinished(() => app.close())
    const plex = await createFakePlex()
    onTestFinished(() => plex.close())
    plex.fail(PLEX_PATHS.keys, { status: 503 })
    await app.register(plexAuth, { jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER })
    let handled = 0
    app.get('/me', async () => {
      handled++
      return { ok: true }
    })
    const answer = await app.inject({ url: '/me', headers: { authorization: `Bearer ${plex.issueToken()}` } })
    expect(thrown).toBe(1)
    expect(answer.statusCode).toBe(500)
    expect(answer.json()).toMatchObject({ message: 'log sink down' })
    expect(handled).toBe(0)
  })
})
