import { createPrivateKey, createPublicKey } from 'node:crypto'
import { ed25519Thumbprint, validateBaseUrl } from '@plexauth/core/plex-tv'
import { PlexClientError } from './errors.js'

/**
 * The private half of the device key, as a JWK (`x` public, `d` private, both base64url).
 *
 * @example
 * ```ts
 * const jwk: DevicePrivateJwk = { kty: 'OKP', crv: 'Ed25519', x: '…', d: '…' }
 * ```
 */
export interface DevicePrivateJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  d: string
}

/**
 * The device key of this install. `kid` is the RFC 7638 thumbprint of the public key: what plex.tv puts in
 * the `thumbprint` claim of every token it issues to this device.
 *
 * @example
 * ```ts
 * declare const state: PlexClientState
 * const kid = state.device?.kid
 * ```
 */
export interface DeviceKey {
  kid: string
  privateJwk: DevicePrivateJwk
}

/**
 * What a store keeps: the client identifier (generated once), the device key, the last Plex JWT and the
 * hosts it came from. Treat it as a secret: the private key can mint new tokens until the device is revoked on plex.tv.
 *
 * @example
 * ```ts
 * const state: PlexClientState = { version: 1, clientIdentifier: crypto.randomUUID() }
 * ```
 */
export interface PlexClientState {
  version: 1
  clientIdentifier: string
  device?: DeviceKey
  token?: string
  /** The plex.tv the token came from (the client's `baseUrl`), kept with the token. */
  baseUrl?: string
  /** The clients.plex.tv the token came from (the client's `clientsBaseUrl`), kept with the token. */
  clientsBaseUrl?: string
}

/**
 * Where the client keeps its state: `fileStore`, `memoryStore`, or your own (a database row, a secret
 * manager). Both methods may be sync or async; `load` returns `undefined` (or `null`) when nothing is stored.
 * `save` should replace the whole state atomically. A store several processes share may offer `lock`.
 *
 * @example
 * ```ts
 * declare const db: {
 *   get(key: string): Promise<string | null>
 *   set(key: string, value: string): Promise<void>
 *   transaction<T>(run: () => Promise<T>): Promise<T>
 * }
 * const store: PlexClientStore = {
 *   load: async () => JSON.parse((await db.get('plex')) ?? 'null'),
 *   save: (state) => db.set('plex', JSON.stringify(state)),
 * }
 * ```
 */
export interface PlexClientStore {
  load(): PlexClientState | undefined | null | Promise<PlexClientState | undefined | null>
  save(state: PlexClientState): void | Promise<void>
  /**
   * Optional, for a store several processes share: runs `critical` (a `load`, then maybe a `save`) so that
   * no other process's change comes between the two, e.g. in a transaction or under a lock. The client
   * re-reads the store before every write, so that it never writes back a login another process removed
   * (`plexauth logout`); this closes the window between that read and the write. `fileStore` holds a lock
   * file beside the store.
   *
   * @example
   * ```ts
   * declare const db: { transaction<T>(run: () => Promise<T>): Promise<T> }
   * declare const { load, save }: PlexClientStore
   * const store: PlexClientStore = { load, save, lock: (critical) => db.transaction(critical) }
   * ```
   */
  lock?<T>(critical: () => Promise<T>): Promise<T>
}

const B64_KEY = /^[A-Za-z0-9_-]{43}$/
const PRINTABLE = /^[\x21-\x7e]+$/
const MAX_TOKEN_LENGTH = 8192

function corrupt(cause?: unknown): PlexClientError {
  return new PlexClientError('STORE_CORRUPT', cause === undefined ? {} : { cause })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseDevice(value: unknown): DeviceKey {
  if (!isObject(value) || !isObject(value.privateJwk)) throw corrupt()
  const { kid } = value
  const { kty, crv, x, d } = value.privateJwk
  if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string' || typeof d !== 'string') throw corrupt()
  if (!B64_KEY.test(x) || !B64_KEY.test(d) || kid !== ed25519Thumbprint(x)) throw corrupt()
  try {
    const derived = createPublicKey(createPrivateKey({ key: { kty, crv, x, d }, format: 'jwk' })).export({
      format: 'jwk',
    })
    if (derived.x !== x) throw new Error('the private and public halves do not match')
  } catch (cause) {
    throw corrupt(cause)
  }
  return { kid, privateJwk: { kty, crv, x, d } }
}

/**
 * Checks a loaded state strictly (shape, sizes, and that the key pair and its kid agree), so a store
 * tampered with or half-written is reported as `STORE_CORRUPT` and never used or overwritten.
 *
 * @example
 * ```ts
 * const text = '{"version":1,"clientIdentifier":"c0ffee"}'
 * const state = parseState(JSON.parse(text)) // else throws PlexClientError('STORE_CORRUPT')
 * ```
 */
export function parseState(value: unknown): PlexClientState {
  if (!isObject(value) || value.version !== 1) throw corrupt()
  const { clientIdentifier, device, token } = value
  if (
    typeof clientIdentifier !== 'string' ||
    clientIdentifier.length > 256 ||
    !PRINTABLE.test(clientIdentifier)
  ) {
    throw corrupt()
  }
  const state: PlexClientState = { version: 1, clientIdentifier }
  if (device !== undefined) state.device = parseDevice(device)
  if (token !== undefined) {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !PRINTABLE.test(token))
      throw corrupt()
    if (state.device === undefined) throw corrupt()
    state.token = token
  }
  for (const name of ['baseUrl', 'clientsBaseUrl'] as const) {
    const url = value[name]
    if (url === undefined) continue
    if (state.token === undefined) throw corrupt()
    try {
      // As strict as the option: a store must not send the token anywhere an option could not.
      state[name] = validateBaseUrl(name, url)
    } catch (cause) {
      throw corrupt(cause)
    }
  }
  return state
}
