import type { PlexIdentity, ServerAccess } from '../jwt/identity-types.js'
import { createMemoryCacheStore, SafeStore } from '../lib/cache-store.js'
import { PlexAuthError } from '../lib/errors.js'
import type { PlexAuthEvent } from '../lib/event-types.js'
import { hashSecret } from '../lib/hash-secret.js'
import {
  checkKeys,
  count,
  durationMs,
  fail,
  fetchOption,
  func,
  headerValue,
  optionNames,
  withMethods,
} from '../lib/options.js'
import { safeEmitter } from '../lib/safe-emit.js'
import type { CacheStore } from '../lib/store-types.js'
import { parseFriends } from './friends-xml.js'
import { parseAccount, parseResources } from './parse-answers.js'
import { PlexTvClient, resolvePlexTvUrl, unavailable } from './plex-tv.js'

/**
 * Options of `requireServerAccess` / `requireServerOwner` (and `createServerAccessGuard`). Durations in
 * seconds; only `machineIdentifier` is required.
 *
 * @example
 * ```ts
 * const options: ServerAccessOptions = {
 *   machineIdentifier: '0123456789abcdef0123456789abcdef01234567',
 *   ownerToken: process.env.PLEX_OWNER_TOKEN, // optional second source: the owner's friends list
 * }
 * ```
 */
export interface ServerAccessOptions {
  /** The Plex Media Server users must have access to: its `clientIdentifier` in `/api/v2/resources`. */
  machineIdentifier: string
  /**
   * Sent to plex.tv as `X-Plex-Client-Identifier`. Default: the identity's `clientIdentifier` (for a JWT,
   * the audience that matched; for a legacy token, the verifier's `clientIdentifier`).
   * @default identity.clientIdentifier
   */
  clientIdentifier?: string
  /**
   * plex.tv's base URL (for a fake or a proxy). https only, except loopback hosts. Default `https://plex.tv`.
   * @default https://plex.tv
   */
  plexTvUrl?: string
  // `| undefined` spelled out: apps pass `process.env.PLEX_OWNER_TOKEN` as it is (see the example).
  /**
   * The server owner's Plex account id. Decides who the owner is, and which shared entries of a user's
   * `/api/v2/resources` count (those the owner shared: `ownerId` equal to it). `requireServerAccess` and
   * `requireServerOwner` need it or `ownerToken`: a user's resources list devices that clients registered
   * themselves, under identifiers they chose, so it cannot say who owns the server.
   */
  ownerId?: number | undefined
  /**
   * The server owner's token. The owner's account id is read once with it (`GET /api/v2/user`) when
   * `ownerId` is not given, and it adds the owner's friends list (`GET /api/users`) as a second source.
   * When plex.tv refuses it (401, or 498 for an expired JWT), a `plex_request_failed` event reports it and,
   * for a minute at a time, the friends list counts as empty (and, while the owner's id is still unknown,
   * lookups answer 503).
   */
  ownerToken?: string | undefined
  /**
   * How long an answer is trusted (a "no access" answer at most 60 s). Default 600.
   * @default 600
   */
  accessTtl?: number
  /**
   * While plex.tv is unavailable, keep using the last known answer this long after it expired. Default 3600.
   * @default 3600
   */
  staleIfError?: number
  /**
   * Abort a plex.tv lookup after this long (headers and body). Default 5.
   * @default 5
   */
  timeout?: number
  /**
   * Largest plex.tv answer accepted, counted while reading. Default 2097152.
   * @default 2097152
   */
  maxBytes?: number
  /**
   * The fetch implementation. Default `globalThis.fetch`.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch
  /**
   * Where answers are kept, per server and user. Default an in-memory LRU of 10000; pass one store to several guards to share it.
   * @default createMemoryCacheStore({ maxEntries: 10000 })
   */
  cache?: CacheStore
  /** Receives `plex_request_failed`, `access_stale` and `cache_store_failed` events. Must not throw. */
  onEvent?: (event: PlexAuthEvent) => void
}

const OPTION_NAMES = optionNames<ServerAccessOptions>({
  machineIdentifier: true,
  clientIdentifier: true,
  plexTvUrl: true,
  ownerId: true,
  ownerToken: true,
  accessTtl: true,
  staleIfError: true,
  timeout: true,
  maxBytes: true,
  fetch: true,
  cache: true,
  onEvent: true,
})
const DAY = 86_400
/** A "no access" answer is re-checked at least this often, so a new share works within a minute. */
const MAX_DENIED_TTL_MS = 60_000
/**
 * How long a token plex.tv refused (401, or 498 for an expired JWT) is refused without asking again, and
 * an owner token's refusal is kept.
 */
