import { PlexClientError } from './errors.js'
import type { PlexPin } from './plex-responses.js'
import { type PlexTvRequests, TOKEN_VALUE } from './plex-tv-requests.js'
import type { ResolvedClientOptions } from './resolve-options.js'
import type { DeviceState, StateKeeper } from './state-keeper.js'
import type { VerifyToken } from './token-verifier.js'

/**
 * Options of `waitForLogin`.
 *
 * @example
 * ```ts
 * declare const client: PlexClient
 * const pin = await client.startLogin()
 * await client.waitForLogin(pin, { signal: AbortSignal.timeout(120_000), interval: 2 })
 * ```
 */
export interface WaitForLoginOptions {
  /** Stops waiting (`ABORTED`). */
  signal?: AbortSignal
  /**
   * Seconds between polls. Default the client's `pollInterval` (1).
   * @default the client's pollInterval (1)
   */
  interval?: number
}

/**
 * The device flow: the ways to a token bound to the device key (a PIN, a legacy token, a refresh). Every
 * token is verified before it is stored, and stored only if no logout happened since the flow started and
 * the stored device key is still the one it was issued to.
 *
 * @example
 * ```ts
 * declare const parts: Parameters<typeof createDeviceFlow> // options, state keeper, requests, verify
 * const flow: DeviceFlow = createDeviceFlow(...parts)
 * const pin = await flow.startLogin()
 * ```
 */
export interface DeviceFlow {
  startLogin(options?: { signal?: AbortSignal }): Promise<PlexPin>
  waitForLogin(pin: PlexPin, options?: WaitForLoginOptions): Promise<string>
  registerDevice(legacyToken: string, options?: { signal?: AbortSignal }): Promise<string>
  /** Exchanges the device key for a new token (nonce, device JWT, exchange), verified and stored. */
  renew(state: DeviceState, startedAt: number, signal?: AbortSignal): Promise<string>
}

/**
 * Builds the device flow of one client.
 *
 * @example
 * ```ts
 * declare const [config, keeper, requests, verify]: Parameters<typeof createDeviceFlow>
 * const flow = createDeviceFlow(config, keeper, requests, verify)
 * const jwt = await flow.registerDevice(token) // a legacy token
 * ```
 */
export function createDeviceFlow(
  config: ResolvedClientOptions,
  keeper: StateKeeper,
  requests: PlexTvRequests,
  verify: VerifyToken,
): DeviceFlow {
  async function accept(state: DeviceState, token: string, startedAt: number): Promise<string> {
    await verify(state, token)
    await keeper.update((current) => {
      if (keeper.generation() !== startedAt || current?.device?.kid !== state.device.kid) {
        throw new PlexClientError('NOT_LOGGED_IN')
      }
      return { ...current, token, baseUrl: config.baseUrl, clientsBaseUrl: config.clientsBaseUrl }
    })
    return token
  }

  async function renew(state: DeviceState, startedAt: number, signal?: AbortSignal): Promise<string> {
    return accept(state, await requests.exchange(state, signal), startedAt)
  }

  return {
    renew,

    async startLogin({ signal } = {}) {
      const state = await keeper.ensureDevice()
      const { id, code, expiresAt } = await requests.createPin(state, signal)
      const context = `context%5Bdevice%5D%5Bproduct%5D=${encodeURIComponent(config.product)}`
      const authUrl = `${config.authAppUrl}#?clientID=${encodeURIComponent(state.clientIdentifier)}&code=${encodeURIComponent(code)}&${context}`
      // core's parsePin keeps the expiry within an hour: an overstated one can't make waitForLogin poll for ever.
      return Object.freeze({ id, code, authUrl, expiresAt: new Date(expiresAt) })
    },

    async waitForLogin(pin, { signal, interval } = {}) {
      if (
        typeof pin !== 'object' ||
        pin === null ||
        !Number.isSafeInteger(pin.id) ||
        !(pin.expiresAt instanceof Date)
      ) {
        throw new TypeError('plexauth: waitForLogin needs the PIN returned by startLogin()')
      }
      if (interval !== undefined && (typeof interval !== 'number' || !(interval > 0) || interval > 60)) {
        throw new TypeError('plexauth: interval must be a number of seconds between 0 and 60')
      }
      const intervalMs = interval === undefined ? config.pollIntervalMs : interval * 1000
      const startedAt = keeper.generation()
      const state = await keeper.load()
      if (state?.device === undefined) throw new PlexClientError('NOT_LOGGED_IN')
      const device = state as DeviceState
      for (;;) {
        if (signal?.aborted) throw new PlexClientError('ABORTED', { cause: signal.reason })
        if (Date.now() >= pin.expiresAt.getTime()) throw new PlexClientError('LOGIN_EXPIRED')
        const token = await requests.pollPin(device, pin.id, signal)
        if (token !== undefined) return accept(device, token, startedAt)
        await config.http.sleep(intervalMs, signal)
      }
    },

    async registerDevice(legacyToken, { signal } = {}) {
      if (typeof legacyToken !== 'string' || !TOKEN_VALUE.test(legacyToken)) {
        throw new TypeError('plexauth: registerDevice needs a legacy token')
      }
      const startedAt = keeper.generation()
      const state = await keeper.ensureDevice()
      await requests.registerKey(state, legacyToken, signal)
      return renew(state, startedAt, signal)
    },
  }
}
