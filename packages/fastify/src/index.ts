import { plexAuth } from './plex-auth.js'

export {
  type Authenticator,
  type CacheStore,
  createMemoryCacheStore,
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
  type PlexJwtIdentity,
  type PlexLegacyIdentity,
  type PlexRequestFailure,
  type PlexUser,
  type PlexVerifier,
  type PlexVerifierOptions,
  type PlexVerifierStats,
  redactHeaders,
  redactTokens,
  redactUrl,
  type ServerAccess,
  type ServerAccessOptions,
  type TokenSource,
  type UserPredicate,
} from '@plexauth/core'
export {
  type PlexGuard,
  requireAnyScope,
  requireScopes,
  requireServerAccess,
  requireServerOwner,
  requireUser,
} from './guards.js'
export { logSerializers } from './log-serializers.js'
export { type PlexAuthOptions, plexAuth } from './plex-auth.js'
export default plexAuth
