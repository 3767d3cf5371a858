import { createPrivateKey } from 'node:crypto'
import type { Ed25519PublicJwk } from '@plexauth/core'
import {
  ed25519Thumbprint,
  generateEd25519KeyPair,
  signDeviceJwt as signWithKey,
} from '@plexauth/core/plex-tv'
import type { DeviceKey } from './client-state.js'

/**
 * The public half of a device key as plex.tv takes it (`POST /api/v2/pins`, `POST /api/v2/auth/jwk`).
 *
 * @example
 * ```ts
 * const jwk: DevicePublicJwk = publicJwk(await generateDeviceKey())
 * ```
 */
export type DevicePublicJwk = Ed25519PublicJwk

/**
 * Generates a device key: an Ed25519 key pair whose `kid` is the RFC 7638 thumbprint of the public key.
 * (python-plexapi hashes the raw private and public bytes instead; plex.tv takes any kid, and a thumbprint
 * can be recomputed from the public key alone, without touching private material.)
 *
 * @example
 * ```ts
 * const device = await generateDeviceKey()
 * ```
 */
export async function generateDeviceKey(): Promise<DeviceKey> {
  const { privateKey } = generateEd25519KeyPair()
  // Node exports an Ed25519 private key's JWK with both halves, always.
  const { x, d } = privateKey.export({ format: 'jwk' }) as { x: string; d: string }
  return { kid: ed25519Thumbprint(x), privateJwk: { kty: 'OKP', crv: 'Ed25519', x, d } }
}

/**
 * The public JWK of a device key.
 *
 * @example
 * ```ts
 * const device = await generateDeviceKey()
 * const body = JSON.stringify({ jwk: publicJwk(device) }) // for POST /api/v2/auth/jwk
 * ```
 */
export function publicJwk(device: DeviceKey): DevicePublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', x: device.privateJwk.x, kid: device.kid, use: 'sig', alg: 'EdDSA' }
}

/**
 * Signs a device JWT: header `{kid, alg: 'EdDSA', typ: 'JWT'}`; claims `nonce`, `scope` (comma-separated),
 * `aud: 'plex.tv'`, `iss` the client identifier, `iat`, `exp = iat + 300`. Without a nonce (PIN polling),
 * a random one is used.
 *
 * @example
 * ```ts
 * const device = await generateDeviceKey()
 * const nonce = 'the nonce of GET /api/v2/auth/nonce'
 * const jwt = await signDeviceJwt(device, { clientIdentifier: 'my-app', scopes: ['username'], nonce })
 * ```
 */
export async function signDeviceJwt(
  device: DeviceKey,
  claims: { clientIdentifier: string; scopes: readonly string[]; nonce?: string },
): Promise<string> {
  // Core's one device JWT signer (node:crypto), shared with plexLogin's sign-in and the fake's checks.
  const key = createPrivateKey({ key: { ...device.privateJwk }, format: 'jwk' })
  return signWithKey(key, device.kid, claims)
}