const REJECTED_TTL_MS = 60_000
// Tokens and identifiers plex.tv takes in a header: up to 8 KiB.
const MAX_HEADER_VALUE = 8192
const MACHINE_IDENTIFIER = /^[A-Za-z0-9._:-]{1,256}$/
const RESOURCES_PATH = '/api/v2/resources?includeHttps=1'
const FRIENDS_PATH = '/api/users'
const USER_PATH = '/api/v2/user'
/** An account answer is ~1 KiB; anything near this is not one. */
const MAX_ACCOUNT_BYTES = 64 * 1024
const NO_FRIENDS: ReadonlySet<number> = new Set()

/** What is cached per server and user. `checkedAt` in milliseconds since the epoch. */
interface AccessRecord {
  checkedAt: number
  granted: boolean
  owner: boolean
  source: ServerAccess['source']
}

/** The friends list, cached per server and owner token. */
interface FriendsRecord {
  checkedAt: number
  ids: number[]
}

interface ResolvedAccessOptions {
  machineIdentifier: string
  plexTvUrl: string
  clientIdentifier: string | undefined
  ownerToken: string | undefined
  ownerId: number | undefined
  accessTtlMs: number
  staleIfErrorMs: number
  maxBytes: number
  client: PlexTvClient
  store: SafeStore<unknown>
  emit: (event: PlexAuthEvent) => void
}

function resolveAccessOptions(options: ServerAccessOptions): ResolvedAccessOptions {
  if (typeof options !== 'object' || options === null) {
    fail('requireServerAccess needs options: { machineIdentifier }')
  }
  checkKeys('', options, OPTION_NAMES)
  const { machineIdentifier } = options
  if (typeof machineIdentifier !== 'string' || !MACHINE_IDENTIFIER.test(machineIdentifier)) {
    fail('machineIdentifier must be the server identifier (letters, digits, ".", "_", ":", "-")')
  }
  const fetchImpl = fetchOption(options.fetch)
  const emit = safeEmitter(func('onEvent', options.onEvent))
  const cache = withMethods<CacheStore>('cache', options.cache, ['get', 'set']) ?? createMemoryCacheStore()
  const plexTvUrl = resolvePlexTvUrl(options.plexTvUrl)
  return {
    machineIdentifier,
    plexTvUrl,
    clientIdentifier: headerValue('clientIdentifier', options.clientIdentifier, undefined, MAX_HEADER_VALUE),
    ownerToken: headerValue('ownerToken', options.ownerToken, undefined, MAX_HEADER_VALUE),
    ownerId: accountId('ownerId', options.ownerId),
    accessTtlMs: durationMs('accessTtl', options.accessTtl, 600, 0, DAY),
    staleIfErrorMs: durationMs('staleIfError', options.staleIfError, 3600, 0, 30 * DAY),
    maxBytes: count('maxBytes', options.maxBytes, 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    client: new PlexTvClient({
      baseUrl: plexTvUrl,
      fetch: fetchImpl,
      timeoutMs: durationMs('timeout', options.timeout, 5, 0.001, 120),
      emit,
    }),
    store: new SafeStore(cache, (operation) => emit({ type: 'cache_store_failed', operation })),
    emit,
  }
}

function accountId(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || (value as number) <= 0) {
    fail(`${name} must be a Plex account id (a positive integer)`)
  }
  return value as number
}

/** What the user's `/api/v2/resources` says of the server. */
interface ServerEntries {
  /** A device with the server's identifier that provides `server` is listed. */
  found: boolean
  /** One of them is the user's own (`owned`): a claim any client can make by registering such a device. */
  owned: boolean
  /** The `ownerId`s of those shared with the user (not owned). */
  sharedBy: number[]
}

/** The entries of the server in the user's `/api/v2/resources`. Throws on anything but a device list. */
function serverOf(text: string, machineIdentifier: string): ServerEntries {
  const servers = parseResources(JSON.parse(text)).filter(
    (device) => device.clientIdentifier === machineIdentifier && device.provides.includes('server'),
  )
  return {
    found: servers.length > 0,
    owned: servers.some((server) => server.owned),
    sharedBy: servers.flatMap((server) =>
      !server.owned && server.ownerId !== undefined ? [server.ownerId] : [],
    ),
  }
}

function isAccessRecord(value: unknown): value is AccessRecord {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return (
    Number.isFinite(record.checkedAt) &&
    typeof record.granted === 'boolean' &&
    typeof record.owner === 'boolean' &&
    (record.source === 'resources' || record.source === 'friends')
  )
}

