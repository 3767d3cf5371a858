import { type AddHomeUserOptions, addHomeUser, createLegacyToken, upsertAccount } from './accounts.js'
import { countRequests, resetCounters, resetRun, rotateKeys } from './actions.js'
import type { FailureMode } from './failure-modes.js'
import { issueToken } from './issue-token.js'
import { type PrivateKeyLike, signJwt, signRaw } from './jwt.js'
import { type Ed25519Key, generateEd25519Key, type PublicKeySet, type SigningKeyPosition } from './keys.js'
import { CONTROL_PATH, PLEX_PATHS, SIGN_IN_PATH } from './paths.js'
import { type ApprovePinOptions, approvePin, denyPin } from './pins.js'
import { createRouter } from './router.js'
import { routes } from './routes/index.js'
import { listen } from './server.js'
import { type AddServerOptions, addServer, type FakeServer, serverView } from './servers.js'
import { createState, DEFAULT_NONCE_RATE_LIMIT, type RateLimit, type RequestLogEntry } from './state.js'
import { DEFAULT_USER, type IssueTokenOptions, type PlexTokenUser } from './tokens.js'

/**
 * Options of `createFakePlex`. Every member is optional.
 *
 * @example
 * ```ts
 * const plex = await createFakePlex({ keyCount: 2, signingKeyPosition: 'last', user: { id: 7 } })
 * ```
 */
export interface FakePlexOptions {
  /**
   * Port. Default 0 (any free port).
   * @default 0
   */
  port?: number
  /**
   * Address to listen on. Default `127.0.0.1` (loopback only).
   * @default 127.0.0.1
   */
  host?: string
  /**
   * How many keys are published at start. Default 1, like plex.tv between rotations.
   * @default 1
   */
  keyCount?: number
  /**
   * Where the signing key stands in the key set, at start and after `rotateKeys`: `'first'` (default,
   * `keys[0]`, as plex.tv between rotations) or `'last'` (as during a rotation: clients reading only
   * `keys[0]` break).
   * @default 'first'
   */
  signingKeyPosition?: SigningKeyPosition
  /** `Cache-Control` of the key set answer. Default none, like plex.tv. */
  cacheControl?: string
  /** The account tokens describe, merged over `DEFAULT_USER`. */
  user?: Partial<PlexTokenUser>
  /**
   * Budget of `/api/v2/auth/nonce` per client identifier; `false` for none. Default 60 per 60 seconds.
   * @default { requests: 60, perSeconds: 60 }
   */
  nonceRateLimit?: RateLimit | false
}

/**
 * Which key signs: one of the fake's keys by `kid`, or a foreign key (`signWith`). Default: the signing key.
 *
 * @example
 * ```ts
 * const { kid } = plex.addKey() // published, but not the key the fake signs with
 * plex.sign({ alg: 'EdDSA', kid }, { iss: 'plex.tv' }, { kid })
 * ```
 */
export interface SignOptions {
  kid?: string
  signWith?: PrivateKeyLike
}

/**
 * A running fake of plex.tv. See `createFakePlex`.
 *
 * @example
 * ```ts
 * await using plex = await createFakePlex()
 * const token = plex.issueToken({ user: { id: 42 } })
 * ```
 */
export interface FakePlex extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  readonly url: string
  /** `${url}/api/v2/auth/keys`. */
  readonly jwksUrl: string
  /** `${url}/auth`: the fake's sign-in page, standing in for `https://app.plex.tv/auth` (`authAppUrl` of a login). */
  readonly authAppUrl: string
  /** `${url}/__fake`: the HTTP control surface (the same actions as this object, for other processes). */
  readonly controlUrl: string
  /** The keys published from the fake's key ring (served unless `setKeysResponse` overrides them). */
  readonly keys: PublicKeySet
  /** The key that signs tokens now. */
  readonly signingKey: Ed25519Key
  /** `Cache-Control` of the key set answer; `undefined` sends none. */
  cacheControl: string | undefined
  /** A Plex JWT signed by the signing key (or as `options` say). */
  issueToken(options?: IssueTokenOptions): string
  /** Signs `header` and `payload` exactly as given: nothing is added. */
  sign(header: object, payload: object, options?: SignOptions): string
  /** Signs `${headerB64}.${payloadB64}` as given. */
  signRaw(headerB64: string, payloadB64: string, options?: SignOptions): string
  /**
   * A new signing key, published at `position` (default the fake's `signingKeyPosition`). Older keys stay
   * published unless `keep` is false.
   */
  rotateKeys(options?: { keep?: boolean; position?: SigningKeyPosition }): Ed25519Key
  /** Publishes `key` (default: a new one) last, without signing with it. */
  addKey(key?: Ed25519Key): Ed25519Key
  /** Unpublishes a key; the fake can still sign with it. Returns whether it was published. */
  removeKey(kid: string): boolean
  /** Serves this key set instead of the key ring's; `undefined` goes back to the key ring. */
  setKeysResponse(jwks: { readonly keys: readonly object[] } | undefined): void
  /** Makes `path` (`'*'`: every path) misbehave, for the next `times` requests (default: until `recover`). */
  fail(path: string, mode: FailureMode, options?: { times?: number }): void
  /** Ends the failure mode of `path`, or of every path. */
  recover(path?: string): void
  /** The main account: the one `issueToken` describes and `approvePin` signs in unless told otherwise. */
  readonly account: PlexTokenUser
  /** Every account, the default one first. */
  readonly accounts: readonly PlexTokenUser[]
  /** Adds an account (next free id and a random uuid unless given), or updates the one with that `id`. */
  addAccount(user?: Partial<PlexTokenUser>): PlexTokenUser
  /** Adds an account to a Plex Home (default: a managed user, no username or email, in the default account's home). */
  addHomeUser(options?: AddHomeUserOptions): PlexTokenUser
  /** A new legacy token of an account (default: the default account), valid until a JWT exchange retires it. */
  createLegacyToken(options?: { accountId?: number }): string
  /** Adds a fake media server, listed by `/api/v2/resources` for its owner and the accounts it is shared with. */
  addServer(options?: AddServerOptions): FakeServer
  /** Every fake media server. */
  readonly servers: readonly FakeServer[]
  /** Stands in for the user clicking "Allow" on the PIN with that code or id. Throws for an unknown or expired PIN. */
  approvePin(codeOrId: string | number, options?: ApprovePinOptions): void
  /** Stands in for "Deny" on the fake's sign-in page: the PIN is withdrawn, its polls answer 404 code 1020. */
  denyPin(codeOrId: string | number): void
  /** Budget of `/api/v2/auth/nonce` per client identifier; `undefined` for none. Settable. */
  nonceRateLimit: RateLimit | undefined
  /** Requests received for `path` (without query string; a pattern such as `/api/v2/pins/:id` sums its paths), or in all. */
  requests(path?: string): number
  /** Every request received, credentials left out. */
  readonly log: readonly RequestLogEntry[]
  /** Zeroes the request counters and empties the log. */
  resetCounters(): void
  /** Ends every failure mode, zeroes the counters, forgets PINs and nonces; accounts, servers and keys stay. */
  reset(): void
  /** Stops listening and cuts every connection, hanging ones included. */
  close(): Promise<void>
}

