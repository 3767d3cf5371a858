import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as core from '@plexauth/core'
import { AUTHENTICATOR_KEY } from '@plexauth/core/adapter'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import { describe, expect, test } from 'vitest'
import * as adapter from '../src/index.js'
import { type PlexAuthState, plexAuth, requireAnyScope, requireScopes, requireUser } from '../src/index.js'

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
    const server = createServer(app.callback()).listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const { port } = server.address() as AddressInfo
      const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-plex-token': 'a b' } })
      expect(res.status).toBe(400)
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="plex", error="invalid_request", error_description="The request carries its credentials incorrectly"',
      )
      expect(await res.text()).toBe('The request carries its credentials incorrectly')
    } finally {
      server.close()
    }
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
    const server = createServer(app.callback()).listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const { port } = server.address() as AddressInfo
      const res = await fetch(`http://127.0.0.1:${port}/`)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="koa-realm"')
      expect(seen).toEqual([false, true])
    } finally {
      server.close()
    }
  })
})
