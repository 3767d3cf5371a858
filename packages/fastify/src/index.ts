import { plexAuth } from './plex-auth.js'

export {
  type Authenticator,
  createPlexVerifier,
  ERROR_CODES,
  type HttpErrorBody,
  isPlexAuthError,
  type JwksCacheOptions,
  type KeyFetchFailure,
  type KeyStore,
  PlexAuthError,
  type PlexAuthErrorCode,
  type PlexAuthEvent,
  type PlexIdentity,
  type PlexJwk,
  type PlexJwks,
  type PlexUser,
  type PlexVerifier,
  type PlexVerifierOptions,
  type PlexVerifierStats,
  type TokenSource,
  type UserPredicate,
} from '@plexauth/core'
export { type PlexGuard, requireAnyScope, requireScopes, requireUser } from './guards.js'
export { type PlexAuthOptions, plexAuth } from './plex-auth.js'
export default plexAuth