/**
 * Starts a fake plex.tv on 127.0.0.1 (unless `host` says otherwise) that publishes its Ed25519 keys at `GET /api/v2/auth/keys`, exactly
 * like plex.tv, and issues Plex JWTs signed with them.
 *
 * @example
 * ```ts
 * import { createPlexVerifier } from '@plexauth/core'
 * import { createFakePlex, PLEX_PATHS } from '@plexauth/testing'
 *
 * await using plex = await createFakePlex()
 * const verifier = createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: 'plexauth-test-app' })
 * await verifier.verify(plex.issueToken())
 * plex.fail(PLEX_PATHS.keys, 'down')
 * ```
 */
export async function createFakePlex(options: FakePlexOptions = {}): Promise<FakePlex> {
  const state = createState({
    keyCount: options.keyCount ?? 1,
    signingKeyPosition: options.signingKeyPosition ?? 'first',
    account: { ...DEFAULT_USER, ...options.user },
    cacheControl: options.cacheControl,
    nonceRateLimit:
      options.nonceRateLimit === false
        ? undefined
        : { ...(options.nonceRateLimit ?? DEFAULT_NONCE_RATE_LIMIT) },
  })
  const server = await listen(createRouter(routes, state), options.port ?? 0, options.host)
  state.url = server.url
  const signer = ({ kid, signWith }: SignOptions = {}): PrivateKeyLike =>
    signWith ?? (kid === undefined ? state.keyRing.signingKey : state.keyRing.get(kid))

  return {
    url: server.url,
    jwksUrl: `${server.url}${PLEX_PATHS.keys}`,
    authAppUrl: `${server.url}${SIGN_IN_PATH}`,
    controlUrl: `${server.url}${CONTROL_PATH}`,
    get keys() {
      return state.keyRing.publicKeySet()
    },
    get signingKey() {
      return state.keyRing.signingKey
    },
    get cacheControl() {
      return state.cacheControl
    },
    set cacheControl(value) {
      state.cacheControl = value
    },
    issueToken: (tokenOptions = {}) => issueToken(state, tokenOptions),
    sign: (header, payload, signOptions) => signJwt(header, payload, signer(signOptions)),
    signRaw: (headerB64, payloadB64, signOptions) => signRaw(headerB64, payloadB64, signer(signOptions)),
    rotateKeys: (rotateOptions) => rotateKeys(state, rotateOptions),
    addKey: (key) => state.keyRing.add(key ?? generateEd25519Key()),
    removeKey: (kid) => state.keyRing.remove(kid),
    setKeysResponse: (jwks) => {
      state.keysResponse = jwks
    },
    fail: (path, mode, { times } = {}) => state.failures.set(path, mode, times),
    recover: (path) => state.failures.clear(path),
    get account() {
      return state.account
    },
    get accounts() {
      return [...state.accounts.values()]
    },
    addAccount: (user) => upsertAccount(state, user),
    addHomeUser: (homeOptions) => addHomeUser(state, homeOptions),
    createLegacyToken: ({ accountId = state.account.id } = {}) => createLegacyToken(state, accountId),
    addServer: (serverOptions) => addServer(state, serverOptions),
    get servers() {
      return [...state.servers.values()].map((record) => serverView(state, record))
    },
    approvePin: (codeOrId, approveOptions) => approvePin(state, codeOrId, approveOptions),
    denyPin: (codeOrId) => denyPin(state, codeOrId),
    get nonceRateLimit() {
      return state.nonceRateLimit
    },
    set nonceRateLimit(value) {
      state.nonceRateLimit = value
      state.nonceWindows.clear()
    },
    requests: (path) => countRequests(state, path),
    get log() {
      return state.log
    },
    resetCounters: () => resetCounters(state),
    reset: () => resetRun(state),
    close: server.close,
    [Symbol.asyncDispose]: server.close,
  }
}