function isFriendsRecord(value: unknown): value is FriendsRecord {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return (
    Number.isFinite(record.checkedAt) && Array.isArray(record.ids) && record.ids.every(Number.isSafeInteger)
  )
}

/**
 * Decides, per server and user, whether a user may use a Plex Media Server: from the user's own
 * `/api/v2/resources` (a device with that `clientIdentifier` providing `server`; `owned` for the owner),
 * then, with an `ownerToken`, from the owner's friends list. Answers are cached for `accessTtl` with one
 * lookup per user and token at a time; while plex.tv is unavailable the last answer serves for
 * `staleIfError`. A granted answer serves a token only while plex.tv accepted that token within
 * `accessTtl`, and a token plex.tv refused is refused before anything cached for its user is read: a
 * revoked token never rides its user's cached answer.
 */
export class ServerAccessChecker {
  readonly #config: ResolvedAccessOptions
  readonly #inflight = new Map<string, Promise<AccessRecord>>()
  #friendsInflight: Promise<ReadonlySet<number>> | undefined
  /** Until then, the owner token plex.tv refused is not sent again and the friends list counts as empty. */
  #friendsRejectedUntil = 0
  /** The owner's account id once read with the owner token (it never changes). */
  #ownerId: number | undefined
  #ownerIdInflight: Promise<number> | undefined
  #ownerIdRejectedUntil = 0

  constructor(options: ServerAccessOptions) {
    this.#config = resolveAccessOptions(options)
  }

  /** The access of `identity`; throws `ACCESS_DENIED`, `TOKEN_INVALID`, `TOKEN_EXPIRED` or `PLEX_UNAVAILABLE`. */
  async check(identity: PlexIdentity): Promise<ServerAccess> {
    const { machineIdentifier, store, staleIfErrorMs, accessTtlMs } = this.#config
    const tokenHash = hashSecret(identity.token)
    // First, before anything cached for the user: a token plex.tv refused (a revoked device, a JWT expired
    // within clockTolerance) stays refused, and is not sent again for a minute (issue 11).
    const rejected = await store.get(`rejected:${tokenHash}`)
    if (rejected === true) throw new PlexAuthError('TOKEN_INVALID')
    if (rejected === 'expired') throw new PlexAuthError('TOKEN_EXPIRED')
    const key = `access:${machineIdentifier}:${identity.user.id}`
    const stored = await store.get(key)
    const cached = isAccessRecord(stored) ? stored : undefined
    if (cached !== undefined && Date.now() - cached.checkedAt < this.#ttlMs(cached)) {
      // A "no" holds for every token of the user. A "yes" is the user's, but it serves this token only if
      // plex.tv accepted this very token within accessTtl: another token of the same user (e.g. one whose
      // device was revoked) must not ride an answer obtained with a good one.
      if (!cached.granted) return this.#decide(cached, false)
      const accepted = await store.get(`accepted:${tokenHash}`)
      if (typeof accepted === 'number' && Date.now() - accepted < accessTtlMs)
        return this.#decide(cached, false)
    }
    const flight = `${identity.user.id}:${tokenHash}`
    let pending = this.#inflight.get(flight)
    if (pending === undefined) {
      pending = this.#lookup(identity, key, tokenHash).finally(() => this.#inflight.delete(flight))
      this.#inflight.set(flight, pending)
    }
    let record: AccessRecord
    try {
      record = await pending
    } catch (err) {
      const age = cached === undefined ? Number.POSITIVE_INFINITY : Date.now() - cached.checkedAt
      if (
        cached === undefined ||
        !(err instanceof PlexAuthError) ||
        err.code !== 'PLEX_UNAVAILABLE' ||
        age >= this.#ttlMs(cached) + staleIfErrorMs
      ) {
        throw err
      }
      this.#config.emit({ type: 'access_stale', machineIdentifier, age: Math.round(age / 1000) })
      return this.#decide(cached, true)
    }
    return this.#decide(record, false)
  }

