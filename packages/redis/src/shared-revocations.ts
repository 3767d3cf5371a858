import {
  type CacheStore,
  createMemoryCacheStore,
  type RevocationQuery,
  type SessionRevocationStore,
} from '@plexauth/core'
import type { RedisStoreEvent } from './events.js'
import { type RedisGate, UNAVAILABLE } from './gate.js'
import type { Sealer } from './seal.js'

/** Revocations remembered in process (made here, or seen in Redis): what still holds while Redis is down. */
const MAX_LOCAL = 100_000

// Core's timed LRU (the memory CacheStore, synchronous): what is remembered ends with its session.
function remember(store: CacheStore<number>, key: string, value: number, expiresAt: number): void {
  void store.set(key, value, (expiresAt - Date.now()) / 1000)
}

function recall(store: CacheStore<number>, key: string): number | undefined {
  return store.get(key) as number | undefined
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

// One atomic step: the revocation's own key (for lookups), an entry in the index (for instances catching up
// after a disconnection, dropping what expired) and a message to every instance subscribed now.
const REVOKE = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], last[2])
redis.call('PUBLISH', ARGV[5], ARGV[4])
return 1`

/** What instances tell each other: the revocation's key name, its value and when it ends. */
interface Notice {
  kind: 'session' | 'user'
  key: string
  value: number
}

/** The part of a node-redis subscriber connection used here. */
export interface Subscriber {
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>
}

/**
 * Session revocation shared by the fleet: a signed-out session, or every session of a user issued before a
 * time, is refused by every instance from the next request on. Every instance subscribes to the others'
 * revocations and keeps them in process, so `isKnownRevoked` answers at once without a round trip (and the
 * revocations still hold while Redis is down); `isRevoked` also asks Redis. After a disconnection an
 * instance catches up from an index of the unexpired revocations. Entries expire with the sessions they end.
 */
export class SharedRevocations implements SessionRevocationStore {
  readonly #gate: RedisGate
  readonly #sealer: Sealer
  readonly #emit: (event: RedisStoreEvent) => void
  readonly #sessions = createMemoryCacheStore<number>({ maxEntries: MAX_LOCAL })
  readonly #users = createMemoryCacheStore<number>({ maxEntries: MAX_LOCAL })
  /** Key names by session or user id: two HMACs a request are worth saving. */
  readonly #names: CacheStore<string[]> = createMemoryCacheStore({ maxEntries: 10_000 })
  readonly #channel: string
  readonly #index: string

  constructor(gate: RedisGate, sealer: Sealer, emit: (event: RedisStoreEvent) => void) {
    this.#gate = gate
    this.#sealer = sealer
    this.#emit = emit
    this.#channel = sealer.fixed('revocations')
    this.#index = sealer.fixed('revocations:index')
  }

  /** Listens to the other instances' revocations on `subscriber` (a connection of its own). */
  async listen(subscriber: Subscriber): Promise<void> {
    await subscriber.subscribe(this.#channel, (message) => this.#learn(message, Date.now()))
  }

  /** Catches up with the revocations made while this instance was not listening. */
  async catchUp(): Promise<void> {
    const now = Date.now()
    const reply = await this.#gate.send('revocation', ['ZRANGE', this.#index, String(now), '+inf', 'BYSCORE'])
    if (Array.isArray(reply)) for (const message of reply) this.#learn(message, now)
  }

  async revoke(sessionId: string, ttlSeconds: number): Promise<boolean> {
    const key = this.#sealer.hashed('revoked-session', sessionIdOf(sessionId))
    return this.#store({ kind: 'session', key, value: 1 }, ttlMsOf(ttlSeconds))
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
    return this.#store({ kind: 'user', key, value: before }, ttlMsOf(ttlSeconds))
  }

  /** What this instance knows now, without a round trip: revocations made here or heard from the others. */
  isKnownRevoked(session: RevocationQuery): boolean {
    const { sessionKeys, userKeys, issuedAt } = this.#query(session)
    if (sessionKeys.some((key) => recall(this.#sessions, key) !== undefined)) return true
    return userKeys.some((key) => issuedAt < (recall(this.#users, key) ?? Number.NEGATIVE_INFINITY))
  }

  async isRevoked(session: RevocationQuery): Promise<boolean> {
    if (this.isKnownRevoked(session)) return true
    const { sessionKeys, userKeys, issuedAt } = this.#query(session)
    const now = Date.now()
    // Under every secret, so that a rotation does not bring revoked sessions back.
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
      } else {
        // Sealed for this very key by `revokeUser`: the time before which sessions are refused.
        const before = opened.value as number
        remember(this.#users, key, before, opened.expiresAt)
        if (issuedAt < before) revoked = true
      }
    })
    return revoked
  }

  #query(session: RevocationQuery): { sessionKeys: string[]; userKeys: string[]; issuedAt: number } {
    const issuedAt = session.issuedAt
    if (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt)) {
      throw new TypeError('plexauth: issuedAt must be a time in seconds since the epoch')
    }
    return {
      sessionKeys: this.#namesOf('revoked-session', sessionIdOf(session.sessionId)),
      userKeys: this.#namesOf('revoked-user', userIdOf(session.userId)),
      issuedAt,
    }
  }

  #namesOf(kind: string, id: string): string[] {
    const memo = `${kind}\0${id}`
    let names = this.#names.get(memo) as string[] | undefined
    if (names === undefined) {
      names = this.#sealer.hashedUnderEach(kind, id)
      void this.#names.set(memo, names, 3600)
    }
    return names
  }

  async #store(notice: Notice, ttlMs: number): Promise<boolean> {
    const now = Date.now()
    const expiresAt = now + ttlMs
    this.#remember(notice, expiresAt)
    const reply = await this.#gate.send('revocation', [
      'EVAL',
      REVOKE,
      '2',
      notice.key,
      this.#index,
      this.#sealer.seal(notice.key, notice.value, expiresAt),
      String(ttlMs),
      String(expiresAt),
      this.#sealer.seal(this.#channel, notice, expiresAt),
      this.#channel,
      String(now),
    ])
    return reply !== UNAVAILABLE
  }

  #remember(notice: Notice, expiresAt: number): void {
    remember(notice.kind === 'session' ? this.#sessions : this.#users, notice.key, notice.value, expiresAt)
  }

  /** A notice from another instance (or the index): remembered when sealed under the secret, else refused. */
  #learn(message: unknown, now: number): void {
    const opened = this.#sealer.open(this.#channel, message, now)
    const notice = opened?.value as Partial<Notice> | undefined
    if (
      opened === undefined ||
      typeof notice !== 'object' ||
      notice === null ||
      (notice.kind !== 'session' && notice.kind !== 'user') ||
      typeof notice.key !== 'string' ||
      typeof notice.value !== 'number' ||
      !Number.isFinite(notice.value)
    ) {
      this.#emit({ type: 'redis_value_rejected', operation: 'revocation' })
      return
    }
    this.#remember(notice as Notice, opened.expiresAt)
  }

  #open(key: string, reply: unknown, now: number): { value: unknown; expiresAt: number } | undefined {
    if (reply === null || reply === undefined) return undefined
    const opened = this.#sealer.open(key, reply, now)
    if (opened === undefined) this.#emit({ type: 'redis_value_rejected', operation: 'revocation' })
    return opened
  }
}
