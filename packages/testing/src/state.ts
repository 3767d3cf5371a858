import type { KeyObject } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { FailureTable } from './failure-modes.js'
import { KeyRing, type SigningKeyPosition } from './keys.js'
import type { PlexTokenUser } from './tokens.js'

/**
 * One request the fake received. Credentials (`Authorization`, `X-Plex-Token`, `Cookie`) are left out.
 *
 * @example
 * ```ts
 * expect(plex.log.at(-1)).toMatchObject({ method: 'GET', path: PLEX_PATHS.keys })
 * ```
 */
export interface RequestLogEntry {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
}

/**
 * A request budget: at most `requests` in each window of `perSeconds`, counted per client identifier.
 *
 * @example
 * ```ts
 * plex.nonceRateLimit = { requests: 1, perSeconds: 60 }
 * ```
 */
export interface RateLimit {
  requests: number
  perSeconds: number
}

/** A legacy account token: opaque, valid until retired (by the first JWT exchange of a device it registered). */
export interface LegacyTokenRecord {
  readonly accountId: number
  retired: boolean
}

/** A device key registered with `/auth/jwk` or by approving a PIN with a key. */
export interface DeviceRecord {
  /** The kid the client chose; the `thumbprint` of the tokens it gets. */
  readonly kid: string
  readonly clientIdentifier: string
  readonly publicKey: KeyObject
  accountId: number
  /** The legacy token that registered the key, retired by the first exchange. */
  legacyToken: string | undefined
}

/** A PIN of `POST /api/v2/pins`: with a device key (`jwk`) or legacy. Times in milliseconds. */
export interface PinRecord {
  readonly id: number
  readonly code: string
  readonly clientIdentifier: string
  readonly product: string | undefined
  readonly strong: boolean
  readonly kid: string | undefined
  readonly publicKey: KeyObject | undefined
  readonly createdAt: number
  readonly expiresAt: number
  /** Set by `approvePin`: whom the user signed in as, and the scopes forced (else the device JWT's). */
  approval: { accountId: number; scopes: readonly string[] | undefined } | undefined
  authToken: string | undefined
}

/** A nonce of `/auth/nonce`, usable once before `expiresAt` (milliseconds). */
export interface NonceRecord {
  readonly clientIdentifier: string
  readonly expiresAt: number
}

/** A fake Plex Media Server: who owns it, who it is shared with, and the tokens it knows. */
export interface ServerRecord {
  readonly machineIdentifier: string
  readonly name: string
  readonly ownerId: number
  /** `provides` of its resource entry, e.g. `'server'`. */
  readonly provides: string
  readonly createdAt: number
  readonly sharedWith: Set<number>
  /** The `accessToken` each account with access gets in `/api/v2/resources`. */
  readonly accessTokens: Map<number, string>
  readonly transientTokens: Set<string>
}

/** Everything the routes share. Later routes (users, friends, …) add their own members here. */
export interface FakePlexState {
  readonly keyRing: KeyRing
  /** Where rotations put the new signing key unless told otherwise. */
  readonly signingKeyPosition: SigningKeyPosition
  /** The default account: the one `issueToken` describes and `approvePin` signs in unless told otherwise. */
  readonly account: PlexTokenUser
  /** Base URL of the fake, known once it listens. */
  url: string
  readonly accounts: Map<number, PlexTokenUser>
  readonly legacyTokens: Map<string, LegacyTokenRecord>
  /** Registered device keys, by kid. */
  readonly devices: Map<string, DeviceRecord>
  readonly pins: Map<number, PinRecord>
  nextPinId: number
  readonly nonces: Map<string, NonceRecord>
  nonceRateLimit: RateLimit | undefined
  /** Fixed windows of the nonce rate limit, by client identifier. */
  readonly nonceWindows: Map<string, { start: number; count: number }>
  /** Fake media servers, by machine identifier. */
  readonly servers: Map<string, ServerRecord>
  /** Plex Home memberships: the admin's account id → the other members (managed users included). */
  readonly homes: Map<number, number[]>
  /** Served instead of the key ring's keys when set. */
  keysResponse: object | undefined
  cacheControl: string | undefined
  readonly failures: FailureTable
  readonly counters: Map<string, number>
  readonly log: RequestLogEntry[]
}

/**
 * Default nonce budget per client identifier: generous enough that only tests asking for 429 meet it.
 *
 * @example
 * ```ts
 * plex.nonceRateLimit = { ...DEFAULT_NONCE_RATE_LIMIT, requests: 1 }
 * ```
 */
export const DEFAULT_NONCE_RATE_LIMIT: Readonly<RateLimit> = Object.freeze({ requests: 60, perSeconds: 60 })

export function createState(options: {
  keyCount: number
  signingKeyPosition?: SigningKeyPosition
  account: PlexTokenUser
  cacheControl: string | undefined
  nonceRateLimit?: RateLimit | undefined
}): FakePlexState {
  return {
    keyRing: new KeyRing(options.keyCount, options.signingKeyPosition),
    signingKeyPosition: options.signingKeyPosition ?? 'first',
    account: options.account,
    url: '',
    accounts: new Map([[options.account.id, options.account]]),
    legacyTokens: new Map(),
    devices: new Map(),
    pins: new Map(),
    nextPinId: 1_000_001,
    nonces: new Map(),
    nonceRateLimit: 'nonceRateLimit' in options ? options.nonceRateLimit : { ...DEFAULT_NONCE_RATE_LIMIT },
    nonceWindows: new Map(),
    servers: new Map(),
    homes: new Map(),
    keysResponse: undefined,
    cacheControl: options.cacheControl,
    failures: new FailureTable(),
    counters: new Map(),
    log: [],
  }
}
