import { randomBytes } from 'node:crypto'
import { buildIdentity, type ClaimRules } from '../jwt/build-identity.js'
import type { PlexIdentity, PlexSessionInfo, PlexUser, ServerAccess } from '../jwt/identity-types.js'
import { decodeJsonObject } from '../jwt/parse-token.js'
import { isPlexAuthError, PlexAuthError } from '../lib/errors.js'
import { Lru, ownString, tailKey } from '../lib/lru.js'
import type { RevocationQuery } from '../lib/store-types.js'
import { parseAccount } from '../plex-tv/parse-answers.js'
import { MAX_COOKIE_BYTES } from './cookies.js'
import { deriveKeys, type SealingKeys, seal, unseal } from './seal.js'
import { type ResolvedSessionOptions, resolveSessionOptions } from './session-options.js'

/**
 * What the session cookie seals (short names: it travels with every request). Times in seconds since the
 * epoch, like a JWT's.
 */
export interface SessionRecord {
  v: 1
  /** A random id: what a revocation store revokes. */
  sid: string
  /** How the Plex token is checked again: locally (`jwt`) or through plex.tv's `/api/v2/user` (`legacy`). */
  k: 'jwt' | 'legacy'
  /** The user's Plex token. */
  t: string
  /** Legacy: the user, scopes and client identifier plex.tv's answer gave (a JWT carries its own). */
  u?: PlexUser
  s?: readonly string[]
  c?: string
  /**
   * The access decision: server, owner, source, and the owner's account id it was made with when known
   * (`oid`), so that a later check, wherever it runs, decides by the same owner. Absent when the app checks no server.
   */
  a?: { m: string; o: boolean; src: ServerAccess['source']; oid?: number }
  /** Only the owner may keep the session (`access.ownerOnly`). */
  oo?: true
  /** What `onLogin` returned. */
  x?: unknown
  iat: number
  chk: number
  exp: number
}

/** The checks a session is put through again after `revalidateAfter`. Both throw `PlexAuthError`s. */
export interface SessionChecks {
  /**
   * The identity the token gives now: a JWT verified locally (expiry included), a legacy token asked of
   * plex.tv. `sealedFor` is the client identifier a legacy token was checked for when the session was sealed.
   */
  verify(kind: SessionRecord['k'], token: string, sealedFor?: string): Promise<PlexIdentity>
  /**
   * The user's access to the server `machineIdentifier`, decided by its owner's account (`ownerId`: the one
   * sealed in the session, used when these checks were configured with no owner of their own); throws
   * `ACCESS_DENIED` without.
   */
  access(identity: PlexIdentity, machineIdentifier: string, ownerId?: number): Promise<CheckedAccess>
}

/** An access decision, with the owner's account id it was made with when known (sealed in the session). */
export interface CheckedAccess extends ServerAccess {
  readonly ownerId?: number
}

/** What reading a session cookie gave: the identity, a new cookie value to send, or an order to clear it. */
export interface SessionResult {
  identity: PlexIdentity | undefined
  /** A re-sealed value (after a check, or under a rotated secret) and its remaining life in seconds. */
  renewed?: { value: string; maxAge: number }
  /** The cookie holds no session (tampered, foreign secret, expired, ended by a check): delete it. */
  clear?: boolean
}

interface Opened {
  cookie: string
  identity: PlexIdentity
  /** When the entry stops standing for the cookie: its next check is due, or the session ends (ms). */
  until: number
  /** What a revocation store is asked about this session. */
  query: RevocationQuery
}

/** Longest cookie value read: the whole cookie must fit in a browser's 4 KiB. */
const MAX_VALUE_LENGTH = MAX_COOKIE_BYTES
const YEAR_MS = 365 * 86_400_000
const UNAVAILABLE = new Set(['PLEX_UNAVAILABLE', 'KEYS_UNAVAILABLE'])

// A compact JWE ends with its tag, random with each seal: the cache files an entry under the tag's tail
// and confirms the whole value.
const keyOf = tailKey

function isUser(value: unknown): value is PlexUser {
  try {
    parseAccount(JSON.parse(JSON.stringify(value)))
    return true
  } catch {
    return false
  }
}

