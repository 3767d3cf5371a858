import { setImmediate as tick } from 'node:timers/promises'
import type {
  PlexAuthErrorCode,
  PlexAuthEvent,
  ServerAccess,
  ServerAccessOptions,
  UserPredicate,
} from '@plexauth/core'
import type { PlexAuthOptions } from '@plexauth/core/adapter'
import { DEFAULT_CLIENT_IDENTIFIER, DEFAULT_USER, type FakePlex, generateEd25519Key } from '@plexauth/testing'
import type { RequestShape } from './http.js'

/**
 * The contract every adapter honours: the same request gets the same status, `WWW-Authenticate`,
 * `Retry-After` and body on every framework. `ROUTES` says what each test app serves, `CASES` what
 * each request must get back.
 */

export const OWNER_ID = DEFAULT_USER.id
/** An account the owner's server is shared with, and one it is not (the runner creates both). */
export const FRIEND_ID = OWNER_ID + 1000
export const STRANGER_ID = OWNER_ID + 2000
/** The Plex Media Server the `serverAccess` guards gate; owned by `OWNER_ID`, shared with `FRIEND_ID`. */
export const SERVER_ID = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00'

/** The plexAuth configurations of a test app; each framework registers each one once. */
export type AuthName =
  | 'main'
  | 'query'
  | 'realm'
  | 'forward'
  | 'cold'
  | 'coldOptional'
  | 'stale'
  | 'burst'
  | 'legacy'
  | 'legacyDown'

export interface ContractUrls {
  jwksUrl: string
  coldJwksUrl: string
  staleJwksUrl: string
  burstJwksUrl: string
  /** plex.tv lookups (legacy tokens, server access): the main fake. */
  plexTvUrl: string
  /** A plex.tv that is down (every path). */
  downPlexTvUrl: string
  /** A plex.tv that answers until the runner takes it down, after warming the `stale` access routes. */
  gatePlexTvUrl: string
  /**
   * A plex.tv whose `/api/v2/resources` answers every user with a forged device list: a device under the
   * server's identifier that the asking account owns (what registering such a device would show).
   */
  forgePlexTvUrl: string
  /** The owner's token on that plex.tv. */
  forgeOwnerToken: string
}

export function authOptions(
  urls: ContractUrls,
  onEvent: (event: PlexAuthEvent) => void,
): Record<AuthName, PlexAuthOptions> {
  const main = { jwksUrl: urls.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER }
  const cold = { jwksUrl: urls.coldJwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER }
  return {
    main,
    query: { ...main, tokenSources: ['authorization', 'x-plex-token', 'query'] },
    realm: { ...main, realm: 'my-api' },
    forward: { ...main, forwardErrors: true },
    cold,
    coldOptional: { ...cold, credentialsRequired: false },
    // Keys go stale one second after they are fetched; the runner then takes the fake down.
    stale: {
      jwksUrl: urls.staleJwksUrl,
      clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
      jwks: { maxAge: 1 },
      onEvent,
    },
    // Cold until the concurrency test, whose requests all wait for one slow key fetch and resume together.
    burst: { jwksUrl: urls.burstJwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER },
    legacy: { ...main, legacyTokens: true, plexTvUrl: urls.plexTvUrl },
    legacyDown: { ...main, legacyTokens: true, plexTvUrl: urls.downPlexTvUrl },
  }
}

/** The `requireServerAccess` / `requireServerOwner` configurations of a test app. */
export type AccessName = 'main' | 'down' | 'stale' | 'forged'

export function accessOptions(urls: ContractUrls): Record<AccessName, ServerAccessOptions> {
  return {
    main: { machineIdentifier: SERVER_ID, plexTvUrl: urls.plexTvUrl, ownerId: OWNER_ID },
    down: { machineIdentifier: SERVER_ID, plexTvUrl: urls.downPlexTvUrl, ownerId: OWNER_ID },
    // Always asks plex.tv (accessTtl 0); once the runner takes it down, the last answer serves.
    stale: {
      machineIdentifier: SERVER_ID,
      plexTvUrl: urls.gatePlexTvUrl,
      ownerId: OWNER_ID,
      accessTtl: 0,
      staleIfError: 3600,
    },
    // The owner known by the owner's token alone (its id read with it), against forged device lists.
    forged: {
      machineIdentifier: SERVER_ID,
      plexTvUrl: urls.forgePlexTvUrl,
      ownerToken: urls.forgeOwnerToken,
    },
  }
}

