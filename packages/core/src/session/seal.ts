import { createHash, hkdfSync } from 'node:crypto'
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose'

/** What a key seals: the session cookie, the login-state cookie, or seeds the login's device keys. */
export type KeyPurpose = 'session' | 'login'

/** One key derived from one secret, with the `kid` that names it in the JWE header. */
export interface SealingKey {
  readonly kid: string
  readonly key: Uint8Array
}

/**
 * The keys of one purpose, derived with HKDF-SHA256 from each secret (the first seals, all open): the
 * secret itself never touches a cookie, and the session and login-state keys differ, so neither cookie
 * can pass for the other.
 */
export interface SealingKeys {
  readonly current: SealingKey
  readonly byKid: ReadonlyMap<string, SealingKey>
}

const SALT = 'plexauth'

/** A 32-byte key for `purpose`, derived from `secret` with HKDF-SHA256. */
export function deriveKey(secret: string, purpose: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, SALT, `plexauth ${purpose} v1`, 32))
}

export function deriveKeys(secrets: readonly string[], purpose: KeyPurpose): SealingKeys {
  const keys = secrets.map((secret) => {
    const key = deriveKey(secret, purpose)
    // A public name for the key: a hash of the derived key, which reveals nothing about the secret.
    const kid = createHash('sha256').update(key).digest('base64url').slice(0, 16)
    return { kid, key }
  })
  return { current: keys[0]!, byKid: new Map(keys.map((key) => [key.kid, key])) }
}

/** A compact JWE (`dir`, `A256GCM`) of `payload` under the current key: any JOSE library given the key opens it. */
export async function seal(keys: SealingKeys, payload: object): Promise<string> {
  const plaintext = new TextEncoder().encode(JSON.stringify(payload))
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: keys.current.kid })
    .encrypt(keys.current.key)
}

/** What `unseal` found: the payload, and whether a key other than the current one sealed it (rotation). */
export interface Unsealed {
  payload: Record<string, unknown>
  rotated: boolean
}

const COMPACT_JWE = /^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/**
 * Opens a compact JWE sealed by `seal` with any of the keys; `undefined` for anything else (tampered,
 * foreign key, not a JWE, not a JSON object). Never throws.
 */
export async function unseal(
  keys: SealingKeys,
  value: string,
  maxLength: number,
): Promise<Unsealed | undefined> {
  if (value.length > maxLength || !COMPACT_JWE.test(value)) return undefined
  try {
    const { kid, alg, enc } = decodeProtectedHeader(value)
    if (alg !== 'dir' || enc !== 'A256GCM' || typeof kid !== 'string') return undefined
    const key = keys.byKid.get(kid)
    if (key === undefined) return undefined
    const { plaintext } = await compactDecrypt(value, key.key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    })
    const payload: unknown = JSON.parse(new TextDecoder().decode(plaintext))
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined
    return { payload: payload as Record<string, unknown>, rotated: key !== keys.current }
  } catch {
    return undefined
  }
}
