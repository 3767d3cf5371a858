import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as core from '@plexauth/core'
import express from 'express'
import { describe, expect, test } from 'vitest'
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
  const server = createServer(app).listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const { port } = server.address() as AddressInfo
    const res = await fetch(`http://127.0.0.1:${port}/me`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="plex"')
  } finally {
    server.close()
  }
})
