import type { PlexIdentity } from '../jwt/identity-types.js'
import type { PlexAuthEvent } from '../lib/event-types.js'
import {
  checkKeys,
  durationMs,
  fail,
  fetchOption,
  func,
  headerValue,
  number,
  optionNames,
  validateBaseUrl,
  validateEndpointUrl,
  withMethods,
} from '../lib/options.js'
import type { RateBudget } from '../lib/store-types.js'
import { resolveOrigin } from '../session/session-options.js'
import type { SessionOptions } from '../session/session-types.js'
import { PLEX_JWKS_URL } from '../verifier/resolve-options.js'

/**
 * What `onLogin` receives: who signed in (with `access`, the decision on the server, when the login checks
 * one), their Plex token (to keep, e.g. to call a media server for them), and the framework's request.
 *
 * @example
 * ```ts
 * declare const users: { upsert(plexId: number): Promise<string> } // the app's own user table
 * const onLogin = async ({ identity }: LoginContext) => ({ userId: await users.upsert(identity.user.id) })
 * ```
 */
export interface LoginContext {
  identity: PlexIdentity
  plexToken: string
  request: unknown
}

/**
 * Who may sign in: users with access to the server `machineIdentifier` (its owner, or users it is shared
 * with), or only its owner with `ownerOnly` (which needs `ownerId` or `ownerToken`). Give `ownerId` (the owner's Plex account id) or `ownerToken`
 * so that ownership and shares are decided by the owner's account, not by the user's own device list (which
 * a client can fill with devices of its choosing); `ownerToken` also adds the owner's friends list.
 *
 * @example
 * ```ts
 * const access: LoginAccessOptions = { machineIdentifier: process.env.PLEX_SERVER_ID!, ownerId: 1234567, ownerOnly: true }
 * ```
 */
export interface LoginAccessOptions {
  machineIdentifier: string
  ownerToken?: string | undefined
  ownerId?: number | undefined
  ownerOnly?: boolean
}

/**
 * Options of `plexLogin` (every adapter). Durations in seconds.
 *
 * @example
 * ```ts
 * const options: PlexLoginOptions = {
 *   product: 'My App',
 *   clientIdentifier: 'my-app',
 *   session: { secret: process.env.PLEXAUTH_SECRET! },
 *   access: { machineIdentifier: process.env.PLEX_SERVER_ID! },
 * }
 * ```
 */
export interface PlexLoginOptions {
  /** The app's name, shown by Plex on its sign-in page and in the user's authorized devices. */
  product: string
  /** The app's stable client identifier: PINs are created and polled under it. */
  clientIdentifier: string
  /** The session cookie; pass the same object to `plexAuth`. */
  session: SessionOptions
  /** Who may sign in. Default: any Plex user. */
  access?: LoginAccessOptions
  /**
   * Runs once per sign-in, after access is granted: return nothing to allow it, `false` to refuse it (403
   * `ACCESS_DENIED`, reason `refused`), or a JSON object of at most 1 KiB kept in the session as `app`. If it
   * throws, the sign-in answers 500 and no session is created.
   */
  onLogin?: (context: LoginContext) => unknown
  /**
   * `'jwt'` (default: a PIN with a device key; the token is a Plex JWT, checked locally) or `'legacy'`.
   * @default 'jwt'
   */
  flow?: 'jwt' | 'legacy'
  /**
   * Where the routes live. Default `/auth/plex`.
   * @default /auth/plex
   */
  basePath?: string
  /** The app's external origin behind a proxy (`https://app.example.com`). */
  publicUrl?: string
  /**
   * Default `https://plex.tv`.
   * @default https://plex.tv
   */
  plexTvUrl?: string
  /**
   * Default `https://clients.plex.tv`.
   * @default https://clients.plex.tv
   */
  clientsUrl?: string
  /**
   * Plex's sign-in page. Default `https://app.plex.tv/auth`.
   * @default https://app.plex.tv/auth
   */
  authAppUrl?: string
  /**
   * Plex's keys. Default `https://clients.plex.tv/api/v2/auth/keys`.
   * @default https://clients.plex.tv/api/v2/auth/keys
   */
  jwksUrl?: string
  /**
   * Seconds between two polls of a PIN at plex.tv, however often the browser asks. Default 2.
   * @default 2
   */
  pollInterval?: number
  /**
   * PINs created per minute: per client address, and in total. Default `{ perClient: 10, total: 60 }`. With
   * several instances, `budget` (e.g. `@plexauth/redis`'s `budget('pins', { perSecond: 1 })`) is one total for
   * all of them: when it answers, it replaces the in-process `total`.
   * @default { perClient: 10, total: 60 }
   */
  rateLimit?: { perClient?: number; total?: number; budget?: RateBudget }
  /**
   * `X-Plex-Version` sent to plex.tv. Default `1.0`.
   * @default '1.0'
   */
  version?: string
  /**
   * Abort a plex.tv request after this long. Default 5.
   * @default 5
   */
  timeout?: number
  /**
   * The fetch implementation. Default `globalThis.fetch`.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch
  /** Receives events worth logging (never a token). */
  onEvent?: (event: PlexAuthEvent) => void
}

/** Options after validation; durations in milliseconds. */
export interface ResolvedLoginOptions {
  product: string
  clientIdentifier: string
  version: string
  access:
    | {
        machineIdentifier: string
        ownerToken: string | undefined
        ownerId: number | undefined
        ownerOnly: boolean
      }
    | undefined
  onLogin: ((context: LoginContext) => unknown) | undefined
  flow: 'jwt' | 'legacy'
  basePath: string
  publicOrigin: string | undefined
  plexTvUrl: string
  clientsUrl: string
  authAppUrl: string
  jwksUrl: string
  pollIntervalMs: number
  perClientPerMinute: number
  totalPerMinute: number
  budget: RateBudget | undefined
  timeoutMs: number
  fetch: typeof globalThis.fetch
  onEvent: ((event: PlexAuthEvent) => void) | undefined
}

