import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'

/** The shortest secret accepted: 32 characters, as for session secrets. */
export const MIN_SECRET_LENGTH = 32
/** The largest value read back; anything bigger is not one plexauth wrote (a key set is at most 256 KiB). */
const MAX_VALUE_CHARS = 8 * 1024 * 1024
const SALT = 'plexauth/redis'
const MAC_LENGTH = 43

function derive(secret: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, info, 32))
}

/**
 * Names and seals what plexauth keeps in Redis. Key names are HMACs (under a key derived from the first
 * secret), so Redis never holds a token, a token hash an attacker could confirm a guess against, or a user id.
 * Values carry an HMAC-SHA256 over the key name, their expiry and their JSON, under a key derived with HKDF
 * from the app's secret: a Redis an attacker can write to cannot mint a value, move one to another key,
 * or bring an expired one back. Every secret of a list opens values; the first seals and names them.
 */
export class Sealer {
  readonly #nameKeys: readonly Buffer[]
  readonly #macKeys: readonly Buffer[]
  readonly #prefix: string

  constructor(secrets: readonly string[], prefix: string) {
    this.#nameKeys = secrets.map((secret) => derive(secret, 'key names v1'))
    this.#macKeys = secrets.map((secret) => derive(secret, 'value mac v1'))
    this.#prefix = prefix
  }

  /** The Redis key of a name that may carry a secret or an id: hashed, under the prefix. */
  hashed(kind: string, name: string): string {
    return this.#hashed(this.#nameKeys[0]!, kind, name)
  }

  /** The Redis keys of a name under every secret, newest first: what must outlive a rotation is looked up under all. */
  hashedUnderEach(kind: string, name: string): string[] {
    return this.#nameKeys.map((nameKey) => this.#hashed(nameKey, kind, name))
  }

  #hashed(nameKey: Buffer, kind: string, name: string): string {
    return `${this.#prefix}${kind}:${createHmac('sha256', nameKey).update(name, 'utf8').digest('base64url')}`
  }

  /** The Redis key of a fixed name (the key set, its lock, a budget). */
  fixed(name: string): string {
    return `${this.#prefix}${name}`
  }

  /** `value` sealed for `key` until `expiresAt` (milliseconds since the epoch). */
  seal(key: string, value: unknown, expiresAt: number): string {
    const json = JSON.stringify({ x: Math.ceil(expiresAt), v: value })
    return `${this.#mac(this.#macKeys[0]!, key, json)}.${json}`
  }

  /**
   * What `seal` sealed for `key`, with its expiry; `undefined` when the value was not sealed by a holder of
   * the secret for this very key, is malformed, or has expired.
   */
  open(key: string, sealed: unknown, now: number): { value: unknown; expiresAt: number } | undefined {
    if (typeof sealed !== 'string' || sealed.length > MAX_VALUE_CHARS || sealed[MAC_LENGTH] !== '.') {
      return undefined
    }
    const given = Buffer.from(sealed.slice(0, MAC_LENGTH), 'utf8')
    const json = sealed.slice(MAC_LENGTH + 1)
    const genuine = this.#macKeys.some((macKey) => {
      const expected = Buffer.from(this.#mac(macKey, key, json), 'utf8')
      return expected.length === given.length && timingSafeEqual(expected, given)
    })
    if (!genuine) return undefined
    // A genuine MAC means `seal` wrote this JSON: an object whose `x` is a number, or null for a non-finite one.
    const { x, v } = JSON.parse(json) as { x: number; v: unknown }
    if (!(x > now)) return undefined
    return { value: v, expiresAt: x }
  }

  #mac(macKey: Buffer, key: string, json: string): string {
    return createHmac('sha256', macKey)
      .update(key, 'utf8')
      .update('\n')
      .update(json, 'utf8')
      .digest('base64url')
  }
}
