import { parsePin } from '@plexauth/core/plex-tv'
import { publicJwk, signDeviceJwt } from './device-key.js'
import { PlexClientError } from './errors.js'
import { type HttpResponse, send } from './http.js'
import { parseAuthToken, parseNonce, parseTransientToken, readAnswer } from './plex-responses.js'
import type { ResolvedClientOptions } from './resolve-options.js'
import type { DeviceState } from './state-keeper.js'

/**
 * What a token passed in by the caller may look like (a legacy token, a server access token): printable
 * ASCII, at most 8 KiB.
 *
 * @example
 * ```ts
 * if (!TOKEN_VALUE.test(token)) throw new TypeError('plexauth: token must be printable')
 * ```
 */
export const TOKEN_VALUE = /^[\x21-\x7e]{1,8192}$/

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

/**
 * The plex.tv REST calls of a client, each sent with the app's `X-Plex-*` headers and its answer's status
 * mapped to a code. Nothing here reads or writes the store, and no token is verified here.
 *
 * @example
 * ```ts
 * declare const config: Parameters<typeof createPlexTvRequests>[0] // the resolved options
 * declare const device: Parameters<PlexTvRequests['createPin']>[0] // a state holding a device key
 * const requests: PlexTvRequests = createPlexTvRequests(config)
 * const pin = await requests.createPin(device)
 * ```
 */
export interface PlexTvRequests {
  /** `POST /api/v2/pins` with the device's public key: a strong PIN. */
  createPin(
    device: DeviceState,
    signal?: AbortSignal,
  ): Promise<{ id: number; code: string; expiresAt: number }>
  /** `GET /api/v2/pins/<id>?deviceJWT=…`: the token once approved, else `undefined`; 404 is `LOGIN_EXPIRED`. */
  pollPin(device: DeviceState, id: number, signal?: AbortSignal): Promise<string | undefined>
  /** `POST /api/v2/auth/jwk` with a legacy token: registers the device key. */
  registerKey(device: DeviceState, legacyToken: string, signal?: AbortSignal): Promise<void>
  /** Nonce, device JWT, `POST /api/v2/auth/token`: a new, not yet verified Plex JWT. */
  exchange(device: DeviceState, signal?: AbortSignal): Promise<string>
  /** A `GET` of plex.tv (`/api/v2/user`, `/ping`, `/resources`) with the account's token: the answer's body. */
  getWithToken(path: string, clientIdentifier: string, token: string): Promise<unknown>
  /** `POST {server}/security/token?type=delegation&scope=all` on a Plex Media Server: a transient token. */
  transientToken(serverUrl: string, clientIdentifier: string | undefined, token: string): Promise<string>
}

/**
 * Builds the plex.tv requests of one client from its resolved options.
 *
 * @example
 * ```ts
 * declare const config: Parameters<typeof createPlexTvRequests>[0]
 * declare const device: Parameters<PlexTvRequests['exchange']>[0]
 * const jwt = await createPlexTvRequests(config).exchange(device) // not verified yet
 * ```
 */
export function createPlexTvRequests(config: ResolvedClientOptions): PlexTvRequests {
  const { http } = config
  const clients = config.clientsBaseUrl

  function headers(clientIdentifier: string | undefined, token?: string): Record<string, string> {
    return {
      ...config.plexHeaders,
      ...(clientIdentifier === undefined ? {} : { 'x-plex-client-identifier': clientIdentifier }),
      ...(token === undefined ? {} : { 'x-plex-token': token }),
    }
  }

  return {
    async createPin(device, signal) {
      const answer = await send(http, {
        method: 'POST',
        url: `${clients}/api/v2/pins`,
        headers: headers(device.clientIdentifier),
        body: { jwk: publicJwk(device.device), strong: true },
        signal,
      })
      const { id, code, expiresAt } = readAnswer(parsePin, expectStatus(answer, [200, 201]))
      return { id, code, expiresAt }
    },

    async pollPin(device, id, signal) {
      const deviceJwt = await signDeviceJwt(device.device, {
        clientIdentifier: device.clientIdentifier,
        scopes: config.scopes,
      })
      const answer = await send(http, {
        method: 'GET',
        url: `${clients}/api/v2/pins/${id}?deviceJWT=${encodeURIComponent(deviceJwt)}`,
        headers: headers(device.clientIdentifier),
        signal,
      })
      if (answer.status === 404) throw new PlexClientError('LOGIN_EXPIRED', { status: 404 })
      return readAnswer(parsePin, expectStatus(answer, [200])).authToken ?? undefined
    },

    async registerKey(device, legacyToken, signal) {
      const answer = await send(http, {
        method: 'POST',
        url: `${clients}/api/v2/auth/jwk`,
        headers: headers(device.clientIdentifier, legacyToken),
        body: { jwk: publicJwk(device.device) },
        signal,
      })
      expectStatus(answer, [200, 201, 204], 'jwk')
    },

    async exchange(device, signal) {
      const { clientIdentifier } = device
      const nonceAnswer = await send(http, {
        method: 'GET',
        url: `${clients}/api/v2/auth/nonce`,
        headers: headers(clientIdentifier),
        signal,
      })
      const nonce = parseNonce(expectStatus(nonceAnswer, [200]))
      const jwt = await signDeviceJwt(device.device, { clientIdentifier, scopes: config.scopes, nonce })
      const tokenAnswer = await send(http, {
        method: 'POST',
        url: `${clients}/api/v2/auth/token`,
        headers: headers(clientIdentifier),
        body: { jwt },
        signal,
      })
      return parseAuthToken(expectStatus(tokenAnswer, [200, 201]))
    },

    async getWithToken(path, clientIdentifier, token) {
      const answer = await send(http, {
        method: 'GET',
        url: `${config.baseUrl}${path}`,
        headers: headers(clientIdentifier, token),
      })
      return expectStatus(answer, [200])
    },

    async transientToken(serverUrl, clientIdentifier, token) {
      const answer = await send(http, {
        method: 'POST',
        url: `${serverUrl}/security/token?type=delegation&scope=all`,
        headers: headers(clientIdentifier, token),
      })
      return parseTransientToken(expectStatus(answer, [200, 201]))
    },
  }
}
