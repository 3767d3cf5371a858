export { readBoundedBody } from './bounded-fetch.js'
export type { MemoryCacheStoreOptions } from './cache-store.js'
export { createMemoryCacheStore } from './cache-store.js'
export type {
  AuthenticateOptions,
  Authenticator,
  AuthRequest,
  PlexAuthOptions,
} from './create-authenticator.js'
export { createAuthenticator, isPreflight } from './create-authenticator.js'
export type { Guard, UserPredicate } from './create-guard.js'
export { createScopeGuard, createUserGuard } from './create-guard.js'
export { createPlexVerifier } from './create-plex-verifier.js'
export type { PlexAuthErrorCode, PlexAuthErrorOptions } from './errors.js'
export { ERROR_CODES, isPlexAuthError, PlexAuthError } from './errors.js'
export type { ExtractTokenOptions, HeaderBag, TokenRequest } from './extract-token.js'
export { DEFAULT_TOKEN_SOURCES, extractToken } from './extract-token.js'
export { PLEX_TV_URL } from './plex-tv.js'
export { REDACTED, redactHeaders, redactTokens, redactUrl } from './redact.js'
export { authenticatorOf, rememberAuthenticator } from './request-authenticator.js'
export { PLEX_JWKS_URL } from './resolve-options.js'
export type { ServerAccessOptions } from './server-access.js'
export { createServerAccessGuard } from './server-access.js'
export type { HttpErrorBody, HttpErrorResult, ToHttpErrorOptions } from './to-http-error.js'
export { toHttpError } from './to-http-error.js'
export type {
  CacheStore,
  Ed25519PublicJwk,
  JwksCacheOptions,
  KeyFetchFailure,
  KeyStore,
  PlexAuthEvent,
  PlexIdentity,
  PlexIdentityBase,
  PlexJwk,
  PlexJwks,
  PlexJwtIdentity,
  PlexLegacyIdentity,
  PlexRequestFailure,
  PlexUser,
  PlexVerifier,
  PlexVerifierOptions,
  PlexVerifierStats,
  ServerAccess,
  TokenSource,
} from './types.js'
