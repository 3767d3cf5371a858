import { createLoginHandler } from '@plexauth/core/adapter'
import type { FakePlex } from '@plexauth/testing'
import { CLIENT_ID, check, SESSION } from './fixtures.js'

/**
 * Signs the fake's default user in through the login routes (PIN, approval, poll), as a browser would, and
 * returns the `Cookie` header value the browser then sends: `plexauth_session=…` (plain http on loopback).
 */
export async function signInCookie(plex: FakePlex): Promise<string> {
  const login = createLoginHandler({
    product: 'plexauth bench',
    clientIdentifier: CLIENT_ID,
    session: SESSION,
    plexTvUrl: plex.url,
    clientsUrl: plex.url,
    jwksUrl: plex.jwksUrl,
  })
  const headers = { host: '127.0.0.1' }
  const created = await login.handle({ method: 'POST', url: '/auth/plex/pin', headers })
  check(created?.status === 201, `POST /pin answered ${created?.status}`)
  const pin = created.body as { id: number; code: string }
  plex.approvePin(pin.code)
  const state = String([created.headers['set-cookie']].flat()[0]).split(';')[0]
  const done = await login.handle({
    method: 'GET',
    url: `/auth/plex/pin/${pin.id}`,
    headers: { ...headers, cookie: state },
  })
  check(done?.status === 200, `GET /pin/:id answered ${done?.status}`)
  const session = [done.headers['set-cookie']]
    .flat()
    .find((line) => String(line).startsWith('plexauth_session='))
  check(session !== undefined, 'no session cookie after the sign-in')
  return String(session).split(';')[0]!
}
