import { createPublicKey, type KeyObject } from 'node:crypto'
import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose'
import type { FakePlexState } from './state.js'

const X = /^[A-Za-z0-9_-]{43}$/

/** The body of a request as JSON, or `undefined` when it is not JSON. */
export function readJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

/** A public Ed25519 JWK as a client sends it (`kid` required, no private part), or `undefined`. */
export function parsePublicJwk(value: unknown): { kid: string; publicKey: KeyObject } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const { kty, crv, x, kid, d } = value as Record<string, unknown>
  if (kty !== 'OKP' || crv !== 'Ed25519' || typeof x !== 'string' || !X.test(x) || d !== undefined)
    return undefined
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128) return undefined
  try {
    return { kid, publicKey: createPublicKey({ key: { kty, crv, x }, format: 'jwk' }) }
  } catch {
    return undefined
  }
}

/** The `kid` of a compact JWS header, or `undefined`. */
export function kidOf(jwt: string): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(jwt)
    return typeof kid === 'string' && kid !== '' ? kid : undefined
  } catch {
    return undefined
  }
}

/**
 * The claims of a device JWT that verifies under `publicKey`: EdDSA, `iss` the client identifier,
 * `aud` plex.tv, `iat` and `exp` present and `exp` not passed. `undefined` otherwise.
 */
export async function verifyDeviceJwt(
  jwt: string,
  publicKey: KeyObject,
  clientIdentifier: string,
): Promise<JWTPayload | undefined> {
  try {
    const { payload } = await jwtVerify(jwt, publicKey, {
      algorithms: ['EdDSA'],
      issuer: clientIdentifier,
      audience: 'plex.tv',
      requiredClaims: ['iat', 'exp'],
    })
    return payload
  } catch {
    return undefined
  }
}

/** The scopes of a device JWT's `scope` claim (comma-separated), or `undefined` without one. */
export function scopesOf(claims: JWTPayload): string[] | undefined {
  return typeof claims.scope === 'string' ? claims.scope.split(',').filter(Boolean) : undefined
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
