// The one way plexauth's packages sign a JWT and check one they did not verify with `createPlexVerifier`
// (node:crypto, no dependency): core's sign-in and the client sign device JWTs, the fake plex.tv signs Plex
// JWTs and checks device JWTs and its own tokens. Ed25519 keys sign EdDSA, RSA keys RS256 (Plex's device
// keys may be either). Incoming Plex JWTs never come here: they take the verifier's strict path.
import { type KeyObject, randomUUID, sign, verify } from 'node:crypto'

/**
 * The JWS algorithms of Plex's keys: EdDSA (Ed25519) for Plex JWTs and device keys, RS256 for RSA device keys.
 *
 * @example
 * ```ts
 * const alg: JwsAlgorithm = 'EdDSA'
 * ```
 */
export type JwsAlgorithm = 'EdDSA' | 'RS256'

/** Lifetime of a device JWT: plex.tv takes them for five minutes. */
const DEVICE_JWT_LIFETIME = 300
const SEGMENT = /^[A-Za-z0-9_-]+$/

/**
 * The algorithm a key signs with: EdDSA for Ed25519, RS256 for RSA, `undefined` for any other key.
 *
 * @example
 * ```ts
 * declare const privateKey: import('node:crypto').KeyObject // an Ed25519 or RSA private key
 * jwsAlgorithmOf(privateKey) // 'EdDSA' for an Ed25519 key
 * ```
 */
export function jwsAlgorithmOf(key: KeyObject): JwsAlgorithm | undefined {
  const type = key.asymmetricKeyType
  return type === 'ed25519' ? 'EdDSA' : type === 'rsa' ? 'RS256' : undefined
}

function digestOf(key: KeyObject): 'sha256' | null {
  const alg = jwsAlgorithmOf(key)
  if (alg === undefined) throw new TypeError('plexauth: JWS keys are Ed25519 or RSA')
  return alg === 'RS256' ? 'sha256' : null
}

/**
 * Signs `${headerB64}.${payloadB64}` as given (EdDSA or RS256, by the key) and returns the compact JWS.
 * Nothing is parsed or checked, so the parts may be anything (tests sign malformed tokens on purpose).
 *
 * @example
 * ```ts
 * declare const privateKey: import('node:crypto').KeyObject // an Ed25519 or RSA private key
 * const token = signJwsParts(Buffer.from('{"alg":"EdDSA"}').toString('base64url'), 'e30', privateKey)
 * ```
 */
export function signJwsParts(headerB64: string, payloadB64: string, key: KeyObject): string {
  const signingInput = `${headerB64}.${payloadB64}`
  const signature = sign(digestOf(key), Buffer.from(signingInput), key)
  return `${signingInput}.${signature.toString('base64url')}`
}

/**
 * Serializes header and payload as JSON, exactly as given (no member added or reordered), and signs them.
 *
 * @example
 * ```ts
 * declare const privateKey: import('node:crypto').KeyObject // an Ed25519 or RSA private key
 * const token = signJws({ alg: 'EdDSA', kid: 'key-1', typ: 'JWT' }, { iss: 'plex.tv' }, privateKey)
 * ```
 */
export function signJws(header: object, payload: object, key: KeyObject): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return signJwsParts(encode(header), encode(payload), key)
}

/**
 * A compact JWS split and decoded (header and payload JSON objects), not verified; `undefined` when it is
 * not three base64url segments of that shape.
 *
 * @example
 * ```ts
 * const kid = decodeJws(token)?.header.kid
 * ```
 */
export function decodeJws(
  jws: string,
): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  const parts = jws.split('.')
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) return undefined
  const header = decodeObject(parts[0] ?? '')
  const payload = decodeObject(parts[1] ?? '')
  return header === undefined || payload === undefined ? undefined : { header, payload }
}

function decodeObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/**
 * The header and payload of a compact JWS whose signature verifies under `publicKey`, with `alg` the key's
 * own (EdDSA for Ed25519, RS256 for RSA: no algorithm confusion) and no `crit` extension; `undefined`
 * otherwise. Claims are not checked: that is the caller's.
 *
 * @example
 * ```ts
 * declare const publicKey: import('node:crypto').KeyObject
 * const verified = verifyJws(token, publicKey)
 * if (verified?.payload.iss === 'plex.tv') console.log('signed by plex.tv')
 * ```
 */
export function verifyJws(
  jws: string,
  publicKey: KeyObject,
): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  const decoded = decodeJws(jws)
  const alg = jwsAlgorithmOf(publicKey)
  if (decoded === undefined || alg === undefined) return undefined
  if (decoded.header.alg !== alg || decoded.header.crit !== undefined) return undefined
  const end = jws.lastIndexOf('.')
  const signature = Buffer.from(jws.slice(end + 1), 'base64url')
  try {
    return verify(digestOf(publicKey), Buffer.from(jws.slice(0, end)), publicKey, signature)
      ? decoded
      : undefined
  } catch {
    return undefined
  }
}

/**
 * What a device JWT says (plex-protocol.md §3.5): who signs (`clientIdentifier`, the `iss`), the user
 * fields asked for, and plex.tv's nonce when exchanging for a token (PIN polling takes a random one).
 *
 * @example
 * ```ts
 * const claims: DeviceJwtClaims = { clientIdentifier: 'my-app', scopes: ['username'], nonce: '0c4d9a3e-5b7f-4f1e-9a2b-6f8e1d2c3b4a' }
 * ```
 */
export interface DeviceJwtClaims {
  clientIdentifier: string
  scopes: readonly string[]
  nonce?: string | undefined
}

/**
 * Signs a device JWT with a device key (Ed25519, or RSA for RS256): header `{kid, alg, typ: 'JWT'}`; claims
 * `nonce`, `scope` (comma-separated), `aud: 'plex.tv'`, `iss` the client identifier, `iat`, and
 * `exp = iat + 300`.
 *
 * @example
 * ```ts
 * declare const privateKey: import('node:crypto').KeyObject // an Ed25519 or RSA private key
 * const jwt = signDeviceJwt(privateKey, 'key-1', { clientIdentifier: 'my-app', scopes: ['username'] })
 * ```
 */
export function signDeviceJwt(
  key: KeyObject,
  kid: string,
  claims: DeviceJwtClaims,
  now = Date.now(),
): string {
  const iat = Math.floor(now / 1000)
  return signJws(
    { kid, alg: jwsAlgorithmOf(key), typ: 'JWT' },
    {
      nonce: claims.nonce ?? randomUUID(),
      scope: claims.scopes.join(','),
      aud: 'plex.tv',
      iss: claims.clientIdentifier,
      iat,
      exp: iat + DEVICE_JWT_LIFETIME,
    },
    key,
  )
}

/**
 * The claims of a device JWT that verifies under the device's public key (`verifyJws`), whose `iss` is the
 * client identifier, whose `aud` is or holds plex.tv, whose `iat` and `exp` are numbers and `exp` not
 * passed; `undefined` otherwise. What plex.tv checks (the fake plex.tv's PIN and exchange routes use it).
 *
 * @example
 * ```ts
 * declare const jwt: string // a device JWT, as signDeviceJwt signs it
 * declare const publicKey: import('node:crypto').KeyObject // the device's registered key
 * const claims = verifyDeviceJwt(jwt, publicKey, 'my-app')
 * ```
 */
export function verifyDeviceJwt(
  jwt: string,
  publicKey: KeyObject,
  clientIdentifier: string,
  now = Date.now(),
): Record<string, unknown> | undefined {
  const claims = verifyJws(jwt, publicKey)?.payload
  if (claims === undefined) return undefined
  const { iss, aud, iat, exp } = claims
  const audiences = Array.isArray(aud) ? aud : [aud]
  if (iss !== clientIdentifier || !audiences.includes('plex.tv')) return undefined
  if (typeof iat !== 'number' || typeof exp !== 'number' || exp * 1000 <= now) return undefined
  return claims
}
