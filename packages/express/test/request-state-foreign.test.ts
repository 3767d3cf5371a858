import { createFakePlex, DEFAULT_CLIENT_IDENTIFIER, DEFAULT_USER } from '@plexauth/testing'
import express5 from 'express'
import { expect, onTestFinished, test } from 'vitest'
import { serve } from '../../../test/login/adapter-helpers.js'
import { plexAuth } from '../src/index.js'

// A file of its own: it gives Express's request prototype a `plex` of the app's before plexAuth sees it.
test("a `plex` Express's request prototype already has is not replaced: requests get their own property", async () => {
  Object.defineProperty(express5.request, 'plex', {
    value: 'the app’s own',
    writable: true,
    configurable: true,
  })
  onTestFinished(() => {
    delete (express5.request as { plex?: unknown }).plex
  })
  const plex = await createFakePlex()
  onTestFinished(() => plex.close())
  const app = express5()
  app.use(plexAuth({ jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER }))
  app.get('/me', (req, res) => res.json({ id: req.plex?.user.id, own: Object.hasOwn(req, 'plex') }))
  const base = await serve(app)
  const headers = { authorization: `Bearer ${plex.issueToken()}` }
  expect(await (await fetch(`${base}/me`, { headers })).json()).toEqual({ id: DEFAULT_USER.id, own: true })
  expect(Object.getOwnPropertyDescriptor(express5.request, 'plex')?.value).toBe('the app’s own')
})
