import { PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { clientFor, errorCode, login, startFake, useFakeDate } from './helpers.js'

// The client reads plex.tv's answers with core's parsers: these cases once read differently here.
describe('the client reads answers as core does', () => {
  test('getResources trims provides and takes owned as 1 or "1"', async () => {
    const plex = await startFake()
    const client = clientFor(plex)
    await login(client, plex)
    plex.fail(
      PLEX_PATHS.resources,
      {
        body: [
          { clientIdentifier: 'a', name: 'A', provides: 'client, server', owned: 1 },
          { clientIdentifier: 'b', name: 'B', provides: ' server ', owned: '1' },
          { clientIdentifier: 'c', name: 'C', provides: 'server', owned: 0 },
          null,
        ],
      },
      { times: 1 },
    )
    const resources = await client.getResources()
    expect(
      resources.map(({ clientIdentifier, provides, owned }) => ({ clientIdentifier, provides, owned })),
    ).toEqual([
      { clientIdentifier: 'a', provides: ['client', 'server'], owned: true },
      { clientIdentifier: 'b', provides: ['server'], owned: true },
      { clientIdentifier: 'c', provides: ['server'], owned: false },
    ])
  })

  test('getUser refuses an account without a positive id (RESPONSE_INVALID)', async () => {
    const plex = await startFake()
    const client = clientFor(plex)
    await login(client, plex)
    plex.fail(PLEX_PATHS.user, { body: { id: 0, uuid: 'u' } }, { times: 1 })
    expect(await errorCode(client.getUser())).toBe('RESPONSE_INVALID')
    expect((await client.getUser()).id).toBe(plex.account.id)
  })

  test('a 429 whose Retry-After is an HTTP date is waited for, then reported in whole seconds', async () => {
    const plex = await startFake()
    const waits: number[] = []
    const client = clientFor(plex, {
      maxRetries: 1,
      maxRetryDelay: 120,
      sleep: async (ms) => {
        waits.push(ms)
      },
    })
    await login(client, plex)
    useFakeDate()
    const retryAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 90_000).toUTCString()
    plex.fail(PLEX_PATHS.user, { status: 429, headers: { 'retry-after': retryAt } }, { times: 2 })
    const limited = client.getUser()
    await expect(limited).rejects.toMatchObject({ code: 'RATE_LIMITED', status: 429 })
    // Date is fake and still: the wait is exactly the time to that date, in milliseconds (not rounded).
    expect(waits).toEqual([90_000 - (Date.now() % 1000)])
    await expect(limited).rejects.toMatchObject({ retryAfter: 90 })
  })
})
