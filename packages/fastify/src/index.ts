import { plexAuth } from './plex-auth.js'

// What apps need from core, re-exported so that they install and import one package. The same list in
// every adapter and in its README; test/exports snapshots it.
export type {
  CacheStore,
  KeyStore,
  LoginAccessOptions,
  LoginContext,
  PlexAuthErrorCode,
  PlexAuthEvent,
  PlexIdentity,
  PlexJwtIdentity,
  PlexLegacyIdentity,
  PlexLoginOptions,
  PlexSessionInfo,
  PlexUser,
  PlexVerifier,
  PlexVerifierOptions,
  ServerAccess,
  ServerAccessOptions,
  SessionOptions,
  TokenSource,
  UserPredicate,
} from '@plexauth/core'
export {
  createMemoryCacheStore,
  createPlexVerifier,
  ERROR_CODES,
  isPlexAuthError,
  PlexAuthError,
  redactHeaders,
  redactTokens,
  redactUrl,
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
export { type PlexAuthDecoration, type PlexAuthOptions, plexAuth } from './plex-auth.js'
export { plexLogin } from './plex-login.js'
export default plexAuth
