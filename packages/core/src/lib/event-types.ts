import type { PlexAuthErrorCode, RejectedCheck } from './errors.js'
/**
 * Something worth logging. Events never carry a token.
 *
 * @example
 * ```ts
 * const verifier = createPlexVerifier({
 *   clientIdentifier: 'my-app',
 *   onEvent: (event: PlexAuthEvent) => {
 *     if (event.type === 'token_rejected') console.info('token refused', event.code, event.check)
 *     if (event.type === 'keys_fetch_failed') console.warn('Plex keys unreachable', event.reason)
 *   },
 * })
 * ```
 */
export type PlexAuthEvent =
  | { type: 'keys_fetched'; url: string; keyCount: number; dropped: number; maxAge: number }
  | { type: 'keys_fetch_failed'; url: string; reason: KeyFetchFailure; retryIn: number }
  | { type: 'keys_stale'; age: number }
  | { type: 'keys_loaded'; source: 'keyStore'; keyCount: number }
  | { type: 'key_store_failed'; operation: 'load' | 'save' }
  | { type: 'kid_unknown'; kid?: string; refetch: boolean }
  | { type: 'token_rejected'; code: PlexAuthErrorCode; check?: RejectedCheck }
  | { type: 'plex_request_failed'; url: string; reason: PlexRequestFailure; status?: number; retryIn: number }
  | { type: 'access_stale'; machineIdentifier: string; age: number }
  | { type: 'cache_store_failed'; operation: 'get' | 'set' }
  /** Built without `clientIdentifier` (nor `acceptAnyAudience: true`): tokens issued to apps are refused. Once per verifier. */
  | { type: 'audience_unchecked' }

/**
 * Why a plex.tv lookup (`/api/v2/user`, `/api/v2/resources`, `/api/users`) proved nothing.
 *
 * @example
 * ```ts
 * const options: PlexVerifierOptions = {
 *   clientIdentifier: 'my-app',
 *   onEvent: (event) => {
 *     if (event.type === 'plex_request_failed' && event.reason === 'rate_limited') console.warn('plex.tv said 429')
 *   },
 * }
 * ```
 */
export type PlexRequestFailure =
  | 'timeout'
  | 'network'
  | 'status'
  | 'rate_limited'
  | 'redirect'
  | 'too_large'
  | 'invalid_body'

/**
 * Why a key fetch failed.
 *
 * @example
 * ```ts
 * const onEvent = (event: PlexAuthEvent) => {
 *   if (event.type === 'keys_fetch_failed') {
 *     const reason: KeyFetchFailure = event.reason // 'timeout', 'network', 'status', …
 *     console.warn('Plex keys unreachable:', reason)
 *   }
 * }
 * ```
 */
export type KeyFetchFailure =
  | 'timeout'
  | 'network'
  | 'status'
  | 'redirect'
  | 'too_large'
  | 'invalid_json'
  | 'invalid_jwks'
  | 'too_many_keys'
  | 'no_usable_keys'
