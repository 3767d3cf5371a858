import { randomUUID } from 'node:crypto'
import { createPlexVerifier, isPlexAuthError, type PlexJwtIdentity, type PlexVerifier } from '@plexauth/core'
import { type DeviceKey, type PlexClientState, parseState } from './client-state.js'
import { generateDeviceKey, publicJwk, signDeviceJwt } from './device-key.js'
import { isPlexClientError, PlexClientError } from './errors.js'
import { type HttpResponse, send } from './http.js'
import {
  type PlexAccount,
  type PlexPin,
  type PlexResource,
  parseAccount,
  parseAuthToken,
  parseNonce,
  parsePin,
  parsePinToken,
  parseResources,
  parseTransientToken,
} from './plex-responses.js'
import { type PlexClientOptions, resolveClientOptions, validateBaseUrl } from './resolve-options.js'

/**
 * Options of `waitForLogin`.
 *
 * @example
 * ```ts
 * await client.waitForLogin(pin, { signal: AbortSignal.timeout(120_000), interval: 2 })
 * ```
 */
export interface WaitForLoginOptions {
  /** Stops waiting (`ABORTED`). */
  signal?: AbortSignal
  /** Seconds between polls. Default the client's `pollInterval` (1). */
  interval?: number
}

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
   * Forgets the token and the device key locally (the client identifier stays). The device remains in the
   * user's authorized devices on plex.tv until removed there.
   */
  logout(): Promise<void>
}

const LEGACY_TOKEN = /^[\x21-\x7e]{1,8192}$/
/** The largest key set the verifier of @plexauth/core accepts (`jwks.maxBytes`). */
const MAX_KEY_SET_BYTES = 16 * 1024 * 1024
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

function plexErrorMessage(body: unknown): string {
  const errors = (body as { errors?: unknown } | undefined)?.errors
  const first = Array.isArray(errors) ? (errors[0] as { message?: unknown } | undefined) : undefined
  return typeof first?.message === 'string' ? first.message : ''
}

function statusError(response: HttpResponse, endpoint: 'jwk' | 'other'): PlexClientError {
  const { status } = response
  if (status === 401) return new PlexClientError('UNAUTHORIZED', { status })
  if (status === 498) return new PlexClientError('TOKEN_EXPIRED', { status })
  if (status === 422) {
    const taken = endpoint === 'jwk' || /thumbprint/i.test(plexErrorMessage(response.body))
    return new PlexClientError(taken ? 'THUMBPRINT_TAKEN' : 'SIGNATURE_REJECTED', { status })
  }
  return new PlexClientError('HTTP_ERROR', { status })
}

function expectStatus(
  response: HttpResponse,
  ok: readonly number[],
  endpoint: 'jwk' | 'other' = 'other',
): unknown {
  if (!ok.includes(response.status)) throw statusError(response, endpoint)
  return response.body
}

