export type { AddHomeUserOptions } from './accounts.js'
export type { FailureMode } from './failure-modes.js'
export { createFakePlex, type FakePlex, type FakePlexOptions, type SignOptions } from './fake-plex.js'
export { base64url, type PrivateKeyLike, signJwt, signRaw } from './jwt.js'
export {
  type Ed25519Key,
  type Ed25519PublicJwk,
  generateEd25519Key,
  type PublicKeySet,
  type SigningKeyPosition,
} from './keys.js'
export { PLEX_PATHS } from './paths.js'
export { type ApprovePinOptions, PIN_LIFETIME, STRONG_PIN_LIFETIME } from './pins.js'
export { NONCE_LIFETIME } from './routes/nonce.js'
export type { AddServerOptions, FakeServer } from './servers.js'
export { DEFAULT_NONCE_RATE_LIMIT, type RateLimit, type RequestLogEntry } from './state.js'
export {
  DEFAULT_CLIENT_IDENTIFIER,
  DEFAULT_SCOPES,
  DEFAULT_THUMBPRINT,
  DEFAULT_USER,
  type IssueTokenOptions,
  PLEX_TOKEN_LIFETIME,
  type PlexTokenUser,
} from './tokens.js'
