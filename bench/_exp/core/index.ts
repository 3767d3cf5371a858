export { createAuthenticator, isPreflight } from './create-authenticator.js'
export type { Authenticator, AuthenticateOptions, AuthRequest, PlexAuthOptions } from './create-authenticator.js'
export { createScopeGuard, createUserGuard } from './create-guard.js'
export type { Guard, UserPredicate } from './create-guard.js'
export { createPlexVerifier } from './create-plex-verifier.js'
export { ERROR_CODES, isPlexAuthError, PlexAuthError } from './errors.js'
export type { PlexAuthErrorCode, PlexAuthErrorOptions } from './errors.js'
export { DEFAULT_TOKEN_SOURCES, extractToken } from './extract-token.js'
export type { ExtractTokenOptions, HeaderBag, TokenRequest } from './extract-token.js'
export { PLEX_JWKS_URL } from './resolve-options.js'
export { toHttpError } from './to-http-error.js'
export type { HttpErrorBody, HttpErrorResult, ToHttpErrorOptions } from './to-http-error.js'
export type {
  JwksCacheOptions,
  KeyFetchFailure,
  KeyStore,
  PlexAuthEvent,
  PlexIdentity,
  PlexJwk,
  PlexJwks,
  PlexUser,
  PlexVerifier,
  PlexVerifierOptions,
  PlexVerifierStats,
  TokenSource,
} from './types.js'
