import type { RevocationQuery, SessionRevocationStore } from '@plexauth/core'
import type { RedisStoreEvent } from './events.js'
import { type RedisGate, UNAVAILABLE } from './gate.js'
import type { Sealer } from './seal.js'

/** Revocations remembered in process (made here, or seen in Redis): what still holds while Redis is down. */
const MAX_LOCAL = 10_000

function remember(
  map: Map<string, { value: number; expiresAt: number }>,
  key: string,
  value: number,
  expiresAt: number,
): void {
  map.delete(key)
  map.set(key, { value, expiresAt })
  if (map.size > MAX_LOCAL) {
    const oldest = map.keys().next()
    if (oldest.done !== true) map.delete(oldest.value)
  }
}

function recall(
  map: Map<string, { value: number; expiresAt: number }>,
  key: string,
  now: number,
): number | undefined {
  const entry = map.get(key)
  if (entry === undefined) return undefined
  if (now >= entry.expiresAt) {
    map.delete(key)
    return undefined
  }
  return entry.value
}

function sessionIdOf(sessionId: unknown): string {
  if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > 512) {
    throw new TypeError('plexauth: sessionId must be a non-empty string of at most 512 characters')
  }
  return sessionId
}

function userIdOf(userId: unknown): string {
  if (Number.isSafeInteger(userId)) return String(userId)
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > 512) {
    throw new TypeError('plexauth: userId must be an integer or a non-empty string of at most 512 characters')
  }
  return userId
}

function ttlMsOf(ttlSeconds: unknown): number {
  if (typeof ttlSeconds !== 'number' || !(ttlSeconds > 0) || ttlSeconds > 366 * 86_400) {
    throw new TypeError('plexauth: ttlSeconds must be a number of seconds above 0 and at most a year')
  }
  return Math.ceil(ttlSeconds * 1000)
}

/**
 * Session revocation shared by the fleet: a signed-out session, or every session of a user issued before a
 * time, is refused by every instance from the next request on. Entries expire with the sessions they end.
 * Each instance also remembers the revocations it made or saw, so these still hold while Redis is down.
 */
export class SharedRevocations implements SessionRevocationStore {
  readonly #gate: RedisGate
  readonly #sealer: Sealer
  readonly #emit: (event: RedisStoreEvent) => void
  readonly #sessions = new Map<string, { value: number; expiresAt: number }>()
  readonly #users = new Map<string, { value: number; expiresAt: number }>()

  constructor(gate: RedisGate, sealer: Sealer, emit: (event: RedisStoreEvent) => void) {
    this.#gate = gate
    this.#sealer = sealer
    this.#emit = emit
  }

  async revoke(sessionId: string, ttlSeconds: number): Promise<boolean> {
    const key = this.#sealer.hashed('revoked-session', sessionIdOf(sessionId))
    const ttlMs = ttlMsOf(ttlSeconds)
    const expiresAt = Date.now() + ttlMs
    remember(this.#sessions, key, 1, expiresAt)
    const sealed = this.#sealer.seal(key, 1, expiresAt)
    return (await this.#gate.send('revocation', ['SET', key, sealed, 'PX', String(ttlMs)])) !== UNAVAILABLE
  }

  async revokeUser(
    userId: string | number,
    ttlSeconds: number,
    before: number = Date.now() / 1000,
  ): Promise<boolean> {
    if (typeof before !== 'number' || !Number.isFinite(before)) {
      throw new TypeError('plexauth: before must be a time in seconds since the epoch')
    }
    const key = this.#sealer.hashed('revoked-user', userIdOf(userId))
    const ttlMs = ttlMsOf(ttlSeconds)
    const expiresAt = Date.now() + ttlMs
    remember(this.#users, key, before, expiresAt)
    const sealed = this.#sealer.seal(key, before, expiresAt)
    return (await this.#gate.send('revocation', ['SET', key, sealed, 'PX', String(ttlMs)])) !== UNAVAILABLE
  }

  async isRevoked(session: RevocationQuery): Promise<boolean> {
    const issuedAt = session.issuedAt
    if (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt)) {
      throw new TypeError('plexauth: issuedAt must be a time in seconds since the epoch')
    }
    // Under every secret, so that a rotation does not bring revoked sessions back.
    const sessionKeys = this.#sealer.hashedUnderEach('revoked-session', sessionIdOf(session.sessionId))
    const userKeys = this.#sealer.hashedUnderEach('revoked-user', userIdOf(session.userId))
    const now = Date.now()
    if (sessionKeys.some((key) => recall(this.#sessions, key, now) !== undefined)) return true
    if (userKeys.some((key) => issuedAt < (recall(this.#users, key, now) ?? Number.NEGATIVE_INFINITY)))
      return true
    const keys = [...sessionKeys, ...userKeys]
    const reply = await this.#gate.send('revocation', ['MGET', ...keys])
    if (!Array.isArray(reply)) return false
    let revoked = false
    keys.forEach((key, i) => {
      const opened = this.#open(key, reply[i], now)
      if (opened === undefined) return
      if (i < sessionKeys.length) {
        remember(this.#sessions, key, 1, opened.expiresAt)
        revoked = true
      } else if (typeof opened.value === 'number') {
        remember(this.#users, key, opened.value, opened.expiresAt)
        if (issuedAt < opened.value) revoked = true
      }
    })
    return revoked
  }

  #open(key: string, reply: unknown, now: number): { value: unknown; expiresAt: number } | undefined {
    if (reply === null || reply === undefined) return undefined
    const opened = this.#sealer.open(key, reply, now)
    if (opened === undefined) this.#emit({ type: 'redis_value_rejected', operation: 'revocation' })
    return opened
  }
}