const OPTION_NAMES = optionNames<PlexLoginOptions>({
  product: true,
  clientIdentifier: true,
  session: true,
  access: true,
  onLogin: true,
  flow: true,
  basePath: true,
  publicUrl: true,
  plexTvUrl: true,
  clientsUrl: true,
  authAppUrl: true,
  jwksUrl: true,
  pollInterval: true,
  rateLimit: true,
  version: true,
  timeout: true,
  fetch: true,
  onEvent: true,
})
const ACCESS_NAMES = optionNames<LoginAccessOptions>({
  machineIdentifier: true,
  ownerToken: true,
  ownerId: true,
  ownerOnly: true,
})
const RATE_NAMES = optionNames<NonNullable<PlexLoginOptions['rateLimit']>>({
  perClient: true,
  total: true,
  budget: true,
})
const BASE_PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/
const MACHINE_IDENTIFIER = /^[A-Za-z0-9._:-]{1,256}$/

function baseUrl(name: string, value: unknown, fallback: string): string {
  return value === undefined ? fallback : validateBaseUrl(name, value)
}

/** A value sent in an `X-Plex-*` header (or as the owner token): required, printable. */
function headerText(name: string, value: unknown): string {
  if (value === undefined) fail(`${name} is required`)
  return headerValue(name, value, undefined, 256) as string
}

/** Validates `plexLogin`'s options once (the `session` option is validated by its manager): `TypeError` otherwise. */
export function resolveLoginOptions(options: unknown): ResolvedLoginOptions {
  if (typeof options !== 'object' || options === null)
    fail('plexLogin needs options: { product, clientIdentifier, session }')
  checkKeys('', options, OPTION_NAMES)
  const o = options as PlexLoginOptions
  if (o.session === undefined) fail('plexLogin needs a session option: { secret }')
  let access: ResolvedLoginOptions['access']
  if (o.access !== undefined) {
    if (typeof o.access !== 'object' || o.access === null)
      fail('access must be an object: { machineIdentifier }')
    checkKeys('access.', o.access, ACCESS_NAMES)
    const { machineIdentifier, ownerToken, ownerId, ownerOnly } = o.access
    if (typeof machineIdentifier !== 'string' || !MACHINE_IDENTIFIER.test(machineIdentifier)) {
      fail('access.machineIdentifier must be the server identifier (letters, digits, ".", "_", ":", "-")')
    }
    if (ownerOnly !== undefined && typeof ownerOnly !== 'boolean') fail('access.ownerOnly must be a boolean')
    if (ownerId !== undefined && (!Number.isSafeInteger(ownerId) || ownerId <= 0)) {
      fail('access.ownerId must be a Plex account id (a positive integer)')
    }
    // Who owns the server is decided by the owner's account, never by the user's own device list (which a
    // client fills with devices of its choosing): letting only the owner in needs to know who that is.
    if (ownerOnly === true && ownerId === undefined && ownerToken === undefined) {
      fail('access.ownerOnly needs access.ownerId or access.ownerToken (who owns the server)')
    }
    access = {
      machineIdentifier,
      ownerId,
      ownerToken: ownerToken === undefined ? undefined : headerText('access.ownerToken', ownerToken),
      ownerOnly: ownerOnly === true,
    }
  }
  const onLogin = func('onLogin', o.onLogin)
  const onEvent = func('onEvent', o.onEvent)
  const fetchImpl = fetchOption(o.fetch)
  const flow = o.flow ?? 'jwt'
  if (flow !== 'jwt' && flow !== 'legacy') fail("flow must be 'jwt' or 'legacy'")
  const basePath = o.basePath ?? '/auth/plex'
  if (typeof basePath !== 'string' || !BASE_PATH.test(basePath)) {
    fail('basePath must be a path such as /auth/plex (no trailing slash, query or special characters)')
  }
  const rate = o.rateLimit ?? {}
  if (typeof rate !== 'object' || rate === null) fail('rateLimit must be an object: { perClient, total }')
  checkKeys('rateLimit.', rate, RATE_NAMES)
  return {
    product: headerText('product', o.product),
    clientIdentifier: headerText('clientIdentifier', o.clientIdentifier),
    version: o.version === undefined ? '1.0' : headerText('version', o.version),
    access,
    onLogin,
    flow,
    basePath,
    publicOrigin: o.publicUrl === undefined ? undefined : resolveOrigin('publicUrl', o.publicUrl),
    plexTvUrl: baseUrl('plexTvUrl', o.plexTvUrl, 'https://plex.tv'),
    clientsUrl: baseUrl('clientsUrl', o.clientsUrl, 'https://clients.plex.tv'),
    authAppUrl: baseUrl('authAppUrl', o.authAppUrl, 'https://app.plex.tv/auth'),
    jwksUrl: o.jwksUrl === undefined ? PLEX_JWKS_URL : validateEndpointUrl('jwksUrl', o.jwksUrl),
    pollIntervalMs: durationMs('pollInterval', o.pollInterval, 2, 0.1, 60),
    perClientPerMinute: number('rateLimit.perClient', rate.perClient, 10, 1, 100_000),
    totalPerMinute: number('rateLimit.total', rate.total, 60, 1, 1_000_000),
    budget: withMethods<RateBudget>('rateLimit.budget', rate.budget, ['take']),
    timeoutMs: durationMs('timeout', o.timeout, 5, 0.001, 120),
    fetch: fetchImpl,
    onEvent,
  }
}
