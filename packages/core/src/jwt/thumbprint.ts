import { createHash } from 'node:crypto'

/**
 * The RFC 7638 thumbprint of an Ed25519 public key: base64url SHA-256 of `{"crv","kty","x"}` in that order.
 * What plex.tv puts in the `thumbprint` claim of the tokens it issues to a device, and the `kid` the client
 * and the fake give their keys.
 *
 * @example
 * ```ts
 * declare const x: string // the public key, base64url
 * const kid = ed25519Thumbprint(x)
 * ```
 */
export function ed25519Thumbprint(x: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x }))
    .digest('base64url')
}
