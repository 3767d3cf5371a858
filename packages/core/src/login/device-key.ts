import { createHash, hkdfSync, type KeyObject } from 'node:crypto'
import { ed25519KeyPairFromSeed } from '../jwt/ed25519-key.js'
import { signDeviceJwt as signWithKey } from '../jwt/jws.js'
import type { PlexScope } from '../jwt/scopes.js'
import type { Ed25519PublicJwk } from '../keys/key-set-types.js'

/** A device key of one sign-in: the private key signs its device JWTs, the public JWK goes with the PIN. */
export interface DeviceKey {
  readonly privateKey: KeyObject
  readonly jwk: Ed25519PublicJwk
}

/** The user fields asked for; scopes grant no rights on a server (plex-protocol.md §2). */
const SCOPES: readonly PlexScope[] = ['username', 'email', 'friendly_name', 'restricted']

/**
 * The device key of one PIN: HKDF-SHA256 from the login key (itself derived from the session secret) and the
 * PIN's random nonce, which the sealed login-state cookie carries. Every instance holding the secret derives
 * the same key from the cookie, after a restart too, without storing anything; and each sign-in has a key of
 * its own, so nothing depends on whether plex.tv accepts one device key for many accounts.
 */
export function deriveDeviceKey(loginKey: Uint8Array, nonce: Buffer): DeviceKey {
  const seed = Buffer.from(hkdfSync('sha256', loginKey, nonce, 'plexauth device key v1', 32))
  const { privateKey, publicKey } = ed25519KeyPairFromSeed(seed)
  const { x } = publicKey.export({ format: 'jwk' }) as { x: string }
  // python-plexapi names its key by a SHA-256 of the key; any stable, unique name will do.
  const kid = createHash('sha256').update(x).digest('hex')
  return { privateKey, jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' } }
}

/** A device JWT (plex-protocol.md §3.5) proving to plex.tv that the poller holds the PIN's key. */
export function signDeviceJwt(key: DeviceKey, clientIdentifier: string): Promise<string> {
  // Core's one device JWT signer, shared with @plexauth/client.
  return Promise.resolve(signWithKey(key.privateKey, key.jwk.kid, { clientIdentifier, scopes: SCOPES }))
}