/**
 * Routes under this prefix sit behind each framework's usual CORS middleware (cors, @fastify/cors,
 * @koa/cors), mounted before plexAuth as the READMEs show.
 */
export const CORS_PREFIX = '/cors'
export const CORS_ORIGIN = 'https://app.example'
export const CORS_OPTIONS = { origin: CORS_ORIGIN, credentials: true } as const

export type GuardSpec =
  | { kind: 'scopes'; scopes: string[] }
  | { kind: 'anyScope'; scopes: string[] }
  | { kind: 'user'; predicate: UserPredicate }
  /** `requireServerAccess`, or `requireServerOwner` with `owner`, configured by `accessOptions()[config]`. */
  | { kind: 'serverAccess'; config: AccessName; owner?: boolean }

/**
 * A route of the test app. `auth: null` skips authentication (Fastify: `config: { plexAuth: false }`);
 * `optional` lets anonymous requests in (Fastify: `config: { plexAuth: 'optional' }`, elsewhere
 * `credentialsRequired: false`). The handler answers `{ route, plex }`, or 204 for `OPTIONS`.
 */
export interface RouteSpec<A extends string = AuthName> {
  method: 'GET' | 'OPTIONS'
  path: string
  auth: A | null
  optional?: boolean
  guards?: GuardSpec[]
}

