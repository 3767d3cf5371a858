import { once } from 'node:events'
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PlexLoginOptions } from '@plexauth/core'
import type { PlexAuthSessionOptions } from '@plexauth/core/adapter'
import { DEFAULT_CLIENT_IDENTIFIER, DEFAULT_USER, type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { expect, onTestFinished, vi } from 'vitest'

// What each adapter's own tests (packages/*/test) share: an app served on loopback for one test, the options
// of a login against the fake plex.tv, a browser's sign-in over HTTP, and the legacy-lookup budget scenario
// that each adapter keys by its own idea of the client's address.

/**
 * Serves `listener` (an Express app, or a Koa app's `callback()`) on a free loopback port until the test
 * ends; the app's URL.
 */
export async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener).listen(0, '127.0.0.1')
  await once(server, 'listening')
  onTestFinished(() => {
    server.closeAllConnections()
    server.close()
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The session secret of the adapters' own login tests. */
export const LOGIN_SECRET = 'an-adapter-test-secret-of-32-characters!!'

/** `plexLogin`'s options against the fake plex.tv (for `DEFAULT_CLIENT_IDENTIFIER`), with `extra` on top. */
export function loginOptions(plex: FakePlex, extra: Partial<PlexLoginOptions> = {}): PlexLoginOptions {
  return {
    product: 'Adapter Login Test',
    clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
    session: { secret: LOGIN_SECRET },
    pollInterval: 0.1,
    plexTvUrl: plex.url,
    clientsUrl: plex.url,
    jwksUrl: plex.jwksUrl,
    ...extra,
  }
}

/** A browser's `POST <basePath>/pin`, asking for JSON. */
export function createPin(url: string, basePath = '/auth/plex'): Promise<Response> {
  return fetch(`${url}${basePath}/pin`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-length': '0' },
  })
}

/** A browser's sign-in: `POST /pin`, the user approves at the fake plex.tv, one `GET /pin/:id`. */
export async function signIn(plex: FakePlex, url: string, basePath = '/auth/plex'): Promise<Response> {
  const created = await createPin(url, basePath)
  expect(created.status).toBe(201)
  const pin = (await created.json()) as { id: number; code: string }
  plex.approvePin(pin.code)
  const cookie = created.headers.getSetCookie().map((line) => line.split(';')[0])
  return fetch(`${url}${basePath}/pin/${pin.id}`, {
    headers: { accept: 'application/json', cookie: cookie.join('; ') },
  })
}

/** The `name=value` part of each `Set-Cookie` line of an answer. */
export function cookiesOf(res: Response): string[] {
  return res.headers.getSetCookie().map((line) => line.split(';')[0] ?? '')
}

/** `plexAuth`'s options for `expectLegacyBudgetPerClient`: legacy tokens on, one lookup a second per client. */
export function legacyBudgetOptions(plex: FakePlex): PlexAuthSessionOptions {
  return {
    jwksUrl: plex.jwksUrl,
    clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
    legacyTokens: true,
    plexTvUrl: plex.url,
    legacyLookupsPerClient: 1,
  }
}

/**
 * Behind a proxy, legacy-token lookups are budgeted per client as the framework reports the client's
 * address: one client spends its burst of 3 on tokens plex.tv refuses and must then wait, while another
 * client behind the same proxy (the same socket address) still has its own budget. `ask` sends `token` as
 * an `X-Plex-Token` header with `X-Forwarded-For: client` to an app protected by `legacyBudgetOptions`, on
 * a route answering `{ id: <user id> }`.
 */
export async function expectLegacyBudgetPerClient(
  plex: FakePlex,
  ask: (client: string, token: string) => Promise<{ status: number; body: unknown }>,
): Promise<void> {
  // No bucket refills while the clock stands still.
  vi.useFakeTimers({ toFake: ['Date'] })
  onTestFinished(() => {
    vi.useRealTimers()
  })
  for (let i = 0; i < 3; i++) {
    expect(await ask('203.0.113.1', `unknownLegacyToken${i}x`)).toMatchObject({
      status: 401,
      body: { code: 'TOKEN_INVALID' },
    })
  }
  expect(await ask('203.0.113.1', 'unknownLegacyToken3x')).toMatchObject({
    status: 503,
    body: { code: 'PLEX_UNAVAILABLE' },
  })
  expect(await ask('203.0.113.2', plex.createLegacyToken())).toEqual({
    status: 200,
    body: { id: DEFAULT_USER.id },
  })
  expect(plex.requests(PLEX_PATHS.user)).toBe(4)
}
