import { createLegacyToken, upsertAccount } from './accounts.js'
import type { FailureMode } from './failure-modes.js'
import { issueToken } from './issue-token.js'
import { type PrivateKeyLike, signJwt, signRaw } from './jwt.js'
import { type Ed25519Key, generateEd25519Key, type PublicKeySet } from './keys.js'
import { PLEX_PATHS } from './paths.js'
import { type ApprovePinOptions, approvePin } from './pins.js'
import { createRouter, matchPath } from './router.js'
import { routes } from './routes/index.js'
import { listen } from './server.js'
import { type AddServerOptions, addServer, type FakeServer } from './servers.js'
import { createState, DEFAULT_NONCE_RATE_LIMIT, type RateLimit, type RequestLogEntry } from './state.js'
import { DEFAULT_USER, type IssueTokenOptions, type PlexTokenUser } from './tokens.js'

/**
 * Options of `createFakePlex`. Every member is optional.
 *
 * @example
 * ```ts
 * const plex = await createFakePlex({ keyCount: 1, cacheControl: 'max-age=120', user: { id: 7 } })
 * ```
 */
export interface FakePlexOptions {
  /** Port on 127.0.0.1. Default 0 (any free port). */
  port?: number
  /** How many keys are published at start; the last one signs. Default 2. */
  keyCount?: number
  /** `Cache-Control` of the key set answer. Default none, like plex.tv. */
  cacheControl?: string
  /** The account tokens describe, merged over `DEFAULT_USER`. */
  user?: Partial<PlexTokenUser>
  /** Budget of `/api/v2/auth/nonce` per client identifier; `false` for none. Default 60 per 60 seconds. */
  nonceRateLimit?: RateLimit | false
}

/**
 * Which key signs: one of the fake's keys by `kid`, or a foreign key (`signWith`). Default: the signing key.
 *
 * @example
 * ```ts
 * plex.sign({ alg: 'EdDSA', kid: oldKid }, { iss: 'plex.tv' }, { kid: oldKid })
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
  /** A new signing key, published last. Older keys stay published unless `keep` is false. */
  rotateKeys(options?: { keep?: boolean }): Ed25519Key
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
  /** The default account: the one `issueToken` describes and `approvePin` signs in unless told otherwise. */
  readonly account: PlexTokenUser
  /** Adds an account (next free id and a random uuid unless given), or updates the one with that `id`. */
  addAccount(user?: Partial<PlexTokenUser>): PlexTokenUser
  /** A new legacy token of an account (default: the default account), valid until a JWT exchange retires it. */
  createLegacyToken(options?: { accountId?: number }): string
  /** Adds a fake media server, listed by `/api/v2/resources` for its owner and the accounts it is shared with. */
  addServer(options?: AddServerOptions): FakeServer
  /** Stands in for the user clicking "Allow" on the PIN with that code or id. Throws for an unknown or expired PIN. */
  approvePin(codeOrId: string | number, options?: ApprovePinOptions): void
  /** Budget of `/api/v2/auth/nonce` per client identifier; `undefined` for none. Settable. */
  nonceRateLimit: RateLimit | undefined
  /** Requests received for `path` (without query string; a pattern such as `/api/v2/pins/:id` sums its paths), or in all. */
  requests(path?: string): number
  /** Every request received, credentials left out. */
  readonly log: readonly RequestLogEntry[]
  /** Zeroes the request counters and empties the log. */
  resetCounters(): void
  /** Stops listening and cuts every connection, hanging ones included. */
  close(): Promise<void>
}

/**
 * Starts a fake plex.tv on 127.0.0.1 that publishes its Ed25519 keys at `GET /api/v2/auth/keys`, exactly
 * like plex.tv, and issues Plex JWTs signed with them.
 *
 * @example
 * ```ts
 * await using plex = await createFakePlex()
 * const verifier = createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: 'plexauth-test-app' })
 * await verifier.verify(plex.issueToken())
 * plex.fail(PLEX_PATHS.keys, 'down')
 * ```
 */
export async function createFakePlex(options: FakePlexOptions = {}): Promise<FakePlex> {
  const state = createState({
    keyCount: options.keyCount ?? 2,
    account: { ...DEFAULT_USER, ...options.user },
    cacheControl: options.cacheControl,
    nonceRateLimit:
      options.nonceRateLimit === false
        ? undefined
        : { ...(options.nonceRateLimit ?? DEFAULT_NONCE_RATE_LIMIT) },
  })
  const server = await listen(createRouter(routes, state), options.port ?? 0)
  state.url = server.url
  const signer = ({ kid, signWith }: SignOptions = {}): PrivateKeyLike =>
    signWith ?? (kid === undefined ? state.keyRing.signingKey : state.keyRing.get(kid))

  return {
    url: server.url,
    jwksUrl: `${server.url}${PLEX_PATHS.keys}`,
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
    rotateKeys: ({ keep = true } = {}) => state.keyRing.rotate(keep),
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
    addAccount: (user) => upsertAccount(state, user),
    createLegacyToken: ({ accountId = state.account.id } = {}) => createLegacyToken(state, accountId),
    addServer: (serverOptions) => addServer(state, serverOptions),
    approvePin: (codeOrId, approveOptions) => approvePin(state, codeOrId, approveOptions),
    get nonceRateLimit() {
      return state.nonceRateLimit
    },
    set nonceRateLimit(value) {
      state.nonceRateLimit = value
      state.nonceWindows.clear()
    },
    requests: (path) => {
      let total = 0
      for (const [seen, count] of state.counters) {
        if (path === undefined || seen === path || (path.includes('/:') && matchPath(path, seen)))
          total += count
      }
      return total
    },
    get log() {
      return state.log
    },
    resetCounters: () => {
      state.counters.clear()
      state.log.length = 0
    },
    close: server.close,
    [Symbol.asyncDispose]: server.close,
  }
}
