// `@plexauth/core/plex-tv`: what plexauth's own packages (@plexauth/client, @plexauth/testing) share with
// core, so that each rule is written once: the readers of plex.tv's answers, the Plex scopes, the bounded
// fetch, the backoff and `Retry-After`, signing and checking JWTs (EdDSA and RS256, node:crypto), and the
// option validators. Apps import `@plexauth/core` instead;
// nothing here is needed to use plexauth, and it changes with plexauth's packages (not a stable API).

export { generateEd25519KeyPair } from './jwt/ed25519-key.js'
export type { DeviceJwtClaims, JwsAlgorithm } from './jwt/jws.js'
export {
  decodeJws,
  jwsAlgorithmOf,
  signDeviceJwt,
  signJws,
  signJwsParts,
  verifyDeviceJwt,
  verifyJws,
} from './jwt/jws.js'
export type { PlexScope } from './jwt/scopes.js'
export { isPlexScope, PLEX_SCOPES, splitScopes } from './jwt/scopes.js'
export { ed25519Thumbprint } from './jwt/thumbprint.js'
export { JWKS_LIMITS } from './keys/fetch-key-set.js'
export { backoffMs, MAX_BACKOFF_MS, parseRetryAfter } from './lib/backoff.js'
export type { BoundedFetchFailure, BoundedFetchOptions, BoundedResponse } from './lib/bounded-fetch.js'
export { BoundedFetchError, fetchBounded, readBoundedBody } from './lib/bounded-fetch.js'
export {
  boolean,
  checkKeys,
  count,
  durationMs,
  fail,
  fetchOption,
  func,
  headerValue,
  isLoopback,
  isPrivateLan,
  nonEmptyString,
  number,
  optionNames,
  parseUrl,
  secretList,
  validateBaseUrl,
  validateEndpointUrl,
  withMethods,
} from './lib/options.js'
export { safeEmitter } from './lib/safe-emit.js'
export type { PlexAccount, PlexConnection, PlexPinAnswer, PlexResource } from './plex-tv/parse-answers.js'
export { PlexAnswerError, parseAccount, parsePin, parseResources } from './plex-tv/parse-answers.js'
export { PLEX_TV_URL } from './plex-tv/plex-tv.js'
