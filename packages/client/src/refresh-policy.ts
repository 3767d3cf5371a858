import type { DeviceFlow } from './device-flow.js'
import { isPlexClientError } from './errors.js'
import type { ResolvedClientOptions } from './resolve-options.js'
import type { StateKeeper } from './state-keeper.js'
import type { VerifyToken } from './token-verifier.js'

/** After a refresh ahead of expiry failed, the still-valid token serves this long before the next try. */
const REFRESH_RETRY_MS = 60_000
/** Refresh failures that say nothing against the device or the token: plex.tv is unreachable or busy. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'NETWORK_ERROR',
  'TIMEOUT',
  'RATE_LIMITED',
  'RESPONSE_INVALID',
  'RESPONSE_TOO_LARGE',
  'KEYS_UNAVAILABLE',
])

function isTransient(err: unknown): boolean {
  if (!isPlexClientError(err)) return false
  return TRANSIENT_CODES.has(err.code) || (err.code === 'HTTP_ERROR' && (err.status ?? 0) >= 500)
}

/**
 * When the stored token is served and when it is refreshed; see `PlexClient.getToken`.
 *
 * @example
 * ```ts
 * declare const [config, keeper, verify, flow]: Parameters<typeof createRefreshPolicy>
 * const policy: RefreshPolicy = createRefreshPolicy(config, keeper, verify, flow)
 * const jwt = await policy.getToken()
 * ```
 */
export interface RefreshPolicy {
  getToken(options?: { forceRefresh?: boolean }): Promise<string>
}

/**
 * Builds the refresh policy of one client: a token with more than `refreshWithin` seconds left is served as
 * it is; otherwise one shared refresh runs, and a refresh ahead of expiry that fails for a transient reason
 * serves the still-valid token and waits a minute before the next try.
 *
 * @example
 * ```ts
 * declare const parts: Parameters<typeof createRefreshPolicy> // options, state keeper, verify, device flow
 * const { getToken } = createRefreshPolicy(...parts)
 * const jwt = await getToken({ forceRefresh: true })
 * ```
 */
export function createRefreshPolicy(
  config: ResolvedClientOptions,
  keeper: StateKeeper,
  verify: VerifyToken,
  flow: DeviceFlow,
): RefreshPolicy {
  let refreshing: Promise<string> | undefined
  let gettingToken: Promise<string> | undefined
  // When a refresh ahead of expiry may be tried again, after one failed.
  let refreshRetryAt = 0

  function refresh(): Promise<string> {
    refreshing ??= (async () => {
      const startedAt = keeper.generation()
      // Another process sharing the store may have logged out (or in again) since this one loaded it.
      await keeper.reload()
      return flow.renew(await keeper.loggedIn(), startedAt)
    })().finally(() => {
      refreshing = undefined
    })
    return refreshing
  }

  async function currentOrRefreshed(): Promise<string> {
    const state = await keeper.loggedIn()
    let expiresAt: number | undefined
    try {
      expiresAt = (await verify(state, state.token)).expiresAt
    } catch (err) {
      if (isPlexClientError(err) && err.code === 'KEYS_UNAVAILABLE') throw err
    }
    const now = Date.now()
    const valid = expiresAt !== undefined && expiresAt * 1000 > now
    if (valid && (expiresAt as number) * 1000 - now > config.refreshWithinMs) return state.token
    // A refresh ahead of expiry failed moments ago: the token still serves, plex.tv is not asked again yet.
    if (valid && now < refreshRetryAt) return state.token
    try {
      return await refresh()
    } catch (err) {
      // Ahead of expiry, plex.tv being unreachable or busy is no reason to fail: the stored token is still
      // valid. Anything else (a logout meanwhile, a token bound to another key, a refused signature) and
      // any failure once the token has expired surfaces.
      if (!valid || Date.now() >= (expiresAt as number) * 1000 || !isTransient(err)) throw err
      refreshRetryAt = Date.now() + REFRESH_RETRY_MS
      return state.token
    }
  }

  return {
    getToken(options = {}) {
      if (options.forceRefresh === true) return refresh()
      gettingToken ??= currentOrRefreshed().finally(() => {
        gettingToken = undefined
      })
      return gettingToken
    },
  }
}