const isOwner: UserPredicate = (identity) => identity.user.id === OWNER_ID
const isOwnerLater: UserPredicate = async (identity) => {
  await tick()
  return identity.user.id === OWNER_ID
}
const email: GuardSpec = { kind: 'scopes', scopes: ['email'] }
const throwing: GuardSpec = {
  kind: 'user',
  predicate: () => {
    throw new Error('predicate bug')
  },
}
// A bug that throws no error at all: `undefined` reads as "no error" to Express's next() and Fastify's done().
const throwingNothing: GuardSpec = {
  kind: 'user',
  predicate: () => {
    throw undefined
  },
}
const rejectingNothing: GuardSpec = { kind: 'user', predicate: () => Promise.reject() }

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/me', auth: 'main' },
  { method: 'OPTIONS', path: '/me', auth: 'main' },
  { method: 'GET', path: '/health', auth: null },
  { method: 'GET', path: `${CORS_PREFIX}/me`, auth: 'main' },
  { method: 'GET', path: '/public/email', auth: null, guards: [email] },
  { method: 'GET', path: '/optional', auth: 'main', optional: true },
  { method: 'GET', path: '/optional/email', auth: 'main', optional: true, guards: [email] },
  { method: 'GET', path: '/email', auth: 'main', guards: [email] },
  {
    method: 'GET',
    path: '/any',
    auth: 'main',
    guards: [{ kind: 'anyScope', scopes: ['email', 'restricted'] }],
  },
  {
    method: 'GET',
    path: '/email-and-username',
    auth: 'main',
    guards: [{ kind: 'scopes', scopes: ['email', 'username'] }],
  },
  {
    method: 'GET',
    path: '/email-twice',
    auth: 'main',
    guards: [{ kind: 'scopes', scopes: ['email', 'email'] }],
  },
  { method: 'GET', path: '/owner', auth: 'main', guards: [{ kind: 'user', predicate: isOwner }] },
  // A JavaScript app's predicate may answer a truthy value that is not `true`: only `true` lets a request in.
  { method: 'GET', path: '/truthy', auth: 'main', guards: [{ kind: 'user', predicate: () => 1 as never }] },
  { method: 'GET', path: '/owner-async', auth: 'main', guards: [{ kind: 'user', predicate: isOwnerLater }] },
  {
    method: 'GET',
    path: '/slow',
    auth: 'burst',
    // Yields a few turns, a different number per user, so that concurrent requests interleave before the
    // scope guard and the handler read the identity.
    guards: [
      {
        kind: 'user',
        predicate: async (identity) => {
          for (let i = 0; i < identity.user.id % 7; i++) await tick()
          return true
        },
      },
      email,
    ],
  },
  { method: 'GET', path: '/throws', auth: 'main', guards: [throwing] },
  {
    method: 'GET',
    path: '/rejects',
    auth: 'main',
    guards: [{ kind: 'user', predicate: () => Promise.reject(new Error('async predicate bug')) }],
  },
  { method: 'GET', path: '/query', auth: 'query' },
  { method: 'GET', path: '/realm/email', auth: 'realm', guards: [email] },
  { method: 'GET', path: '/forward/me', auth: 'forward' },
  { method: 'GET', path: '/forward/email', auth: 'forward', guards: [email] },
  { method: 'GET', path: '/forward/throws', auth: 'forward', guards: [throwing] },
  { method: 'GET', path: '/forward/throws-nothing', auth: 'forward', guards: [throwingNothing] },
  { method: 'GET', path: '/forward/rejects-nothing', auth: 'forward', guards: [rejectingNothing] },
  { method: 'GET', path: '/throws-nothing', auth: 'main', guards: [throwingNothing] },
  { method: 'GET', path: '/cold/me', auth: 'cold' },
  { method: 'GET', path: '/cold/optional', auth: 'coldOptional' },
  { method: 'GET', path: '/stale/me', auth: 'stale' },
  { method: 'GET', path: '/legacy/me', auth: 'legacy' },
  { method: 'GET', path: '/legacy/down', auth: 'legacyDown' },
  {
    method: 'GET',
    path: '/legacy/access',
    auth: 'legacy',
    guards: [{ kind: 'serverAccess', config: 'main' }],
  },
  { method: 'GET', path: '/access', auth: 'main', guards: [{ kind: 'serverAccess', config: 'main' }] },
  {
    method: 'GET',
    path: '/access/owner',
    auth: 'main',
    guards: [{ kind: 'serverAccess', config: 'main', owner: true }],
  },
  { method: 'GET', path: '/access/down', auth: 'main', guards: [{ kind: 'serverAccess', config: 'down' }] },
  { method: 'GET', path: '/access/stale', auth: 'main', guards: [{ kind: 'serverAccess', config: 'stale' }] },
  {
    method: 'GET',
    path: '/forged/access',
    auth: 'main',
    guards: [{ kind: 'serverAccess', config: 'forged' }],
  },
  {
    method: 'GET',
    path: '/forged/owner',
    auth: 'main',
    guards: [{ kind: 'serverAccess', config: 'forged', owner: true }],
  },
]

export interface Expected {
  status: number
  /** Exact value, a pattern, or `null` for absent. */
  wwwAuthenticate: string | RegExp | null
  /** Absent unless given. */
  retryAfter?: string
  /** The `code` of an error body (absent for a success). */
  code?: PlexAuthErrorCode | 'INTERNAL_ERROR' | null
  /** For a 200: the user id the route saw, or `null` for anonymous. */
  user?: number | null
  /** The error went through the app's own error handler (`forwardErrors: true`). */
  forwarded?: boolean
  /** For a 200: how the identity was established. Default `'jwt'`. */
  kind?: 'jwt' | 'legacy'
  /** `Access-Control-Allow-Origin` of the answer; for a 204, default `*` (what the test handler sets). */
  allowOrigin?: string
  /** Whether the route handler ran. Default: for a 2xx answer. */
  handled?: boolean
  /** For a 200: the server access decision the handler saw (`req.plex.access`); absent unless given. */
  access?: Omit<ServerAccess, 'machineIdentifier'>
}

export interface ContractCase {
  name: string
  request: (plex: FakePlex) => RequestShape
  expect: Expected
  /** `stale-event`: the verifier must have reported stale keys (proves the stale path was taken). */
  check?: 'stale-event'
}