  #ttlMs(record: AccessRecord): number {
    const { accessTtlMs } = this.#config
    return record.granted ? accessTtlMs : Math.min(accessTtlMs, MAX_DENIED_TTL_MS)
  }

  #decide(record: AccessRecord, stale: boolean): ServerAccess {
    if (!record.granted) throw new PlexAuthError('ACCESS_DENIED')
    return Object.freeze({
      machineIdentifier: this.#config.machineIdentifier,
      owner: record.owner,
      source: record.source,
      stale,
    })
  }

  async #lookup(identity: PlexIdentity, key: string, tokenHash: string): Promise<AccessRecord> {
    const { client, machineIdentifier, maxBytes, ownerToken, store, staleIfErrorMs } = this.#config
    const clientIdentifier = this.#clientIdentifierFor(identity)
    const rejectedKey = `rejected:${tokenHash}`
    let resources: ServerEntries | undefined
    let resourcesError: unknown
    try {
      const answer = await client.get({
        path: RESOURCES_PATH,
        token: identity.token,
        clientIdentifier,
        accept: 'application/json',
        maxBytes,
        parse: (text) => serverOf(text, machineIdentifier),
        expiredIsAnswer: identity.kind === 'jwt',
      })
      // plex.tv no longer accepts the user's own token (e.g. the device was revoked).
      if (answer.status === 401) {
        void store.set(rejectedKey, true, REJECTED_TTL_MS)
        throw new PlexAuthError('TOKEN_INVALID')
      }
      // The JWT expired at plex.tv while it still verifies here (within clockTolerance): the user's to refresh.
      if (answer.status === 498) {
        void store.set(rejectedKey, 'expired', REJECTED_TTL_MS)
        throw new PlexAuthError('TOKEN_EXPIRED')
      }
      resources = answer.body
      void store.set(`accepted:${tokenHash}`, Date.now(), this.#config.accessTtlMs)
    } catch (err) {
      if (!(err instanceof PlexAuthError) || err.code !== 'PLEX_UNAVAILABLE') throw err
      resourcesError = err
    }
    let record: AccessRecord | undefined
    const granted =
      resources === undefined ? undefined : await this.#fromResources(identity, resources, clientIdentifier)
    if (granted !== undefined) {
      record = { checkedAt: Date.now(), granted: true, owner: granted.owner, source: 'resources' }
    } else if (ownerToken !== undefined) {
      // The owner is never in their own friends list: without resources, "not a friend" proves nothing.
      const friends = await this.#friends(clientIdentifier, ownerToken).catch((err: unknown) => {
        throw resources === undefined ? resourcesError : err
      })
      if (friends.has(identity.user.id)) {
        record = { checkedAt: Date.now(), granted: true, owner: false, source: 'friends' }
      } else if (resources === undefined) {
        throw resourcesError
      }
    } else if (resources === undefined) {
      throw resourcesError
    }
    record ??= { checkedAt: Date.now(), granted: false, owner: false, source: 'resources' }
    // Not awaited: a slow store must not hold the answer back (the memory store is synchronous anyway).
    void store.set(key, record, this.#ttlMs(record) + staleIfErrorMs)
    return record
  }

  /**
   * Whether the user's resources grant access, and as owner. Trust model (issue 11): the entries are devices
   * clients registered themselves, so an entry the user owns proves nothing (anyone can register a device
   * under the server's identifier); the owner is the account whose id is the owner's (configured, or read
   * with the owner's token), and a shared entry counts only when the owner shared it (`ownerId`). Without
   * owner information (plexLogin's plain `access: { machineIdentifier }`; the guards refuse to be built
   * without it) an entry naming the server grants access, never ownership.
   */
  async #fromResources(
    identity: PlexIdentity,
    resources: ServerEntries,
    clientIdentifier: string,
  ): Promise<{ owner: boolean } | undefined> {
    if (!resources.found) return undefined
    if (!this.knowsOwner) return { owner: false }
    const ownerId = await this.#ownerAccountId(clientIdentifier)
    if (identity.user.id === ownerId) return { owner: true }
    return resources.sharedBy.includes(ownerId) ? { owner: false } : undefined
  }

  /**
   * The owner's account id for a check of `identity`: configured, or read with the owner's token (once; an
   * access the friends list granted was decided without it). `undefined` when no owner is known;
   * `PLEX_UNAVAILABLE` while it cannot be read.
   */
  async ownerAccountIdFor(identity: PlexIdentity): Promise<number | undefined> {
    if (!this.knowsOwner) return undefined
    return this.#ownerAccountId(this.#clientIdentifierFor(identity))
  }

  /** The client identifier plex.tv is asked for: the option's, else the identity's (its token's audience). */
  #clientIdentifierFor(identity: PlexIdentity): string {
    const clientIdentifier = this.#config.clientIdentifier ?? identity.clientIdentifier
    if (clientIdentifier === undefined) {
      // A configuration bug, not the user's fault: a fail-closed 500.
      throw new Error('plexauth: requireServerAccess needs a clientIdentifier (in its options or plexAuth)')
    }
    return clientIdentifier
  }

  /** True when the owner's account id is configured or can be read with the owner's token. */
  get knowsOwner(): boolean {
    return this.#config.ownerId !== undefined || this.#config.ownerToken !== undefined
  }

  /** The owner's account id: configured, or read once with the owner's token. `PLEX_UNAVAILABLE` until known. */
  async #ownerAccountId(clientIdentifier: string): Promise<number> {
    const { ownerId, ownerToken } = this.#config
    if (ownerId !== undefined) return ownerId
    if (this.#ownerId !== undefined) return this.#ownerId
    if (Date.now() < this.#ownerIdRejectedUntil) throw unavailable(this.#ownerIdRejectedUntil - Date.now())
    // Asked only when knowsOwner: without ownerId, ownerToken is set.
    this.#ownerIdInflight ??= this.#fetchOwnerId(clientIdentifier, ownerToken!).finally(() => {
      this.#ownerIdInflight = undefined
    })
    return this.#ownerIdInflight
  }

  async #fetchOwnerId(clientIdentifier: string, ownerToken: string): Promise<number> {
    const { client } = this.#config
    const answer = await client.get({
      path: USER_PATH,
      token: ownerToken,
      clientIdentifier,
      accept: 'application/json',
      maxBytes: MAX_ACCOUNT_BYTES,
      parse: (text) => parseAccount(JSON.parse(text)).id,
      expiredIsAnswer: true,
    })
    if (answer.status !== 200) {
      // A configuration problem (the owner token is wrong, revoked or expired): reported, never with the
      // token. Without the owner's id nobody can be let in through resources: this fails closed (503).
      this.#ownerIdRejectedUntil = this.#ownerTokenRefused(USER_PATH, answer.status)
      throw unavailable(REJECTED_TTL_MS)
    }
    this.#ownerId = answer.body
    return answer.body
  }

  /** Reports plex.tv's refusal of the owner token on `path` (never the token) and returns until when it stands. */
  #ownerTokenRefused(path: string, status: number): number {
    const { emit, plexTvUrl } = this.#config
    emit({
      type: 'plex_request_failed',
      url: `${plexTvUrl}${path}`,
      reason: 'status',
      status,
      retryIn: REJECTED_TTL_MS / 1000,
    })
    return Date.now() + REJECTED_TTL_MS
  }

  async #friends(clientIdentifier: string, ownerToken: string): Promise<ReadonlySet<number>> {
    const { store, machineIdentifier, accessTtlMs } = this.#config
    const key = `friends:${machineIdentifier}:${hashSecret(ownerToken)}`
    const stored = await store.get(key)
    if (isFriendsRecord(stored) && Date.now() - stored.checkedAt < accessTtlMs) return new Set(stored.ids)
    if (Date.now() < this.#friendsRejectedUntil) return NO_FRIENDS
    this.#friendsInflight ??= this.#fetchFriends(clientIdentifier, ownerToken, key).finally(() => {
      this.#friendsInflight = undefined
    })
    return this.#friendsInflight
  }

  async #fetchFriends(
    clientIdentifier: string,
    ownerToken: string,
    key: string,
  ): Promise<ReadonlySet<number>> {
    const { client, machineIdentifier, maxBytes, store, accessTtlMs } = this.#config
    const answer = await client.get({
      path: FRIENDS_PATH,
      token: ownerToken,
      clientIdentifier,
      accept: 'application/xml',
      maxBytes,
      parse: (text) => parseFriends(text, machineIdentifier),
      expiredIsAnswer: true,
    })
    if (answer.status !== 200) {
      // The owner token is wrong, revoked or expired: a configuration problem, reported as an event (never
      // with the token). The second source is unusable, so nobody counts as a friend and the user's own
      // `/api/v2/resources` decides: a stranger gets 403 (not a 503 for as long as the token stays wrong),
      // and an ended share ends instead of being served stale.
      this.#friendsRejectedUntil = this.#ownerTokenRefused(FRIENDS_PATH, answer.status)
      return NO_FRIENDS
    }
    void store.set(key, { checkedAt: Date.now(), ids: answer.body }, accessTtlMs)
    return new Set(answer.body)
  }
}

/** A copy of a (frozen, shared) identity with `access` set: frozen too, `token` still not enumerable. */
export function withAccess(identity: PlexIdentity, access: ServerAccess): PlexIdentity {
  const copy = { ...identity, access }
  Object.defineProperty(copy, 'token', { value: identity.token, enumerable: false })
  return Object.freeze(copy) as PlexIdentity
}
