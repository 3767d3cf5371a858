import type { PlexJwtIdentity } from '@plexauth/core'
import {
  type PlexAccount,
  type PlexResource,
  parseAccount,
  parseResources,
  validateBaseUrl,
} from '@plexauth/core/plex-tv'
import { createDeviceFlow, type WaitForLoginOptions } from './device-flow.js'
import { type PlexPin, readAnswer } from './plex-responses.js'
import { createPlexTvRequests, TOKEN_VALUE } from './plex-tv-requests.js'
import { createRefreshPolicy } from './refresh-policy.js'
import { type PlexClientOptions, resolveClientOptions } from './resolve-options.js'
import { createStateKeeper } from './state-keeper.js'
import { createTokenVerifier } from './token-verifier.js'

export type { WaitForLoginOptions } from './device-flow.js'

/**
 * Gets, keeps and refreshes a Plex JWT for one install. Every token it returns or stores has been verified
 * against Plex's keys (issuer, audience containing its client identifier, `thumbprint` equal to its kid).
 *
 * @example
 * ```ts
 * const client = createPlexClient({ product: 'My App', store: fileStore('~/.config/my-app/plex.json') })
 * const pin = await client.startLogin()
 * console.log('Open', pin.authUrl)
 * await client.waitForLogin(pin)
 * const token = await client.getToken()
 * ```
 */
export interface PlexClient {
  /** The client identifier of this install: generated and stored on first use. */
  getClientIdentifier(): Promise<string>
  /** Creates a PIN bound to the device key (generated and stored on first use). */
  startLogin(options?: { signal?: AbortSignal }): Promise<PlexPin>
  /**
   * Polls the PIN (once a second by default) until the user approves it, then verifies, stores and returns
   * the Plex JWT. Rejects with `LOGIN_EXPIRED` once the PIN expires, `ABORTED` when `signal` aborts.
   */
  waitForLogin(pin: PlexPin, options?: WaitForLoginOptions): Promise<string>
  /**
   * The stored token, refreshed (nonce, device JWT, exchange) when fewer than `refreshWithin` seconds remain,
   * when it expired, or when it no longer verifies (e.g. Plex retired its key). Concurrent calls share one
   * refresh. When a refresh ahead of expiry fails because plex.tv is unreachable or busy (network, timeout,
   * 429, 5xx), the still-valid stored token is returned and the refresh is tried again a minute later; other
   * failures, and any once the token has expired, reject. `forceRefresh` refreshes now and always reports
   * its failure. Rejects with `NOT_LOGGED_IN` when nothing is stored.
   */
  getToken(options?: { forceRefresh?: boolean }): Promise<string>
  /** The verified identity of the current token (refreshed as `getToken` would). */
  getIdentity(): Promise<PlexJwtIdentity>
  /**
   * The other way in: registers the device key with an existing legacy token (`/api/v2/auth/jwk`), then
   * exchanges for a first Plex JWT, verified, stored and returned. plex.tv retires the legacy token after
   * that first exchange.
   */
  registerDevice(legacyToken: string, options?: { signal?: AbortSignal }): Promise<string>
  /** The account (`GET /api/v2/user`). */
  getUser(): Promise<PlexAccount>
  /** `GET /api/v2/ping`; resolves when plex.tv accepts the token. */
  ping(): Promise<void>
  /** Devices the user can reach, servers with their access tokens and connections (`GET /api/v2/resources`). */
  getResources(): Promise<PlexResource[]>
  /**
   * A transient token (`transient-…`, up to 48 h, until the server restarts) from a Plex Media Server's
   * `POST /security/token?type=delegation&scope=all`. `token`: what that server accepts, e.g. its
   * `accessToken` from `getResources()`; default the account's Plex JWT. `serverUrl` must be https, except
   * for loopback and private-LAN addresses (10/8, 172.16/12, 192.168/16, fc00::/7), where Plex Media
   * Servers often answer plain http: a public host over http rejects with `TypeError`, nothing sent.
   */
  getTransientToken(serverUrl: string, token?: string): Promise<string>
  /**
   * Forgets the token and the device key locally (the client identifier stays). Other clients sharing the
   * store see it at their next refresh or write and never write the login back. The device remains in the
   * user's authorized devices on plex.tv until removed there.
   */
  logout(): Promise<void>
}

/**
 * Builds a client: validates the options (throwing `TypeError`), nothing is fetched or loaded yet.
 *
 * @example
 * ```ts
 * import { createPlexClient, fileStore } from '@plexauth/client'
 *
 * const client = createPlexClient({
 *   product: 'My App',
 *   store: fileStore('~/.config/my-app/plex.json'),
 *   scopes: ['username', 'email', 'friendly_name'],
 * })
 * const token = await client.getToken() // or PlexClientError('NOT_LOGGED_IN')
 * ```
 */
export function createPlexClient(options: PlexClientOptions): PlexClient {
  const config = resolveClientOptions(options)
  const keeper = createStateKeeper(config.store)
  const requests = createPlexTvRequests(config)
  const verify = createTokenVerifier(config)
  const flow = createDeviceFlow(config, keeper, requests, verify)
  const { getToken } = createRefreshPolicy(config, keeper, verify, flow)

  async function withToken(path: string): Promise<unknown> {
    const token = await getToken()
    const state = await keeper.loggedIn()
    return requests.getWithToken(path, state.clientIdentifier, token)
  }

  return {
    getClientIdentifier: () => keeper.clientIdentifier(),
    startLogin: (loginOptions) => flow.startLogin(loginOptions),
    waitForLogin: (pin, waitOptions) => flow.waitForLogin(pin, waitOptions),
    getToken,

    async getIdentity() {
      const token = await getToken()
      return verify(await keeper.loggedIn(), token)
    },

    registerDevice: (legacyToken, registerOptions) => flow.registerDevice(legacyToken, registerOptions),

    async getUser() {
      return readAnswer(parseAccount, await withToken('/api/v2/user'))
    },

    async ping() {
      await withToken('/api/v2/ping')
    },

    async getResources() {
      return readAnswer(parseResources, await withToken('/api/v2/resources?includeHttps=1&includeRelay=1'))
    },

    async getTransientToken(serverUrl, token) {
      // The token (by default the account-wide Plex JWT) must not cross the internet in the clear.
      const base = validateBaseUrl('serverUrl', serverUrl, 'lan')
      if (token !== undefined && (typeof token !== 'string' || !TOKEN_VALUE.test(token))) {
        throw new TypeError('plexauth: token must be a non-empty string of printable characters')
      }
      const useToken = token ?? (await getToken())
      const clientIdentifier = (await keeper.load())?.clientIdentifier
      return requests.transientToken(base, clientIdentifier, useToken)
    },

    logout: () => keeper.forget(),
  }
}
