import { KeyObject, type webcrypto } from 'node:crypto'
import { signJwsParts } from '@plexauth/core/plex-tv'

/**
 * A private key that can sign tokens (Ed25519 signs EdDSA, RSA signs RS256): a `KeyObject`, a WebCrypto `CryptoKey` (as jose returns),
 * or anything holding a `privateKey` `KeyObject`, such as the result of `generateEd25519Key()`.
 *
 * @example
 * ```ts
 * const key: PrivateKeyLike = generateEd25519Key()
 * ```
 */
export type PrivateKeyLike = KeyObject | webcrypto.CryptoKey | { readonly privateKey: KeyObject }

/**
 * Encodes bytes or a UTF-8 string as unpadded base64url.
 *
 * @example
 * ```ts
 * base64url('{"alg":"EdDSA"}') // 'eyJhbGciOiJFZERTQSJ9'
 * ```
 */
export function base64url(input: string | Uint8Array): string {
  return Buffer.from(input).toString('base64url')
}

/**
 * Signs `${headerB64}.${payloadB64}` as given and returns the compact JWS. Nothing is parsed or checked,
 * so the parts may be anything, e.g. not JSON at all.
 *
 * @example
 * ```ts
 * const token = signRaw(base64url('{"alg":"EdDSA"}'), base64url('not json'), generateEd25519Key())
 * ```
 */
export function signRaw(headerB64: string, payloadB64: string, key: PrivateKeyLike): string {
  return signJwsParts(headerB64, payloadB64, toKeyObject(key))
}

/**
 * Serializes header and payload as JSON, exactly as given (no member is added or reordered), and signs
 * them (core's one JWS signer: EdDSA with an Ed25519 key, RS256 with an RSA key).
 *
 * @example
 * ```ts
 * const key = generateEd25519Key()
 * const token = signJwt({ kid: key.kid, alg: 'EdDSA' }, { iss: 'plex.tv' }, key)
 * ```
 */
export function signJwt(header: object, payload: object, key: PrivateKeyLike): string {
  return signRaw(base64url(JSON.stringify(header)), base64url(JSON.stringify(payload)), key)
}

function toKeyObject(key: PrivateKeyLike): KeyObject {
  if (key instanceof KeyObject) return key
  if ('privateKey' in key) return key.privateKey
  return KeyObject.from(key)
}
