// What apps use. Adapter plumbing (the authenticator, guards, request bookkeeping) is in ./adapter.ts,
// published as `@plexauth/core/adapter`. Changing this list changes the public API: see test/exports.
export type { UserPredicate } from './http/create-guard.js'
export type { ExtractTokenOptions, HeaderBag, TokenRequest, TokenSource } from './http/extract-token.js'
export { DEFAULT_TOKEN_SOURCES, extractToken } from './http/extract-token.js'
export { REDACTED, redactHeaders, redactTokens, redactUrl } from './http/redact.js'
export type { HttpErrorBody, HttpErrorResult, ToHttpErrorOptions } from './http/to-http-error.js'
export { toHttpError } from './http/to-http-error.js'
export type {
  PlexIdentity,
  PlexIdentityBase,
  PlexJwtIdentity,
  PlexLegacyIdentity,
  PlexSessionInfo,
  PlexUser,
  ServerAccess,
} from './jwt/identity-types.js'
export type {
  Ed25519PublicJwk,
  JwksCacheOptions,
  KeyStore,
  PlexJwk,
  PlexJwks,
  SharedKeySet,
  SharingKeyStore,
} from './keys/key-set-types.js'
export { backoffMs } from './lib/backoff.js'
export type { MemoryCacheStoreOptions } from './lib/cache-store.js'
export { createMemoryCacheStore } from './lib/cache-store.js'
export type {
  AccessDeniedReason,
  PlexAuthErrorCode,
  PlexAuthErrorOptions,
  PlexAuthErrorStatus,
  RejectedCheck,
} from './lib/errors.js'
export { ERROR_CODES, isPlexAuthError, PlexAuthError } from './lib/errors.js'
export type { KeyFetchFailure, PlexAuthEvent, PlexRequestFailure } from './lib/event-types.js'
export type { CacheStore, RateBudget, RevocationQuery, SessionRevocationStore } from './lib/store-types.js'
export type { LoginAccessOptions, LoginContext, PlexLoginOptions } from './login/login-options.js'
export { PLEX_TV_URL } from './plex-tv/plex-tv.js'
export type { ServerAccessOptions } from './plex-tv/server-access.js'
export type { SessionOptions } from './session/session-types.js'
export { createPlexVerifier } from './verifier/create-plex-verifier.js'
export { PLEX_JWKS_URL } from './verifier/resolve-options.js'
export type { PlexVerifier, PlexVerifierOptions, PlexVerifierStats } from './verifier/verifier-types.js'