/** A record read back from a cookie: every field checked (it was sealed by us, but by an older version maybe). */
function readRecord(payload: Record<string, unknown>): SessionRecord | undefined {
  const { v, sid, k, t, u, s, c, a, oo, iat, chk, exp } = payload
  if (v !== 1 || (k !== 'jwt' && k !== 'legacy') || typeof t !== 'string' || t.length === 0) return undefined
  if (typeof sid !== 'string' || sid.length === 0 || sid.length > 64) return undefined
  if (![iat, chk, exp].every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) return undefined
  if (k === 'legacy' && (!isUser(u) || !Array.isArray(s) || (c !== undefined && typeof c !== 'string'))) {
    return undefined
  }
  if (a !== undefined) {
    const access = a as Record<string, unknown> | null
    if (
      typeof access !== 'object' ||
      access === null ||
      typeof access.m !== 'string' ||
      typeof access.o !== 'boolean' ||
      (access.src !== 'resources' && access.src !== 'friends') ||
      (access.oid !== undefined && !(Number.isSafeInteger(access.oid) && (access.oid as number) > 0))
    ) {
      return undefined
    }
  }
  if (oo !== undefined && oo !== true) return undefined
  return payload as unknown as SessionRecord
}

/** The sealed form of an access decision; `sealedOwnerId` is kept when this check learnt no owner id. */
function accessRecord(
  access: CheckedAccess,
  owner: boolean,
  sealedOwnerId: number | undefined,
): SessionRecord['a'] {
  const oid = access.ownerId ?? sealedOwnerId
  return { m: access.machineIdentifier, o: owner, src: access.source, ...(oid === undefined ? {} : { oid }) }
}

function userIdOfJwt(token: string): number {
  const user = decodeJsonObject(token.split('.')[1] ?? '').user as { id?: unknown } | undefined
  return typeof user?.id === 'number' ? user.id : 0
}

