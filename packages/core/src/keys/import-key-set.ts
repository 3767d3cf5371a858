import { createPublicKey, type KeyObject } from 'node:crypto'
import { decodeBase64url, isCanonicalBase64url } from '../jwt/base64url.js'
import { isStrongEd25519PublicKey } from '../jwt/ed25519-point.js'
import { MAX_KID_LENGTH } from '../jwt/parse-token.js'
import type { PlexJwk, PlexJwks } from './key-set-types.js'

/** A key set reduced to the keys that can be trusted, by `kid`. */
export interface ImportedKeySet {
  readonly keys: ReadonlyMap<string, KeyObject>
  /** Members left out: not public OKP Ed25519 signing keys, malformed, weak, or with a duplicated kid. */
  readonly dropped: number
  /** The trusted members, as JSON, for a key store. */
  readonly jwks: PlexJwks
}

/** Why a whole key set was refused. */
export type KeySetRejection = 'invalid_jwks' | 'too_many_keys' | 'no_usable_keys'

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function usableMember(member: unknown): member is Record<string, unknown> & { kid: string; x: string } {
  if (!isPlainObject(member)) return false
  const { kty, crv, x, kid, use, alg, key_ops: keyOps, d } = member
  if (kty !== 'OKP' || crv !== 'Ed25519' || d !== undefined) return false
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return false
  if (use !== undefined && use !== 'sig') return false
  if (alg !== undefined && alg !== 'EdDSA' && alg !== 'Ed25519') return false
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify'))) return false
  if (typeof x !== 'string' || x.length !== 43 || !isCanonicalBase64url(x)) return false
  return isStrongEd25519PublicKey(decodeBase64url(x))
}

/**
 * Turns an untrusted key set (parsed JSON) into verification keys. Every member that is not a
 * public Ed25519 signing key with a sound `x` is dropped, and so is every member sharing a `kid`
 * with another, since either could be the one an attacker planted.
 */
export function importKeySet(input: unknown, maxKeys: number): ImportedKeySet | KeySetRejection {
  if (!isPlainObject(input) || !Array.isArray(input.keys)) return 'invalid_jwks'
  const members: unknown[] = input.keys
  if (members.length > maxKeys) return 'too_many_keys'
  const byKid = new Map<string, Record<string, unknown> & { kid: string; x: string }>()
  const duplicated = new Set<string>()
  let dropped = 0
  for (const member of members) {
    if (!usableMember(member)) {
      dropped++
      continue
    }
    if (byKid.has(member.kid) || duplicated.has(member.kid)) {
      duplicated.add(member.kid)
      dropped++
      continue
    }
    byKid.set(member.kid, member)
  }
  // A kid is marked duplicated only once a member with it was kept: each one drops that member too.
  for (const kid of duplicated) {
    byKid.delete(kid)
    dropped++
  }
  if (byKid.size === 0) return 'no_usable_keys'
  const keys = new Map<string, KeyObject>()
  const trusted: PlexJwk[] = []
  for (const [kid, member] of byKid) {
    // Cannot throw: Node imports any 32 bytes as an Ed25519 key, and usableMember checked x is a sound point.
    keys.set(kid, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: member.x }, format: 'jwk' }))
    trusted.push({ kty: 'OKP', crv: 'Ed25519', x: member.x, kid, use: 'sig', alg: 'EdDSA' })
  }
  return { keys, dropped, jwks: { keys: trusted } }
}
