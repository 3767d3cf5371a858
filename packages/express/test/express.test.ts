import * as core from '@plexauth/core'
import { createFakePlex, DEFAULT_CLIENT_IDENTIFIER } from '@plexauth/testing'
import express, { type Request, type Response } from 'express'
import express4 from 'express4'
import { describe, expect, onTestFinished, test } from 'vitest'
import {
  expectLegacyBudgetPerClient,
  legacyBudgetOptions,
  serve,
} from '../../../test/login/adapter-helpers.js'
import * as adapter from '../src/index.js'
import { plexAuth, requireAnyScope, requireScopes, requireUser } from '../src/index.js'

describe('misconfiguration throws TypeError when the app is built', () => {
  test.each([
    ['unknown option', () => plexAuth({ clientIdentifer: 'typo' } as never)],
    ['bad realm', () => plexAuth({ realm: 'a"b' })],
    ['bad tokenSources', () => plexAuth({ tokenSources: ['cookie'] as never })],
    ['empty tokenSources', () => plexAuth({ tokenSources: [] })],
    [
      'verifier with verifier options',
      () => plexAuth({ verifier: core.createPlexVerifier({ acceptAnyAudience: true }), issuer: 'x' }),
    ],
    ['requireScopes()', () => requireScopes()],
    ['requireScopes with a space', () => requireScopes('a b')],
    ['requireAnyScope()', () => requireAnyScope()],
    ['requireUser without a function', () => requireUser(undefined as never)],
  ])('%s', (_name, build) => {
    expect(build).toThrow(TypeError)
  })
})

test('re-exports what an app needs from core, the very same objects', () => {
  expect(adapter.PlexAuthError).toBe(core.PlexAuthError)
  expect(adapter.isPlexAuthError).toBe(core.isPlexAuthError)
  expect(adapter.createPlexVerifier).toBe(core.createPlexVerifier)
  expect(adapter.ERROR_CODES).toBe(core.ERROR_CODES)
})

test("forwarded errors keep status and WWW-Authenticate through Express's default error handler", async () => {
  const app = express()
  app.use(plexAuth({ jwksUrl: 'http://127.0.0.1:9/keys', clientIdentifier: 'test-app', forwardErrors: true }))
  app.get('/me', (_req, res) => res.json({ reached: true }))
  const res = await fetch(`${await serve(app)}/me`)
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="plex"')
})

test.each([
  ['undefined', undefined],
  ['null', null],
  ['an empty string', ''],
  ["Express's 'route'", 'route'],
])(
  'forwardErrors: a predicate throwing %s never lets the request on to the handler',
  async (_name, thrown) => {
    const plex = await createFakePlex()
    onTestFinished(() => plex.close())
    const app = express()
    app.use(
      plexAuth({ jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER, forwardErrors: true }),
    )
    const reached: string[] = []
    const guarded = requireUser(() => {
      throw thrown
    })
    app.get('/admin', guarded, (_req, res) => {
      reached.push('handler')
      res.json({ reached: true })
    })
    app.get('/admin', (_req, res) => {
      reached.push('next route')
      res.json({ reached: true })
    })
    app.set('env', 'test')
    const res = await fetch(`${await serve(app)}/admin`, {
      headers: { authorization: `Bearer ${plex.issueToken()}` },
    })
    expect(res.status).toBe(500)
    expect(reached).toEqual([])
  },
)

test('forwardErrors: a verifier rejecting with undefined does not let an unauthenticated request through', async () => {
  const app = express()
  const verifier = { verify: () => Promise.reject(undefined) } as unknown as core.PlexVerifier
  app.use(plexAuth({ verifier, forwardErrors: true }))
  app.set('env', 'test')
  const reached: string[] = []
  app.get('/me', (_req, res) => {
    reached.push('handler')
    res.json({ reached: true })
  })
  const res = await fetch(`${await serve(app)}/me`, { headers: { authorization: 'Bearer abc.def.ghi' } })
  expect(res.status).toBe(500)
  expect(reached).toEqual([])
})

test('a guard meeting a response already under way hands its error to next, and writes nothing', async () => {
  const guard = requireScopes('email')
  const req = { method: 'GET', url: '/mail', headers: {} } as unknown as Request
  const forwarded = await new Promise<unknown>((resolve, reject) => {
    const chain = { set: () => chain, json: () => chain }
    const res = {
      headersSent: true,
      app: express(),
      status: () => {
        reject(new Error('the guard answered a response whose headers were sent'))
        return chain
      },
    } as unknown as Response
    guard(req, res, resolve)
  })
  expect(forwarded).toBeInstanceOf(core.PlexAuthError)
  expect((forwarded as core.PlexAuthError).code).toBe('TOKEN_MISSING')
})

test.each([
  ['Express 5', express],
  ['Express 4', express4 as unknown as typeof express],
])(
  "%s: behind a proxy ('trust proxy'), legacy lookups are budgeted per client as req.ip reports it",
  async (_name, create) => {
    const plex = await createFakePlex()
    onTestFinished(() => plex.close())
    const app = create()
    app.set('trust proxy', true)
    app.use(plexAuth(legacyBudgetOptions(plex)))
    app.get('/me', (req, res) => res.json({ id: req.plex?.user.id }))
    const url = await serve(app)
    await expectLegacyBudgetPerClient(plex, async (client, token) => {
      const res = await fetch(`${url}/me`, { headers: { 'x-forwarded-for': client, 'x-plex-token': token } })
      return { status: res.status, body: await res.json() }
    })
  },
)
