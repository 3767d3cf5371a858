import type { PlexAuthOptions } from '@plexauth/core/adapter'
import type { AppOptions } from './app-options.js'
import { CLIENT_ID } from './fixtures.js'

/** Adapter options: the shared verifier when given, else a verifier of the fake's keys for our client id. */
export function plexAuthOptions({ plex, verifier }: AppOptions): PlexAuthOptions {
  return verifier === undefined ? { jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT_ID } : { verifier }
}
