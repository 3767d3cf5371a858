import { BoundedFetchError, fetchBounded } from '../lib/bounded-fetch.js'
import type { PlexAuthError } from '../lib/errors.js'
import type { PlexAuthEvent, PlexRequestFailure } from '../lib/event-types.js'
import { type PlexPinAnswer, parsePin } from '../plex-tv/parse-answers.js'
import { unavailable } from '../plex-tv/plex-tv.js'
import { type DeviceKey, signDeviceJwt } from './device-key.js'

/** How the app talks to plex.tv's PIN endpoints. Durations in ms. */
export interface PinClientConfig {
  plexTvUrl: string
  clientsUrl: string
  clientIdentifier: string
  /** `X-Plex-*` headers describing the app: they name it in the user's list of authorized devices. */
  productHeaders: Readonly<Record<string, string>>
  fetch: typeof globalThis.fetch
  timeoutMs: number
  emit: (event: PlexAuthEvent) => void
}

/** A PIN as plex.tv created it. `expiresAt` in ms. */
export interface CreatedPin {
  id: number
  code: string
  expiresAt: number
}

/** What a poll found. */
export type PinPoll = { status: 'pending' } | { status: 'approved'; token: string } | { status: 'expired' }

const MAX_PIN_BYTES = 64 * 1024

/** A PIN answer (its life capped at an hour by `parsePin`). */
function readPin(text: string): PlexPinAnswer {
  return parsePin(JSON.parse(text))
}

/**
 * plex.tv's PIN endpoints, asked by the server (never the browser: no CORS, one client identifier end to
 * end). `flow: 'jwt'` creates the PIN at `clientsUrl` with the sign-in's device key and polls it with a device
 * JWT; `'legacy'` creates a classic PIN at `plexTvUrl`. Anything but a clear answer is `PLEX_UNAVAILABLE`.
 */
export class PinClient {
  readonly #config: PinClientConfig

  constructor(config: PinClientConfig) {
    this.#config = config
  }

  async create(key: DeviceKey | undefined): Promise<CreatedPin> {
    const { plexTvUrl, clientsUrl } = this.#config
    const url = key === undefined ? `${plexTvUrl}/api/v2/pins?strong=true` : `${clientsUrl}/api/v2/pins`
    const body = key === undefined ? undefined : JSON.stringify({ jwk: key.jwk, strong: true })
    const { status, text } = await this.#send('POST', url, body)
    if ((status !== 201 && status !== 200) || text === undefined) throw this.#failed(url, 'status', status)
    try {
      const pin = readPin(text)
      return { id: pin.id, code: pin.code, expiresAt: pin.expiresAt }
    } catch (err) {
      throw this.#failed(url, 'invalid_body', undefined, err)
    }
  }

  async poll(id: number, key: DeviceKey | undefined): Promise<PinPoll> {
    const { plexTvUrl, clientsUrl, clientIdentifier } = this.#config
    let url = `${key === undefined ? plexTvUrl : clientsUrl}/api/v2/pins/${id}`
    const logged = url
    if (key !== undefined) url += `?deviceJWT=${await signDeviceJwt(key, clientIdentifier)}`
    const { status, text } = await this.#send('GET', url, undefined, logged)
    // 1020 "Code not found or expired": expired, withdrawn (denied), or never ours.
    if (status === 404) return { status: 'expired' }
    if (status !== 200 || text === undefined) throw this.#failed(logged, 'status', status)
    let pin: ReturnType<typeof readPin>
    try {
      pin = readPin(text)
    } catch (err) {
      throw this.#failed(logged, 'invalid_body', undefined, err)
    }
    if (pin.id !== id) throw this.#failed(logged, 'invalid_body')
    return pin.authToken === null ? { status: 'pending' } : { status: 'approved', token: pin.authToken }
  }

  async #send(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    logged = url,
  ): Promise<{ status: number; text: string | undefined }> {
    const { clientIdentifier, productHeaders, fetch, timeoutMs } = this.#config
    try {
      const response = await fetchBounded(url, {
        fetch,
        timeoutMs,
        maxBytes: MAX_PIN_BYTES,
        method,
        headers: {
          accept: 'application/json',
          'x-plex-client-identifier': clientIdentifier,
          ...productHeaders,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body }),
        readStatuses: [200, 201],
      })
      return { status: response.status, text: response.text }
    } catch (err) {
      throw this.#failed(logged, err instanceof BoundedFetchError ? err.reason : 'network', undefined, err)
    }
  }

  #failed(url: string, reason: PlexRequestFailure, status?: number, cause?: unknown): PlexAuthError {
    // The device JWT stays out of events: only the path is reported.
    const at = url.indexOf('?')
    this.#config.emit({
      type: 'plex_request_failed',
      url: at === -1 ? url : url.slice(0, at),
      reason: status === 429 ? 'rate_limited' : reason,
      ...(status === undefined ? {} : { status }),
      retryIn: 1,
    })
    return unavailable(1000, cause)
  }
}