const bearer = (token: string): [string, string] => ['authorization', `Bearer ${token}`]
const plexHeader = (token: string): [string, string] => ['x-plex-token', token]
const get = (path: string, ...headers: [string, string][]): RequestShape => ({ path, headers })
const DAY = 86_400

const realm = 'Bearer realm="plex"'
const invalid = (description: string): string =>
  `${realm}, error="invalid_token", error_description="${description}"`
const badRequest = `${realm}, error="invalid_request", error_description="The request carries its credentials incorrectly"`
const noScope = (scope: string, r = 'plex'): string =>
  `Bearer realm="${r}", error="insufficient_scope", error_description="The token lacks a required scope", scope="${scope}"`

const preflight = (path: string): RequestShape => ({
  method: 'OPTIONS',
  path,
  headers: [
    ['origin', CORS_ORIGIN],
    ['access-control-request-method', 'GET'],
    ['access-control-request-headers', 'authorization'],
  ],
})
const ok = (user: number | null): Expected => ({ status: 200, wwwAuthenticate: null, user })
const missing: Expected = { status: 401, wwwAuthenticate: realm, code: 'TOKEN_MISSING' }
const internal: Expected = { status: 500, wwwAuthenticate: realm, code: 'INTERNAL_ERROR' }

export const CASES: readonly ContractCase[] = [
  // Where the token comes from
  {
    name: 'valid token in Authorization',
    request: (p) => get('/me', bearer(p.issueToken())),
    expect: ok(OWNER_ID),
  },
  {
    name: 'valid token in X-Plex-Token',
    request: (p) => get('/me', plexHeader(p.issueToken({ user: { id: 7 } }))),
    expect: ok(7),
  },
  {
    name: 'bearer scheme in lower case',
    request: (p) => get('/me', ['authorization', `bearer ${p.issueToken()}`]),
    expect: ok(OWNER_ID),
  },
  { name: 'missing token', request: () => get('/me'), expect: missing },
  {
    name: 'other auth scheme counts as missing',
    request: () => get('/me', ['authorization', 'Basic dXNlcjpwdw==']),
    expect: missing,
  },
  {
    name: 'same token in both headers',
    request: (p) => {
      const token = p.issueToken()
      return get('/me', bearer(token), plexHeader(token))
    },
    expect: ok(OWNER_ID),
  },
  {
    name: 'conflicting sources',
    request: (p) => get('/me', bearer(p.issueToken()), plexHeader(p.issueToken({ user: { id: 8 } }))),
    expect: { status: 400, wwwAuthenticate: badRequest, code: 'REQUEST_INVALID' },
  },
  {
    name: 'repeated Authorization lines',
    request: (p) => {
      const token = p.issueToken()
      return get('/me', bearer(token), bearer(token))
    },
    expect: { status: 400, wwwAuthenticate: badRequest, code: 'REQUEST_INVALID' },
  },
  {
    name: 'bearer value with a space',
    request: () => get('/me', ['authorization', 'Bearer abc def']),
    expect: { status: 400, wwwAuthenticate: badRequest, code: 'REQUEST_INVALID' },
  },
  {
    name: 'query token ignored when query is off',
    request: (p) => get(`/me?X-Plex-Token=${p.issueToken()}`),
    expect: missing,
  },
  {
    name: 'query token accepted when query is on',
    request: (p) => get(`/query?a=1&X-Plex-Token=${p.issueToken({ user: { id: 9 } })}`),
    expect: ok(9),
  },
  {
    name: 'query token conflicting with a header',
    request: (p) => get(`/query?X-Plex-Token=${p.issueToken()}`, bearer(p.issueToken({ user: { id: 10 } }))),
    expect: { status: 400, wwwAuthenticate: badRequest, code: 'REQUEST_INVALID' },
  },
  {
    name: 'query token given twice',
    request: (p) => {
      const token = p.issueToken()
      return get(`/query?X-Plex-Token=${token}&X-Plex-Token=${token}`)
    },
    expect: { status: 400, wwwAuthenticate: badRequest, code: 'REQUEST_INVALID' },
  },

  // What is wrong with the token
  {
    name: 'malformed token',
    request: () => get('/me', bearer('abc.def.ghi')),
    expect: { status: 401, wwwAuthenticate: invalid('The token is malformed'), code: 'TOKEN_MALFORMED' },
  },
  {
    name: 'expired token',
    request: (p) =>
      get(
        '/me',
        bearer(p.issueToken({ issuedAt: Math.floor(Date.now() / 1000) - 8 * DAY, expiresIn: 7 * DAY })),
      ),
    expect: { status: 401, wwwAuthenticate: invalid('The token has expired'), code: 'TOKEN_EXPIRED' },
  },
  {
    name: 'wrong audience (issued to another app)',
    request: (p) => get('/me', bearer(p.issueToken({ clientIdentifier: 'another-app' }))),
    expect: {
      status: 401,
      wwwAuthenticate: invalid('The token claims are invalid'),
      code: 'TOKEN_CLAIMS_INVALID',
    },
  },
  {
    name: 'wrong issuer',
    request: (p) => get('/me', bearer(p.issueToken({ claims: { iss: 'evil.example' } }))),
    expect: {
      status: 401,
      wwwAuthenticate: invalid('The token claims are invalid'),
      code: 'TOKEN_CLAIMS_INVALID',
    },
  },
  {
    name: 'bad signature',
    request: (p) => get('/me', bearer(p.issueToken({ signWith: generateEd25519Key() }))),
    expect: {
      status: 401,
      wwwAuthenticate: invalid('The token signature is invalid'),
      code: 'TOKEN_SIGNATURE_INVALID',
    },
  },
  {
    name: 'unknown kid',
    request: (p) => get('/me', bearer(p.issueToken({ header: { kid: 'k'.repeat(43) } }))),
    expect: {
      status: 401,
      wwwAuthenticate: invalid('The token was signed with an unknown key'),
      code: 'TOKEN_KEY_UNKNOWN',
    },
  },

  // Routes that skip authentication or let anonymous requests in
  { name: 'route without authentication', request: () => get('/health'), expect: ok(null) },
  {
    name: 'guard on a route without authentication',
    request: (p) => get('/public/email', bearer(p.issueToken())),
    expect: missing,
  },
  { name: 'optional: no token passes anonymously', request: () => get('/optional'), expect: ok(null) },
  {
    name: 'optional: valid token is verified',
    request: (p) => get('/optional', bearer(p.issueToken())),
    expect: ok(OWNER_ID),
  },
  {
    name: 'optional: bad token is still refused',
    request: () => get('/optional', bearer('abc.def.ghi')),
    expect: { status: 401, wwwAuthenticate: invalid('The token is malformed'), code: 'TOKEN_MALFORMED' },
  },
  {
    name: 'optional: scope guard refuses anonymous with 401',
    request: () => get('/optional/email'),
    expect: missing,
  },

  // Scopes and users
  {
    name: 'requireScopes: scope present',
    request: (p) => get('/email', bearer(p.issueToken())),
    expect: ok(OWNER_ID),
  },
  {
    name: 'requireScopes: scope missing',
    request: (p) => get('/email', bearer(p.issueToken({ scopes: ['username'] }))),
    expect: { status: 403, wwwAuthenticate: noScope('email'), code: 'INSUFFICIENT_SCOPE' },
  },
  {
    name: 'requireScopes: anonymous is refused before the guard',
    request: () => get('/email'),
    expect: missing,
  },
  {
    name: 'requireScopes: every scope present',
    request: (p) => get('/email-and-username', bearer(p.issueToken({ scopes: ['username', 'email'] }))),
    expect: ok(OWNER_ID),
  },
  {
    name: 'requireScopes: one of two missing',
    request: (p) => get('/email-and-username', bearer(p.issueToken({ scopes: ['email'] }))),
    expect: { status: 403, wwwAuthenticate: noScope('email username'), code: 'INSUFFICIENT_SCOPE' },
  },
  {
    name: 'requireScopes: a scope named twice is asked for once',
    request: (p) => get('/email-twice', bearer(p.issueToken({ scopes: ['username'] }))),
    expect: { status: 403, wwwAuthenticate: noScope('email'), code: 'INSUFFICIENT_SCOPE' },
  },
  {
    name: 'requireAnyScope: one of them present',
    request: (p) => get('/any', bearer(p.issueToken({ scopes: ['restricted'] }))),
    expect: ok(OWNER_ID),
  },
  {
    name: 'requireAnyScope: none present',
    request: (p) => get('/any', bearer(p.issueToken({ scopes: ['username'] }))),
    expect: { status: 403, wwwAuthenticate: noScope('email restricted'), code: 'INSUFFICIENT_SCOPE' },
  },
  {
    name: 'requireUser: sync predicate true',
    request: (p) => get('/owner', bearer(p.issueToken())),
    expect: ok(OWNER_ID),
  },
  {
    name: 'requireUser: sync predicate false',
    request: (p) => get('/owner', bearer(p.issueToken({ user: { id: 11 } }))),
    expect: { status: 403, wwwAuthenticate: realm, code: 'ACCESS_DENIED' },
  },
  {
    name: 'requireUser: async predicate true',
    request: (p) => get('/owner-async', bearer(p.issueToken())),
    expect: ok(OWNER_ID),
  },
  {
    name: 'requireUser: async predicate false',
    request: (p) => get('/owner-async', bearer(p.issueToken({ user: { id: 12 } }))),
    expect: { status: 403, wwwAuthenticate: realm, code: 'ACCESS_DENIED' },
  },
  {
    name: 'requireUser: a truthy answer that is not true',
    request: (p) => get('/truthy', bearer(p.issueToken())),
    expect: { status: 403, wwwAuthenticate: realm, code: 'ACCESS_DENIED' },
  },
  {
    name: 'requireUser: predicate throws',
    request: (p) => get('/throws', bearer(p.issueToken())),
    expect: internal,
  },
  {
    name: 'requireUser: predicate rejects',
    request: (p) => get('/rejects', bearer(p.issueToken())),
    expect: internal,
  },
  {
    name: 'requireUser: predicate throws undefined',
    request: (p) => get('/throws-nothing', bearer(p.issueToken())),
    expect: internal,
  },
  {
    name: 'guard answers in the realm of its plexAuth',
    request: (p) => get('/realm/email', bearer(p.issueToken({ scopes: ['username'] }))),
    expect: { status: 403, wwwAuthenticate: noScope('email', 'my-api'), code: 'INSUFFICIENT_SCOPE' },
  },
  {
    name: 'plexAuth answers in its realm',
    request: () => get('/realm/email'),
    expect: { status: 401, wwwAuthenticate: 'Bearer realm="my-api"', code: 'TOKEN_MISSING' },
  },

  // Plex's keys
  {
    name: 'keys down, cache cold: 503',
    request: (p) => get('/cold/me', bearer(p.issueToken())),
    expect: { status: 503, wwwAuthenticate: realm, retryAfter: '1', code: 'KEYS_UNAVAILABLE' },
  },
  { name: 'keys down, optional, no token: passes', request: () => get('/cold/optional'), expect: ok(null) },
  {
    name: 'keys down, optional, token: still 503',
    request: (p) => get('/cold/optional', bearer(p.issueToken())),
    expect: { status: 503, wwwAuthenticate: realm, retryAfter: '1', code: 'KEYS_UNAVAILABLE' },
  },
  {
    name: 'keys down, stale cache: 200',
    request: (p) => get('/stale/me', bearer(p.issueToken({ user: { id: 13 } }))),
    expect: ok(13),
    check: 'stale-event',
  },

  // CORS: no method or header lets a request skip authentication; the CORS middleware answers preflights
  {
    name: 'CORS preflight is answered by the CORS middleware mounted before plexAuth',
    request: () => preflight(`${CORS_PREFIX}/me`),
    expect: { status: 204, wwwAuthenticate: null, allowOrigin: CORS_ORIGIN, handled: false },
  },
  {
    name: 'behind the CORS middleware, an anonymous request is refused',
    request: () => get(`${CORS_PREFIX}/me`, ['origin', CORS_ORIGIN]),
    expect: { ...missing, allowOrigin: CORS_ORIGIN },
  },
  {
    name: 'behind the CORS middleware, a valid token passes',
    request: (p) => get(`${CORS_PREFIX}/me`, ['origin', CORS_ORIGIN], bearer(p.issueToken())),
    expect: { ...ok(OWNER_ID), allowOrigin: CORS_ORIGIN },
  },
  {
    name: 'a forged preflight to an OPTIONS handler is authenticated (401)',
    request: () => preflight('/me'),
    expect: missing,
  },
  {
    name: 'a forged preflight without Origin to an OPTIONS handler is authenticated (401)',
    request: () => ({
      method: 'OPTIONS',
      path: '/me',
      headers: [['access-control-request-method', 'DELETE']],
    }),
    expect: missing,
  },
  {
    name: 'a preflight-shaped OPTIONS with a valid token reaches its handler',
    request: (p) => ({
      ...preflight('/me'),
      headers: [...preflight('/me').headers!, bearer(p.issueToken())],
    }),
    expect: { status: 204, wwwAuthenticate: null },
  },
  {
    name: 'OPTIONS that is not a preflight is authenticated',
    request: () => ({ method: 'OPTIONS', path: '/me' }),
    expect: missing,
  },

  // forwardErrors: the app's own error handler answers
  {
    name: 'forwarded: missing token',
    request: () => get('/forward/me'),
    expect: { status: 401, wwwAuthenticate: realm, code: 'TOKEN_MISSING', forwarded: true },
  },
  {
    name: 'forwarded: malformed token',
    request: () => get('/forward/me', bearer('abc.def.ghi')),
    expect: {
      status: 401,
      wwwAuthenticate: invalid('The token is malformed'),
      code: 'TOKEN_MALFORMED',
      forwarded: true,
    },
  },
  {
    name: 'forwarded: scope missing',
    request: (p) => get('/forward/email', bearer(p.issueToken({ scopes: ['username'] }))),
    expect: { status: 403, wwwAuthenticate: noScope('email'), code: 'INSUFFICIENT_SCOPE', forwarded: true },
  },
  {
    name: 'forwarded: predicate throws',
    request: (p) => get('/forward/throws', bearer(p.issueToken())),
    expect: { status: 500, wwwAuthenticate: null, code: null, forwarded: true },
  },
  {
    name: 'forwarded: predicate throws undefined',
    request: (p) => get('/forward/throws-nothing', bearer(p.issueToken())),
    expect: { status: 500, wwwAuthenticate: null, code: null, forwarded: true },
  },
  {
    name: 'forwarded: predicate rejects with nothing',
    request: (p) => get('/forward/rejects-nothing', bearer(p.issueToken())),
    expect: { status: 500, wwwAuthenticate: null, code: null, forwarded: true },
  },
  {
    name: 'forwarded: valid token',
    request: (p) => get('/forward/me', bearer(p.issueToken())),
    expect: ok(OWNER_ID),
  },

  // Legacy tokens (legacyTokens: true): plex.tv's /api/v2/user vouches for them
  {
    name: 'legacy token: valid',
    request: (p) => get('/legacy/me', plexHeader(p.createLegacyToken({ accountId: FRIEND_ID }))),
    expect: { ...ok(FRIEND_ID), kind: 'legacy' },
  },
  {
    name: 'legacy token: unknown to plex.tv',
    request: () => get('/legacy/me', plexHeader('Zq8vUnknownLegacy000')),
    expect: {
      status: 401,
      wwwAuthenticate: invalid('The token was rejected by Plex'),
      code: 'TOKEN_INVALID',
    },
  },
  {
    name: 'legacy token: plex.tv down',
    request: (p) => get('/legacy/down', bearer(p.createLegacyToken())),
    expect: { status: 503, wwwAuthenticate: realm, retryAfter: '1', code: 'PLEX_UNAVAILABLE' },
  },
  {
    name: 'legacy token: refused where legacy tokens are off',
    request: (p) => get('/me', plexHeader(p.createLegacyToken())),
    expect: { status: 401, wwwAuthenticate: invalid('The token is malformed'), code: 'TOKEN_MALFORMED' },
  },
  {
    name: 'legacy tokens on: a JWT is still verified locally',
    request: (p) => get('/legacy/me', bearer(p.issueToken({ user: { id: FRIEND_ID } }))),
    expect: ok(FRIEND_ID),
  },

  // Server access: requireServerAccess / requireServerOwner
  {
    name: 'server access: a user the server is shared with',
    request: (p) => get('/access', bearer(p.issueToken({ user: { id: FRIEND_ID } }))),
    expect: { ...ok(FRIEND_ID), access: { owner: false, source: 'resources', stale: false } },
  },
  {
    name: 'server access: the owner',
    request: (p) => get('/access', bearer(p.issueToken())),
    expect: { ...ok(OWNER_ID), access: { owner: true, source: 'resources', stale: false } },
  },
  {
    name: 'server access: a user without access',
    request: (p) => get('/access', bearer(p.issueToken({ user: { id: STRANGER_ID } }))),
    expect: { status: 403, wwwAuthenticate: realm, code: 'ACCESS_DENIED' },
  },
  { name: 'server access: anonymous', request: () => get('/access'), expect: missing },
  {
    name: 'server access: a legacy token',
    request: (p) => get('/legacy/access', plexHeader(p.createLegacyToken({ accountId: FRIEND_ID }))),
    expect: { ...ok(FRIEND_ID), kind: 'legacy', access: { owner: false, source: 'resources', stale: false } },
  },
  {
    name: 'server owner: the owner',
    request: (p) => get('/access/owner', bearer(p.issueToken())),
    expect: { ...ok(OWNER_ID), access: { owner: true, source: 'resources', stale: false } },
  },
  {
    name: 'server owner: a user the server is shared with',
    request: (p) => get('/access/owner', bearer(p.issueToken({ user: { id: FRIEND_ID } }))),
    expect: { status: 403, wwwAuthenticate: realm, code: 'ACCESS_DENIED' },
  },
  {
    name: 'server access: plex.tv down, no answer known',
    request: (p) => get('/access/down', bearer(p.issueToken({ user: { id: FRIEND_ID } }))),
    expect: { status: 503, wwwAuthenticate: realm, retryAfter: '1', code: 'PLEX_UNAVAILABLE' },
  },
  {
    name: 'server access: plex.tv down, the last known answer serves',
    request: (p) => get('/access/stale', bearer(p.issueToken({ user: { id: FRIEND_ID } }))),
    expect: { ...ok(FRIEND_ID), access: { owner: false, source: 'resources', stale: true } },
  },

  // Who decides ownership (issue 11): a device list the user controls never makes them the owner
  {
    name: 'forged device list: a stranger owning a device under the server identifier is refused',
    request: (p) => get('/forged/access', bearer(p.issueToken({ user: { id: STRANGER_ID } }))),
    expect: { status: 403, wwwAuthenticate: realm, code: 'ACCESS_DENIED' },
  },
  {
    name: 'forged device list: requireServerOwner refuses the stranger',
    request: (p) => get('/forged/owner', bearer(p.issueToken({ user: { id: STRANGER_ID } }))),
    expect: { status: 403, wwwAuthenticate: realm, code: 'ACCESS_DENIED' },
  },
  {
    name: "forged device list: a friend is let in by the owner's friends list, not as an owner",
    request: (p) => get('/forged/access', bearer(p.issueToken({ user: { id: FRIEND_ID } }))),
    expect: { ...ok(FRIEND_ID), access: { owner: false, source: 'friends', stale: false } },
  },
  {
    name: 'forged device list: the owner, known by the id read with the owner token',
    request: (p) => get('/forged/owner', bearer(p.issueToken())),
    expect: { ...ok(OWNER_ID), access: { owner: true, source: 'resources', stale: false } },
  },
]
