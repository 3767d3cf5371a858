import type { PlexLoginOptions } from '@plexauth/core'
import { createLoginHandler, type LoginHandler, type LoginResponse } from '@plexauth/core/adapter'
import type { FakePlex } from '@plexauth/testing'
import { expect } from 'vitest'

/** The session secret of the core login tests. */
export const LOGIN_SECRET = 'a-login-secret-of-at-least-32-characters'
/** A loopback Host: plain http, unprefixed cookie names. */
export const HOST = { host: '127.0.0.1:4000' }

/** A login handler against the fake plex.tv, polling at most once a second, with generous rate limits. */
export function loginHandler(plex: FakePlex, options: Partial<PlexLoginOptions> = {}): LoginHandler {
  return createLoginHandler({
    product: 'Core Test',
    clientIdentifier: 'core-login-test',
    session: { secret: LOGIN_SECRET },
    plexTvUrl: plex.url,
    clientsUrl: plex.url,
    jwksUrl: plex.jwksUrl,
    pollInterval: 1,
    rateLimit: { perClient: 1000, total: 1000 },
    ...options,
  })
}

/** Every `Set-Cookie` line of an answer. */
export const cookiesOf = (answer: LoginResponse | undefined): string[] =>
  [answer?.headers['set-cookie'] ?? []].flat()

/** `name=value` of the cookie `name` an answer sets. */
export const cookieOf = (answer: LoginResponse | undefined, name: string): string | undefined =>
  cookiesOf(answer)
    .find((line) => line.startsWith(`${name}=`))
    ?.split(';')[0]

/** `POST /pin`, expected to succeed: the PIN and its login-state cookie. */
export async function createPin(login: LoginHandler, remoteAddress = '10.0.0.1') {
  const answer = await login.handle({ method: 'POST', url: '/auth/plex/pin', headers: HOST, remoteAddress })
  expect(answer?.status).toBe(201)
  const pin = answer?.body as { id: number; code: string }
  return { pin, state: String(cookieOf(answer, 'plexauth_login')) }
}

/** `GET /pin/:id` with the login-state cookie. */
export const poll = (login: LoginHandler, id: number, state: string, frameworkRequest?: unknown) =>
  login.handle({
    method: 'GET',
    url: `/auth/plex/pin/${id}`,
    headers: { ...HOST, cookie: state },
    frameworkRequest,
  })
