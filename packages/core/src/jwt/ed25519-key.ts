import { createPrivateKey, createPublicKey, type KeyObject, randomBytes } from 'node:crypto'

// RFC 8410's PKCS #8 encoding of an Ed25519 private key, up to its 32-byte seed: a fixed prefix, written
// out rather than parsed, so that node:crypto parses the whole key.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/**
 * A new Ed25519 key pair: a private key made from 32 random bytes (as RFC 8032 defines one) and its public
 * half. Not `generateKeyPairSync('ed25519')`, which can deadlock the process on Node 20: the key
 * generation job locks the new key's mutex when it is destroyed (`~KeyPairGenConfig`), and when a garbage
 * collection destroys it while that same key is being exported as a JWK (which holds the mutex while it
 * allocates the JWK's strings), the main thread waits on itself for ever. Seen in this repository's test
 * runs: a vitest worker stuck in `KeyGenJob::~KeyGenJob`, called by the GC under `ExportJWKEdKey`.
 * A key parsed from bytes shares its mutex with no job.
 *
 * @example
 * ```ts
 * const { privateKey, publicKey } = generateEd25519KeyPair()
 * const { x } = publicKey.export({ format: 'jwk' })
 * ```
 */
export function generateEd25519KeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return ed25519KeyPairFromSeed(randomBytes(32))
}

/**
 * The Ed25519 key pair of a 32-byte seed (RFC 8032's private key): for a random seed, or one derived from
 * a secret (the device key of a sign-in).
 */
export function ed25519KeyPairFromSeed(seed: Uint8Array): { privateKey: KeyObject; publicKey: KeyObject } {
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, seed])
  try {
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    return { privateKey, publicKey: createPublicKey(privateKey) }
  } finally {
    // The KeyObject holds its own copy: the seed is not left behind in a buffer.
    der.fill(0)
  }
}
