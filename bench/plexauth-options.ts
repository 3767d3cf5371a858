import type { PlexAuthSessionOptions } from '@plexauth/core/adapter'
import type { AppOptions } from './app-options.js'
import { CLIENT_ID, SESSION } from './fixtures.js'

/**
 * Adapter options: the shared verifier when given, else a verifier of the fake's keys for our client id;
 * with the session cookie accepted for `auth: 'session'`.
 */
export function plexAuthOptions({ plex, verifier, auth }: AppOptions): PlexAuthSessionOptions {
  const base = verifier === undefined ? { jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT_ID } : { verifier }
  return auth === 'session' ? { ...base, session: SESSION } : base
}
