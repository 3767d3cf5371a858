import type { KeyObject } from 'node:crypto'
import type { Ed25519PublicJwk } from '@plexauth/core'
import { ed25519Thumbprint, generateEd25519KeyPair } from '@plexauth/core/plex-tv'

/** A public Ed25519 key in the shape plex.tv publishes it: core's type, re-exported for tests. */
export type { Ed25519PublicJwk }

/**
 * A key set as served by `GET /api/v2/auth/keys`. Assignable to `PlexJwks` of `@plexauth/core`.
 *
 * @example
 * ```ts
 * const jwks: PublicKeySet = plex.keys
 * jwks.keys.map((key) => key.kid)
 * ```
 */
export type PublicKeySet = { keys: Ed25519PublicJwk[] }

/**
 * An Ed25519 key pair with its public JWK and key id.
 *
 * @example
 * ```ts
 * const { kid, privateKey, publicJwk } = generateEd25519Key()
 * ```
 */
export interface Ed25519Key {
  /** 43 base64url characters: the RFC 7638 thumbprint of the public key, unless chosen. */
  readonly kid: string
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly publicJwk: Ed25519PublicJwk
}

/**
 * Generates an Ed25519 key pair. The `kid` defaults to the key's RFC 7638 thumbprint (43 base64url
 * characters, like Plex's key ids).
 *
 * @example
 * ```ts
 * const attacker = generateEd25519Key()
 * const forged = plex.issueToken({ signWith: attacker })
 * ```
 */
export function generateEd25519Key(options: { kid?: string } = {}): Ed25519Key {
  const { privateKey, publicKey } = generateEd25519KeyPair()
  // An Ed25519 public JWK always has its `x`.
  const x = publicKey.export({ format: 'jwk' }).x!
  const kid = options.kid ?? ed25519Thumbprint(x)
  return {
    kid,
    privateKey,
    publicKey,
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' },
  }
}

/**
 * Where the signing key stands in the published key set: `'first'` (`keys[0]`, how plex.tv looked between
 * rotations, so clients that read only the first key worked) or `'last'` (as during a rotation, when
 * clients that read only `keys[0]` broke: python-plexapi PR 1577).
 *
 * @example
 * ```ts
 * const plex = await createFakePlex({ keyCount: 2, signingKeyPosition: 'last' })
 * ```
 */
export type SigningKeyPosition = 'first' | 'last'

/** Every key the fake ever made (so tokens can still be signed with unpublished ones), and which are published. */
export class KeyRing {
  readonly #all = new Map<string, Ed25519Key>()
  #published: string[] = []
  #signingKid = ''

  constructor(count: number, position: SigningKeyPosition = 'first') {
    for (let i = 0; i < Math.max(1, count); i++) this.rotate(true, position)
  }

  get signingKey(): Ed25519Key {
    return this.get(this.#signingKid)
  }

  get(kid: string): Ed25519Key {
    const key = this.#all.get(kid)
    if (key === undefined) throw new Error(`FakePlex: no key with kid ${JSON.stringify(kid)}`)
    return key
  }

  publicKeySet(): PublicKeySet {
    return { keys: this.#published.map((kid) => ({ ...this.get(kid).publicJwk })) }
  }

  add(key: Ed25519Key, position: SigningKeyPosition = 'last'): Ed25519Key {
    this.#all.set(key.kid, key)
    const others = this.#published.filter((kid) => kid !== key.kid)
    this.#published = position === 'first' ? [key.kid, ...others] : [...others, key.kid]
    return key
  }

  rotate(keep: boolean, position: SigningKeyPosition): Ed25519Key {
    if (!keep) this.#published = []
    const key = this.add(generateEd25519Key(), position)
    this.#signingKid = key.kid
    return key
  }

  remove(kid: string): boolean {
    const before = this.#published.length
    this.#published = this.#published.filter((published) => published !== kid)
    return this.#published.length < before
  }
}
