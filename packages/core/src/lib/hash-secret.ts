import { createHash } from 'node:crypto'

/**
 * The key under which a secret (a token) is cached or backs off: its SHA-256 hash, so that no cache, store
 * or map ever holds the secret itself.
 *
 * @example
 * ```ts
 * store.set(`legacy:${hashSecret(token)}`, record, ttlMs)
 * ```
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url')
}
