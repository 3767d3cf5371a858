import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import { decodeJws, splitScopes, verifyDeviceJwt } from '@plexauth/core/plex-tv'
import type { FakePlexState } from './state.js'

const X = /^[A-Za-z0-9_-]{43}$/
const B64URL = /^[A-Za-z0-9_-]+$/

/** The body of a request as JSON, or `undefined` when it is not JSON. */
export function readJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

/**
 * A public device key as a client sends it, `kid` required, no private part: Ed25519
 * (`{kty:"OKP",crv:"Ed25519",x}`) or RSA (`{kty:"RSA",n,e}`, at least 2048 bits), the two kinds Plex's
 * documentation allows for device JWTs (EdDSA, RS256). `undefined` for anything else.
 */
export function parsePublicJwk(value: unknown): { kid: string; publicKey: KeyObject } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const { kty, crv, x, n, e, kid, d } = value as Record<string, unknown>
  if (d !== undefined || typeof kid !== 'string' || kid.length === 0 || kid.length > 128) return undefined
  let jwk: JsonWebKey
  if (kty === 'OKP' && crv === 'Ed25519' && typeof x === 'string' && X.test(x)) jwk = { kty, crv, x }
  else if (
    kty === 'RSA' &&
    typeof n === 'string' &&
    typeof e === 'string' &&
    B64URL.test(n) &&
    B64URL.test(e)
  )
    jwk = { kty, n, e }
  else return undefined
  try {
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' })
    const bits = publicKey.asymmetricKeyDetails?.modulusLength
    if (kty === 'RSA' && (bits === undefined || bits < 2048)) return undefined
    return { kid, publicKey }
  } catch {
    return undefined
  }
}

/** The `kid` of a compact JWS header, or `undefined`. */
export function kidOf(jwt: string): string | undefined {
  const kid = decodeJws(jwt)?.header.kid
  return typeof kid === 'string' && kid !== '' ? kid : undefined
}

/**
 * The claims of a device JWT that verifies under `publicKey`: `alg` EdDSA for an Ed25519 key, RS256 for an
 * RSA key, `iss` the client identifier, `aud` plex.tv (a string or an array holding it), `iat` and `exp`
 * numbers and `exp` not passed. `undefined` otherwise. Core's check, the one plexauth's packages share.
 */
export { verifyDeviceJwt }

/** The scopes of a device JWT's `scope` claim (comma-separated), or `undefined` without one. */
export function scopesOf(claims: Record<string, unknown>): string[] | undefined {
  return typeof claims.scope === 'string' ? splitScopes(claims.scope) : undefined
}

/**
 * Registers a device key for a client identifier, replacing that client's earlier key. `'taken'` when the
 * kid already belongs to another client identifier (plex.tv: 422 "Thumbprint Already Taken").
 */
export function registerDevice(
  state: FakePlexState,
  device: {
    kid: string
    publicKey: KeyObject
    clientIdentifier: string
    accountId: number
    legacyToken?: string | undefined
  },
): 'registered' | 'taken' {
  const existing = state.devices.get(device.kid)
  if (existing !== undefined && existing.clientIdentifier !== device.clientIdentifier) return 'taken'
  for (const [kid, other] of state.devices) {
    if (other.clientIdentifier === device.clientIdentifier) state.devices.delete(kid)
  }
  state.devices.set(device.kid, { legacyToken: undefined, ...device })
  return 'registered'
}