type DeviceState = PlexClientState & { device: DeviceKey }

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
  const { http } = config
  const clients = config.clientsBaseUrl
  let cached: Promise<PlexClientState | undefined> | undefined
  let writes: Promise<unknown> = Promise.resolve()
  // Bumped by logout, so that a login or refresh finishing afterwards does not store its token.
  let generation = 0
  let verifier: { clientIdentifier: string; verifier: PlexVerifier } | undefined
  let refreshing: Promise<string> | undefined
  let gettingToken: Promise<string> | undefined
  // When a refresh ahead of expiry may be tried again, after one failed.
  let refreshRetryAt = 0

  function load(): Promise<PlexClientState | undefined> {
    if (cached !== undefined) return cached
    const loading = (async () => {
      let raw: unknown
      try {
        raw = await config.store.load()
      } catch (err) {
        if (isPlexClientError(err)) throw err
        throw new PlexClientError('STORE_FAILED', { cause: err })
      }
      return raw === undefined || raw === null ? undefined : parseState(raw)
    })()
    cached = loading
    // A store that failed to load is tried again next time: the user may have fixed it.
    loading.catch(() => {
      if (cached === loading) cached = undefined
    })
    return loading
  }

  function update(
    change: (
      state: PlexClientState | undefined,
    ) => PlexClientState | undefined | Promise<PlexClientState | undefined>,
  ): Promise<PlexClientState | undefined> {
    const run = writes.then(async () => {
      const current = await load()
      const next = await change(current)
      if (next === current || next === undefined) return current
      try {
        await config.store.save(structuredClone(next))
      } catch (err) {
        if (isPlexClientError(err)) throw err
        throw new PlexClientError('STORE_FAILED', { cause: err })
      }
      cached = Promise.resolve(next)
      return next
    })
    writes = run.catch(() => {})
    return run
  }

  function fresh(state: PlexClientState | undefined): PlexClientState {
    return state ?? { version: 1, clientIdentifier: randomUUID() }
  }

  async function ensureDevice(): Promise<DeviceState> {
    const current = await load()
    if (current?.device !== undefined) return current as DeviceState
    const next = await update(async (state) =>
      state?.device !== undefined ? state : { ...fresh(state), device: await generateDeviceKey() },
    )
    return next as DeviceState
  }

  function headers(clientIdentifier: string | undefined, token?: string): Record<string, string> {
    return {
      ...config.plexHeaders,
      ...(clientIdentifier === undefined ? {} : { 'x-plex-client-identifier': clientIdentifier }),
      ...(token === undefined ? {} : { 'x-plex-token': token }),
    }
  }

  function verifierFor(clientIdentifier: string): PlexVerifier {
    if (verifier?.clientIdentifier !== clientIdentifier) {
      verifier = {
        clientIdentifier,
        verifier: createPlexVerifier({
          jwksUrl: `${clients}/api/v2/auth/keys`,
          clientIdentifier,
          fetch: http.fetch,
          jwks: {
            timeout: Math.min(120, http.timeoutMs / 1000),
            // The verifier takes key sets of 1 KiB to 16 MiB; maxResponseBytes goes up to 64 MiB.
            maxBytes: Math.min(MAX_KEY_SET_BYTES, Math.max(1024, http.maxBytes)),
          },
        }),
      }
    }
    return verifier.verifier
  }

  async function verify(state: DeviceState, token: string): Promise<PlexJwtIdentity> {
    let identity: Awaited<ReturnType<PlexVerifier['verify']>>
    try {
      identity = await verifierFor(state.clientIdentifier).verify(token)
    } catch (err) {
      // Anything else (e.g. a TypeError of a bug) is not a verdict on the token: it surfaces as it is.
      if (!isPlexAuthError(err)) throw err
      if (err.code === 'KEYS_UNAVAILABLE') throw new PlexClientError('KEYS_UNAVAILABLE', { cause: err })
      throw new PlexClientError('TOKEN_INVALID', { cause: err })
    }
    // The client's verifier never enables legacy tokens: its identities are always Plex JWTs.
    if (identity.kind !== 'jwt' || identity.thumbprint !== state.device.kid) {
      throw new PlexClientError('THUMBPRINT_MISMATCH')
    }
    return identity
  }

  async function accept(state: DeviceState, token: string, startedAt: number): Promise<string> {
    await verify(state, token)
    await update((current) => {
      if (generation !== startedAt || current?.device?.kid !== state.device.kid) {
        throw new PlexClientError('NOT_LOGGED_IN')
      }
      return { ...current, token }
    })
    return token
  }

  async function exchange(state: DeviceState, startedAt: number, signal?: AbortSignal): Promise<string> {
    const clientIdentifier = state.clientIdentifier
    const nonceAnswer = await send(http, {
      method: 'GET',
      url: `${clients}/api/v2/auth/nonce`,
      headers: headers(clientIdentifier),
      signal,
    })
    const nonce = parseNonce(expectStatus(nonceAnswer, [200]))
    const jwt = await signDeviceJwt(state.device, { clientIdentifier, scopes: config.scopes, nonce })
    const tokenAnswer = await send(http, {
      method: 'POST',
      url: `${clients}/api/v2/auth/token`,
      headers: headers(clientIdentifier),
      body: { jwt },
      signal,
    })
    return accept(state, parseAuthToken(expectStatus(tokenAnswer, [200, 201])), startedAt)
  }

  async function loggedIn(): Promise<DeviceState & { token: string }> {
    const state = await load()
    if (state?.device === undefined || state.token === undefined) throw new PlexClientError('NOT_LOGGED_IN')
    return state as DeviceState & { token: string }
  }

  function refresh(): Promise<string> {
    refreshing ??= (async () => {
      const startedAt = generation
      return exchange(await loggedIn(), startedAt)
    })().finally(() => {
      refreshing = undefined
    })
    return refreshing
  }

  async function currentOrRefreshed(): Promise<string> {
    const state = await loggedIn()
    let expiresAt: number | undefined
    try {
      expiresAt = (await verify(state, state.token)).expiresAt
    } catch (err) {
      if (isPlexClientError(err) && err.code === 'KEYS_UNAVAILABLE') throw err
    }
    const now = Date.now()
    const valid = expiresAt !== undefined && expiresAt * 1000 > now
    if (valid && (expiresAt as number) - now / 1000 > config.refreshWithin) return state.token
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

  function getToken(tokenOptions: { forceRefresh?: boolean } = {}): Promise<string> {
    if (tokenOptions.forceRefresh === true) return refresh()
    gettingToken ??= currentOrRefreshed().finally(() => {
      gettingToken = undefined
    })
    return gettingToken
  }

  async function withToken(method: 'GET' | 'POST', url: string): Promise<unknown> {
    const token = await getToken()
    const state = await loggedIn()
    return expectStatus(
      await send(http, { method, url, headers: headers(state.clientIdentifier, token) }),
      [200],
    )
  }

  return {
    async getClientIdentifier() {
      const current = await load()
      if (current !== undefined) return current.clientIdentifier
      const state = await update((stored) => stored ?? fresh(undefined))
      return (state as PlexClientState).clientIdentifier
    },

    async startLogin({ signal } = {}) {
      const state = await ensureDevice()
      const clientIdentifier = state.clientIdentifier
      const answer = await send(http, {
        method: 'POST',
        url: `${clients}/api/v2/pins`,
        headers: headers(clientIdentifier),
        body: { jwk: publicJwk(state.device), strong: true },
        signal,
      })
      const { id, code, expiresIn } = parsePin(expectStatus(answer, [200, 201]))
      const context = `context%5Bdevice%5D%5Bproduct%5D=${encodeURIComponent(config.product)}`
      const authUrl = `${config.authAppUrl}#?clientID=${encodeURIComponent(clientIdentifier)}&code=${encodeURIComponent(code)}&${context}`
      return Object.freeze({ id, code, authUrl, expiresAt: new Date(Date.now() + expiresIn * 1000) })
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
      const startedAt = generation
      const state = await load()
      if (state?.device === undefined) throw new PlexClientError('NOT_LOGGED_IN')
      const device = state as DeviceState
      for (;;) {
        if (signal?.aborted) throw new PlexClientError('ABORTED', { cause: signal.reason })
        if (Date.now() >= pin.expiresAt.getTime()) throw new PlexClientError('LOGIN_EXPIRED')
        const deviceJwt = await signDeviceJwt(device.device, {
          clientIdentifier: device.clientIdentifier,
          scopes: config.scopes,
        })
        const answer = await send(http, {
          method: 'GET',
          url: `${clients}/api/v2/pins/${pin.id}?deviceJWT=${encodeURIComponent(deviceJwt)}`,
          headers: headers(device.clientIdentifier),
          signal,
        })
        if (answer.status === 404) throw new PlexClientError('LOGIN_EXPIRED', { status: 404 })
        const token = parsePinToken(expectStatus(answer, [200]))
        if (token !== undefined) return accept(device, token, startedAt)
        await http.sleep(intervalMs, signal)
      }
    },

    getToken,

    async getIdentity() {
      const token = await getToken()
      return verify(await loggedIn(), token)
    },

    async registerDevice(legacyToken, { signal } = {}) {
      if (typeof legacyToken !== 'string' || !LEGACY_TOKEN.test(legacyToken)) {
        throw new TypeError('plexauth: registerDevice needs a legacy token')
      }
      const startedAt = generation
      const state = await ensureDevice()
      const answer = await send(http, {
        method: 'POST',
        url: `${clients}/api/v2/auth/jwk`,
        headers: headers(state.clientIdentifier, legacyToken),
        body: { jwk: publicJwk(state.device) },
        signal,
      })
      expectStatus(answer, [200, 201, 204], 'jwk')
      return exchange(state, startedAt, signal)
    },

    async getUser() {
      return parseAccount(await withToken('GET', `${config.baseUrl}/api/v2/user`))
    },

    async ping() {
      await withToken('GET', `${config.baseUrl}/api/v2/ping`)
    },

    async getResources() {
      return parseResources(
        await withToken('GET', `${config.baseUrl}/api/v2/resources?includeHttps=1&includeRelay=1`),
      )
    },

    async getTransientToken(serverUrl, token) {
      // The token (by default the account-wide Plex JWT) must not cross the internet in the clear.
      const base = validateBaseUrl('serverUrl', serverUrl, 'lan')
      if (token !== undefined && (typeof token !== 'string' || !LEGACY_TOKEN.test(token))) {
        throw new TypeError('plexauth: token must be a non-empty string of printable characters')
      }
      const useToken = token ?? (await getToken())
      const clientIdentifier = (await load())?.clientIdentifier
      const answer = await send(http, {
        method: 'POST',
        url: `${base}/security/token?type=delegation&scope=all`,
        headers: headers(clientIdentifier, useToken),
      })
      return parseTransientToken(expectStatus(answer, [200, 201]))
    },

    async logout() {
      generation++
      await update((state) =>
        state === undefined || (state.device === undefined && state.token === undefined)
          ? state
          : { version: 1, clientIdentifier: state.clientIdentifier },
      )
    },
  }
}