/** What a revocation store is asked about a session. */
function queryOf(record: SessionRecord): RevocationQuery {
  const userId = record.k === 'legacy' ? record.u!.id : userIdOfJwt(record.t)
  return { sessionId: record.sid, userId, issuedAt: record.iat }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

/**
 * The identity a session record stands for: what the token would give (a JWT's claims, read again here
 * since the record was sealed after the token was verified; a legacy token's user as plex.tv gave it), with
 * `access`, `session` and `app`. Throws `TOKEN_EXPIRED` once a JWT has expired.
 */
export function identityOfRecord(record: SessionRecord, stale = false, nowMs = Date.now()): PlexIdentity {
  let base: Record<string, unknown>
  if (record.k === 'jwt') {
    const payload = decodeJsonObject(record.t.split('.')[1] ?? '')
    const rules: ClaimRules = {
      issuer: typeof payload.iss === 'string' ? payload.iss : 'plex.tv',
      clientIdentifiers: undefined,
      // The token was verified, audience included, before the record was sealed.
      anyAudience: true,
      clockToleranceMs: 0,
      maxTokenLifetimeMs: YEAR_MS,
    }
    base = { ...buildIdentity(payload, record.t, rules, nowMs) }
  } else {
    base = {
      kind: 'legacy',
      user: record.u,
      scopes: record.s,
      ...(record.c === undefined ? {} : { clientIdentifier: record.c }),
    }
  }
  if (record.a !== undefined) {
    base.access = { machineIdentifier: record.a.m, owner: record.a.o, source: record.a.src, stale }
  }
  const session: PlexSessionInfo = { id: record.sid, issuedAt: record.iat, expiresAt: record.exp }
  base.session = session
  if (record.x !== undefined) base.app = structuredClone(record.x)
  Object.defineProperty(base, 'token', { value: record.t, enumerable: false })
  return deepFreeze(base) as unknown as PlexIdentity
}

/**
 * One per `session` option object: the derived keys, the LRU of opened cookies and the checks used again
 * after `revalidateAfter`. `plexLogin` and `plexAuth` given the same object share it.
 */
export class SessionManager {
  readonly options: ResolvedSessionOptions
  readonly sessionKeys: SealingKeys
  readonly loginKeys: SealingKeys
  /** Set by `plexLogin`: its verifier and access checker (with `ownerToken`). */
  loginChecks: SessionChecks | undefined
  readonly #opened: Lru<Opened>
  readonly #inflight = new Map<string, Promise<SessionResult>>()

  constructor(options: ResolvedSessionOptions) {
    this.options = options
    this.sessionKeys = deriveKeys(options.secrets, 'session')
    this.loginKeys = deriveKeys(options.secrets, 'login')
    this.#opened = new Lru<Opened>(options.cacheSize)
  }

  /** Seals a record; throws (a bug, or an `app` too large) when the cookie would not fit in 4 KiB. */
  async seal(record: SessionRecord): Promise<string> {
    const value = await seal(this.sessionKeys, record)
    // Room for the name and attributes: `__Host-plexauth_session=…; Path=/; Max-Age=…; HttpOnly; SameSite=Lax; Secure`.
    if (value.length > MAX_VALUE_LENGTH - 120)
      throw new Error('plexauth: the session does not fit in a cookie')
    return value
  }

  /** A new session for a signed-in identity; `access` as decided at sign-in. */
  async create(
    identity: PlexIdentity,
    access: CheckedAccess | undefined,
    ownerOnly: boolean,
    app: unknown,
  ): Promise<{ value: string; maxAge: number; identity: PlexIdentity }> {
    const now = Math.floor(Date.now() / 1000)
    let exp = now + Math.floor(this.options.maxAgeMs / 1000)
    // A session never outlives its Plex JWT: checking it again after that would fail anyway.
    if (identity.kind === 'jwt') exp = Math.min(exp, identity.expiresAt)
    const record: SessionRecord = {
      v: 1,
      sid: randomBytes(16).toString('base64url'),
      k: identity.kind,
      t: identity.token,
      ...(identity.kind === 'legacy'
        ? {
            u: identity.user,
            s: identity.scopes,
            ...(identity.clientIdentifier === undefined ? {} : { c: identity.clientIdentifier }),
          }
        : {}),
      ...(access === undefined ? {} : { a: accessRecord(access, access.owner, undefined) }),
      ...(ownerOnly ? { oo: true as const } : {}),
      ...(app === undefined ? {} : { x: app }),
      iat: now,
      chk: now,
      exp,
    }
    const value = await this.seal(record)
    const opened = identityOfRecord(record)
    this.#remember(value, opened, record)
    return { value, maxAge: exp - now, identity: opened }
  }

  /** The identity of a cookie opened before and not due for a check; `undefined` whenever `resolve` must decide. */
  peek(cookie: string): PlexIdentity | undefined {
    const key = keyOf(cookie)
    const hit = this.#opened.get(key)
    if (hit === undefined || hit.cookie !== cookie || Date.now() >= hit.until) return undefined
    // A store that hears of revocations as they happen (e.g. on another instance) ends the session at once,
    // not at its next check: `resolve` then opens the cookie again and asks the store.
    if (this.#knownRevoked(hit.query)) {
      this.#opened.delete(key)
      return undefined
    }
    return hit.identity
  }

  #knownRevoked(query: RevocationQuery): boolean {
    try {
      return this.options.revocations?.isKnownRevoked?.(query) === true
    } catch {
      return false
    }
  }

  /** Opens a cookie, checks it again when due, and says what to answer. */
  resolve(cookie: string, checks: SessionChecks): Promise<SessionResult> {
    const known = this.peek(cookie)
    if (known !== undefined) return Promise.resolve({ identity: known })
    const key = keyOf(cookie)
    let pending = this.#inflight.get(key)
    if (pending === undefined) {
      pending = this.#open(cookie, checks).finally(() => this.#inflight.delete(key))
      this.#inflight.set(key, pending)
    }
    return pending
  }

  /** Ends a session (logout): forgotten here, and revoked everywhere when a revocation store is set. */
  async end(cookie: string): Promise<void> {
    const key = keyOf(cookie)
    if (this.#opened.peek(key)?.cookie === cookie) this.#opened.delete(key)
    const { revocations } = this.options
    if (revocations === undefined) return
    const unsealed = await unseal(this.sessionKeys, cookie, MAX_VALUE_LENGTH)
    const record = unsealed === undefined ? undefined : readRecord(unsealed.payload)
    if (record === undefined) return
    try {
      await revocations.revoke(record.sid, Math.max(1, record.exp - Math.floor(Date.now() / 1000)))
    } catch {
      // A store that cannot be reached never fails a request; the cookie is cleared anyway.
    }
  }

  /** Whether the revocation store (if any) says the session was ended; a failing store says no. */
  async #revoked(record: SessionRecord): Promise<boolean> {
    const { revocations } = this.options
    if (revocations === undefined) return false
    try {
      return (await revocations.isRevoked(queryOf(record))) === true
    } catch {
      return false
    }
  }

  async #open(cookie: string, checks: SessionChecks): Promise<SessionResult> {
    const unsealed = await unseal(this.sessionKeys, cookie, MAX_VALUE_LENGTH)
    const record = unsealed === undefined ? undefined : readRecord(unsealed.payload)
    const now = Date.now()
    if (record === undefined || now >= record.exp * 1000) return { identity: undefined, clear: true }
    if (await this.#revoked(record)) return { identity: undefined, clear: true }
    if (now - record.chk * 1000 < this.options.revalidateAfterMs) {
      let identity: PlexIdentity
      try {
        identity = identityOfRecord(record, false, now)
      } catch {
        return { identity: undefined, clear: true }
      }
      if (!unsealed!.rotated) {
        this.#remember(cookie, identity, record)
        return { identity }
      }
      // Sealed under an older secret: the same session, sealed again under the current one.
      return { identity, renewed: await this.#renew(record, identity, now) }
    }
    return this.#revalidate(cookie, record, checks, now)
  }

  async #revalidate(
    cookie: string,
    record: SessionRecord,
    checks: SessionChecks,
    now: number,
  ): Promise<SessionResult> {
    let next: SessionRecord
    try {
      const current = await checks.verify(record.k, record.t, record.c)
      let access: CheckedAccess | undefined
      if (record.a !== undefined) {
        access = await checks.access(current, record.a.m, record.a.oid)
        // A last known answer served during an outage confirms nothing: the session is not sealed again on it.
        if (access.stale) throw new PlexAuthError('PLEX_UNAVAILABLE', { retryAfter: 1 })
        if (record.oo === true && !access.owner)
          throw new PlexAuthError('ACCESS_DENIED', { reason: 'not_owner' })
      }
      // A check may end ownership, never grant it: who owns the server was decided at sign-in, and a
      // checker that knows no owner reads it from the user's own device list, which the user can fill.
      next = {
        ...record,
        ...(record.k === 'legacy' ? { u: current.user, s: current.scopes } : {}),
        ...(access === undefined
          ? {}
          : { a: accessRecord(access, access.owner && record.a!.o, record.a!.oid) }),
        chk: Math.floor(now / 1000),
      }
    } catch (err) {
      if (!isPlexAuthError(err)) throw err
      if (!UNAVAILABLE.has(err.code)) return { identity: undefined, clear: true }
      // plex.tv (or its keys) cannot answer: an outage is never a reason to end a session, within staleIfError.
      if (now - record.chk * 1000 >= this.options.revalidateAfterMs + this.options.staleIfErrorMs) throw err
      try {
        return { identity: identityOfRecord(record, true, now) }
      } catch {
        return { identity: undefined, clear: true }
      }
    }
    let identity: PlexIdentity
    try {
      identity = identityOfRecord(next, false, now)
    } catch {
      return { identity: undefined, clear: true }
    }
    const renewed = await this.#renew(next, identity, now)
    // The old value stands for the checked session too, until the browser has the new one.
    this.#remember(cookie, identity, next)
    return { identity, renewed }
  }

  async #renew(
    record: SessionRecord,
    identity: PlexIdentity,
    now: number,
  ): Promise<{ value: string; maxAge: number }> {
    const value = await this.seal(record)
    this.#remember(value, identity, record)
    return { value, maxAge: Math.max(1, Math.floor((record.exp * 1000 - now) / 1000)) }
  }

  /** `cookie` opened (sealed by us, so ASCII) to `identity`. */
  #remember(cookie: string, identity: PlexIdentity, record: SessionRecord): void {
    const until = Math.min(record.chk * 1000 + this.options.revalidateAfterMs, record.exp * 1000)
    if (until > Date.now())
      this.#opened.set(keyOf(cookie), { cookie: ownString(cookie), identity, until, query: queryOf(record) })
  }
}

const managers = new WeakMap<object, SessionManager>()

/**
 * The manager of a `session` option object, built (and validated: `TypeError`) on first use. `plexLogin` and
 * `plexAuth` given the same object get the same manager.
 */
export function sessionManagerFor(session: unknown): SessionManager {
  if (typeof session === 'object' && session !== null) {
    const known = managers.get(session)
    if (known !== undefined) return known
  }
  const manager = new SessionManager(resolveSessionOptions(session))
  managers.set(session as object, manager)
  return manager
}
