// The project's own client, against the fake exactly as against plex.tv: only its base URL and its
// app.plex.tv/auth are the fake's. (The `plexauth` CLI runs against the fake in packages/client/test/cli.test.ts.)

import { createPlexClient, memoryStore } from '@plexauth/client'
import { createPlexVerifier } from '@plexauth/core'
import { createFakePlex, type FakePlex } from '@plexauth/testing'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { allowAsPage } from './support.js'

let plex: FakePlex
beforeAll(async () => {
  plex = await createFakePlex()
})
afterAll(() => plex.close())

test('PIN login through the sign-in page, then account, resources and a verified Plex JWT', async () => {
  const friend = plex.addAccount({ username: 'own-client-friend' })
  const server = plex.addServer({ name: 'Own Server', sharedWith: [friend.id] })
  const client = createPlexClient({
    product: 'Conformance',
    baseUrl: plex.url,
    authAppUrl: plex.authAppUrl,
    store: memoryStore(),
    pollInterval: 0.05,
  })
  const pin = await client.startLogin()
  expect(pin.authUrl.startsWith(`${plex.authAppUrl}#?`)).toBe(true)
  const waiting = client.waitForLogin(pin)
  expect(await allowAsPage(plex, pin.authUrl, friend.id)).toBe(204)
  const token = await waiting
  const identity = await createPlexVerifier({
    jwksUrl: plex.jwksUrl,
    clientIdentifier: await client.getClientIdentifier(),
  }).verify(token)
  expect(identity.user).toMatchObject({ id: friend.id, username: 'own-client-friend' })
  expect((await client.getUser()).username).toBe('own-client-friend')
  expect((await client.getResources()).map((resource) => resource.clientIdentifier)).toEqual([
    server.machineIdentifier,
  ])
})
