import type { PlexIdentity } from '@plexauth/core'
import { createFakePlex, DEFAULT_CLIENT_IDENTIFIER, DEFAULT_USER, type FakePlex } from '@plexauth/testing'
import express5, { type Request } from 'express'
import express4 from 'express4'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { serve } from '../../../test/login/adapter-helpers.js'
import { plexAuth, requireScopes } from '../src/index.js'

// plexAuth adds no property to Express's requests (see request-state.ts): `req.plex` is an accessor on
// Express's request prototype over a state kept in `res.locals`. These tests pin what apps see through it,
// on Express 4 and 5.

let plex: FakePlex
beforeAll(async () => {
  plex = await createFakePlex()
})
afterAll(() => plex.close())

const majors: [string, typeof express5][] = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
]

const auth = () => plexAuth({ jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER })

describe.each(majors)('%s', (_name, express) => {
  test('req.plex is the identity, not a property of the request itself', async () => {
    const app = express()
    app.use(auth())
    const seen: { own: boolean; id: unknown; keys: boolean; forIn: boolean }[] = []
    app.get('/me', (req, res) => {
      const forIn: string[] = []
      for (const key in req) forIn.push(key)
      seen.push({
        own: Object.hasOwn(req, 'plex'),
        id: req.plex?.user.id,
        keys: Object.keys(req).includes('plex'),
        forIn: forIn.includes('plex'),
      })
      res.json({ id: req.plex?.user.id })
    })
    const base = await serve(app)
    const token = plex.issueToken()
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${token}` } })
      expect(await res.json()).toEqual({ id: DEFAULT_USER.id })
    }
    expect(seen).toEqual([
      { own: false, id: DEFAULT_USER.id, keys: false, forIn: false },
      { own: false, id: DEFAULT_USER.id, keys: false, forIn: false },
    ])
  })

  test('a mounted sub-app and a router see the identity; an app can set req.plex itself', async () => {
    const app = express()
    app.use(auth())
    const sub = express()
    sub.get('/me', (req, res) => res.json({ in: 'sub-app', id: req.plex?.user.id }))
    app.use('/sub', sub)
    const router = express.Router()
    router.get('/me', (req, res) => res.json({ in: 'router', id: req.plex?.user.id }))
    app.use('/router', router)
    app.get('/replaced', (req, _res, next) => {
      req.plex = undefined
      next()
    })
    app.get('/replaced', (req, res) =>
      res.json({ id: req.plex?.user.id ?? null, own: Object.hasOwn(req, 'plex') }),
    )
    const base = await serve(app)
    const headers = { authorization: `Bearer ${plex.issueToken()}` }
    const id = DEFAULT_USER.id
    expect(await (await fetch(`${base}/sub/me`, { headers })).json()).toEqual({ in: 'sub-app', id })
    expect(await (await fetch(`${base}/router/me`, { headers })).json()).toEqual({ in: 'router', id })
    expect(await (await fetch(`${base}/replaced`, { headers })).json()).toEqual({ id: null, own: false })
  })

  test("a plex the request already has of its own is kept up to date, and guards still answer in plexAuth's realm", async () => {
    const app = express()
    app.use((req, _res, next) => {
      Object.defineProperty(req, 'plex', { value: 'set early', writable: true, configurable: true })
      next()
    })
    app.use(
      plexAuth({ jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER, realm: 'own-realm' }),
    )
    app.get('/me', (req, res) => res.json({ id: req.plex?.user.id, own: Object.hasOwn(req, 'plex') }))
    app.get('/admin', requireScopes('no-such-scope'), (_req, res) => res.json({ reached: true }))
    const base = await serve(app)
    const headers = { authorization: `Bearer ${plex.issueToken()}` }
    expect(await (await fetch(`${base}/me`, { headers })).json()).toEqual({ id: DEFAULT_USER.id, own: true })
    const refused = await fetch(`${base}/admin`, { headers })
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toContain('realm="own-realm"')
  })

  test('an app can set req.plex on a request plexAuth did not authenticate, and reads it back', async () => {
    const app = express()
    app.get('/me', auth(), (req, res) => res.json({ id: req.plex?.user.id }))
    app.get(
      '/own',
      (req, _res, next) => {
        req.plex = { kind: 'jwt', user: { id: 4242 } } as unknown as PlexIdentity
        next()
      },
      (req, res) => res.json({ id: req.plex?.user.id ?? null, own: Object.hasOwn(req, 'plex') }),
    )
    const base = await serve(app)
    // The accessor is in place once plexAuth has seen a request.
    const headers = { authorization: `Bearer ${plex.issueToken()}` }
    expect(await (await fetch(`${base}/me`, { headers })).json()).toEqual({ id: DEFAULT_USER.id })
    expect(await (await fetch(`${base}/own`)).json()).toEqual({ id: 4242, own: false })
  })

  test("the accessor stays configurable: an app can still redefine `plex` on Express's request prototype", async () => {
    const app = express()
    app.get('/me', auth(), (req, res) => res.json({ id: req.plex?.user.id ?? null }))
    const base = await serve(app)
    const headers = { authorization: `Bearer ${plex.issueToken()}` }
    expect(await (await fetch(`${base}/me`, { headers })).json()).toEqual({ id: DEFAULT_USER.id })
    const accessor = Object.getOwnPropertyDescriptor(express.request, 'plex')
    expect(accessor?.get).toBeTypeOf('function')
    Object.defineProperty(express.request, 'plex', { ...accessor, get: () => undefined })
    try {
      expect((await (await fetch(`${base}/me`, { headers })).json()) as unknown).toEqual({ id: null })
    } finally {
      Object.defineProperty(express.request, 'plex', accessor as PropertyDescriptor)
    }
    expect(await (await fetch(`${base}/me`, { headers })).json()).toEqual({ id: DEFAULT_USER.id })
  })

  test('res.locals holds the state under a symbol: templates and JSON see nothing, and a copy keeps req.plex', async () => {
    const app = express()
    app.use(auth())
    app.get('/me', (req, res) => {
      const keys = Object.keys(res.locals)
      const json = JSON.stringify(res.locals)
      res.locals = { ...res.locals, page: 'me' }
      res.json({ keys, json, id: req.plex?.user.id })
    })
    const base = await serve(app)
    const headers = { authorization: `Bearer ${plex.issueToken()}` }
    expect(await (await fetch(`${base}/me`, { headers })).json()).toEqual({
      keys: [],
      json: '{}',
      id: DEFAULT_USER.id,
    })
  })

  test('two requests in flight whose res.locals is one object of the app each read their own identity', async () => {
    const shared = {}
    const app = express()
    app.use((_req, res, next) => {
      res.locals = shared
      next()
    })
    app.use(auth())
    let firstIn!: () => void
    let secondIn!: () => void
    const firstArrived = new Promise<void>((resolve) => {
      firstIn = resolve
    })
    const secondArrived = new Promise<void>((resolve) => {
      secondIn = resolve
    })
    app.get('/first', async (req, res) => {
      firstIn()
      await secondArrived
      res.json({ id: req.plex?.user.id ?? null })
    })
    app.get('/second', (req, res) => {
      secondIn()
      res.json({ id: req.plex?.user.id ?? null })
    })
    const base = await serve(app)
    const as = (id: number) => ({ authorization: `Bearer ${plex.issueToken({ user: { id } })}` })
    const first = fetch(`${base}/first`, { headers: as(1001) })
    await firstArrived
    const second = await fetch(`${base}/second`, { headers: as(1002) })
    expect(await second.json()).toEqual({ id: 1002 })
    expect(await (await first).json()).toEqual({ id: 1001 })
  })

  test('a frozen res.locals still gives the request its identity', async () => {
    const app = express()
    app.use((_req, res, next) => {
      res.locals = Object.freeze({ theme: 'dark' })
      next()
    })
    app.use(auth())
    app.get('/me', (req, res) => res.json({ id: req.plex?.user.id ?? null, locals: res.locals }))
    const base = await serve(app)
    const headers = { authorization: `Bearer ${plex.issueToken()}` }
    expect(await (await fetch(`${base}/me`, { headers })).json()).toEqual({
      id: DEFAULT_USER.id,
      locals: { theme: 'dark' },
    })
  })

  test('a request without plexAuth has no identity, and the accessor reads none', async () => {
    const app = express()
    app.get('/anon', (req, res) => res.json({ id: req.plex?.user.id ?? null }))
    const base = await serve(app)
    expect(await (await fetch(`${base}/anon`)).json()).toEqual({ id: null })
  })
})

test("a hand-made request (not Node's IncomingMessage) gets plain properties", async () => {
  const token = plex.issueToken()
  const middleware = auth()
  const req = {
    method: 'GET',
    url: '/me',
    headers: { authorization: `Bearer ${token}` },
  } as unknown as Request
  await new Promise<void>((resolve, reject) => {
    middleware(req, {} as never, (err?: unknown) => (err === undefined ? resolve() : reject(err)))
  })
  expect(Object.hasOwn(req, 'plex')).toBe(true)
  expect(req.plex?.user.id).toBe(DEFAULT_USER.id)
})
