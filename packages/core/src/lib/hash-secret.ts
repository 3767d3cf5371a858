import { createHash } from 'node:crypto'

/**
 * The key under which a secret (a token) is cached or backs off: its SHA-256 hash, so that no cache, store
 * or map ever holds the secret itself.
 *
 * @example
 * ```ts
 * const store = new Map<string, { userId: number }>()
 * store.set(`legacy:${hashSecret(token)}`, { userId: 1 }) // the token itself is never kept
 * ```
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url')
}
