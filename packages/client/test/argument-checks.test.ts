import { createFakePlex, type FakePlex } from '@plexauth/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createPlexClient, type PlexPin } from '../src/index.js'
import { clientFor, errorCode } from './helpers.js'

// Misuse throws TypeError at the call, before any request; a request that cannot be made is coded.
describe('argument checks', () => {
  let plex: FakePlex
  beforeAll(async () => {
    plex = await createFakePlex()
  })
  afterAll(() => plex.close())

  test.each([
    ['no options', undefined],
    ['options not an object', 'my-app'],
    ['an empty scope list', { product: 'P', scopes: [] }],
    ['scopes not a list', { product: 'P', scopes: 'email' }],
  ])('createPlexClient: %s → TypeError', (_name, options) => {
    expect(() => createPlexClient(options as never)).toThrow(TypeError)
  })

  test.each([
    ['no PIN', undefined],
    ['a PIN without an id', { code: 'ABCD', expiresAt: new Date() }],
    ['a PIN whose expiresAt is not a Date', { id: 1, code: 'ABCD', expiresAt: Date.now() }],
  ])('waitForLogin with %s → TypeError', async (_name, pin) => {
    await expect(clientFor(plex).waitForLogin(pin as never)).rejects.toThrow(TypeError)
  })

  test.each([0, -1, 61, Number.NaN, '5'])('waitForLogin with interval %s → TypeError', async (interval) => {
    const pin = { id: 1, code: 'ABCD', authUrl: '', expiresAt: new Date(Date.now() + 60_000) } as PlexPin
    await expect(clientFor(plex).waitForLogin(pin, { interval: interval as number })).rejects.toThrow(
      TypeError,
    )
  })

  test('waitForLogin before any device exists → NOT_LOGGED_IN', async () => {
    const pin = { id: 1, code: 'ABCD', authUrl: '', expiresAt: new Date(Date.now() + 60_000) } as PlexPin
    expect(await errorCode(clientFor(plex).waitForLogin(pin))).toBe('NOT_LOGGED_IN')
  })

  test.each([undefined, '', 'two words', 42])('registerDevice(%s) → TypeError', async (token) => {
    await expect(clientFor(plex).registerDevice(token as string)).rejects.toThrow(TypeError)
  })

  test.each(['', 'a b', 7])('getTransientToken with token %s → TypeError', async (token) => {
    await expect(
      clientFor(plex).getTransientToken('http://127.0.0.1:32400', token as string),
    ).rejects.toThrow(TypeError)
  })
})
