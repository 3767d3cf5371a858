import type { PlexLoginOptions } from '@plexauth/core'
import { createLoginHandler, type LoginHandler, type LoginResponse } from '@plexauth/core/adapter'
import { describe, expect, test } from 'vitest'
import { deriveKeys, seal } from '../src/session/seal.js'
import { advance, nowSeconds, useFakeDate } from './helpers.js'

const SECRET = 'a-login-secret-of-at-least-32-characters'
const HOST = { host: '127.0.0.1:4000' }
const PLEX_TV = 'http://127.0.0.1:9'

/** An in-process plex.tv that creates legacy PINs living `lifetime` seconds, counting what it is asked. */
function pinFetch(lifetime = 1800) {
  const counts = { created: 0, polled: 0 }
  const fetchImpl: typeof globalThis.fetch = async (_input, init) => {
    if (init?.method === 'POST') {
      counts.created++
      const id = counts.created
      return Response.json({ id, code: `CODE${id}`, expiresIn: lifetime }, { status: 201 })
    }
    counts.polled++
    return Response.json({ errors: [{ code: 1020 }] }, { status: 404 })
  }
  return { counts, fetchImpl }
}

function handler(options: Partial<PlexLoginOptions>): LoginHandler {
  return createLoginHandler({
    product: 'Core Test',
    clientIdentifier: 'core-login-test',
    session: { secret: SECRET },
    flow: 'legacy',
    plexTvUrl: PLEX_TV,
    clientsUrl: PLEX_TV,
    jwksUrl: `${PLEX_TV}/api/v2/auth/keys`,
    rateLimit: { perClient: 100_000, total: 1_000_000 },
    ...options,
  })
}

const createPin = (login: LoginHandler, remoteAddress = '10.0.0.1'): Promise<LoginResponse | undefined> =>
  login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST, remoteAddress })

describe('PIN bounds', () => {
  test('at most 10,000 live PINs per process: then 429 (Retry-After 60) for new ones and for PINs of other instances, until they expire', async () => {
    useFakeDate()
    const { counts, fetchImpl } = pinFetch()
    const login = handler({ fetch: fetchImpl })
    let first: LoginResponse | undefined
    for (let i = 0; i < 10_000; i++) {
      const answer = await createPin(login, `10.0.${i >> 8}.${i & 255}`)
      if (answer?.status !== 201) expect.fail(`PIN ${i}: ${answer?.status}`)
      first ??= answer
    }
    const full = await createPin(login)
    expect(full).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } })
    expect(full?.headers['retry-after']).toBe('60')
    expect(counts.created).toBe(10_000)
    // A PIN another instance created (its login state in the cookie) is not taken on either.
    const state = await seal(deriveKeys([SECRET], 'login'), {
      v: 1,
      p: 99_999,
      c: 'OTHER1',
      f: 'legacy',
      e: nowSeconds() + 600,
    })
    const other = await login.handle({
      method: 'GET',
      url: '/auth/plex/pin/99999',
      headers: { ...HOST, cookie: `plexauth_login=${state}` },
    })
    expect(other).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } })
    expect(counts.polled).toBe(0)
    // A PIN plex.tv no longer knows (withdrawn or denied) is forgotten at once: room for one more.
    const firstState = [first?.headers['set-cookie'] ?? []].flat()[0]?.split(';')[0]
    const gone = await login.handle({
      method: 'GET',
      url: '/auth/plex/pin/1',
      headers: { ...HOST, cookie: String(firstState) },
    })
    expect(gone).toMatchObject({ status: 410, body: { code: 'PIN_EXPIRED' } })
    expect((await createPin(login))?.status).toBe(201)
    expect((await createPin(login))?.status).toBe(429)
    // Expired PINs are forgotten, from their very expiry (not a second later): room again.
    advance(1799)
    expect((await createPin(login))?.status).toBe(429)
    advance(1)
    expect((await createPin(login))?.status).toBe(201)
    expect(counts.created).toBe(10_002)
    // Sealing 10,000 login states takes seconds of CPU: room for a loaded machine.
  }, 120_000)

  test('a shared budget decides the total; one that fails or cannot tell leaves it to this process', async () => {
    useFakeDate()
    const { counts, fetchImpl } = pinFetch()
    let wait: number | undefined | Error = 0
    let taken = 0
    const budget = {
      take: () => {
        taken++
        if (wait instanceof Error) throw wait
        return wait
      },
    }
    const login = handler({ fetch: fetchImpl, rateLimit: { perClient: 100_000, total: 3, budget } })
    expect((await createPin(login))?.status).toBe(201)
    wait = 4500
    const limited = await createPin(login)
    expect(limited).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED' } })
    expect(limited?.headers['retry-after']).toBe('5')
    // The local bucket (total 3 a minute, one saved up) then decides: the first passes, the next waits.
    for (const failing of [new Error('redis down'), undefined]) {
      wait = failing
      expect((await createPin(login))?.status).toBe(201)
      expect((await createPin(login))?.status).toBe(429)
      advance(20)
    }
    expect(taken).toBe(6)
    expect(counts.created).toBe(3)
  })
})
