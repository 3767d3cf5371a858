import { setImmediate as tick } from 'node:timers/promises'
import type { PlexAuthErrorCode, PlexAuthEvent, PlexAuthOptions, UserPredicate } from '@plexauth/core'
import { DEFAULT_CLIENT_IDENTIFIER, DEFAULT_USER, type FakePlex, generateEd25519Key } from '@plexauth/testing'
import type { RequestShape } from './http.js'

/**
 * The contract every adapter honours: the same request gets the same status, `WWW-Authenticate`,
 * `Retry-After` and body on every framework. `ROUTES` says what each test app serves, `CASES` what
 * each request must get back.
 */

export const OWNER_ID = DEFAULT_USER.id

/** The plexAuth configurations of a test app; each framework registers each one once. */
export type AuthName = 'main' | 'query' | 'realm' | 'forward' | 'cold' | 'coldOptional' | 'stale' | 'burst'

export interface ContractUrls {
  jwksUrl: string
  coldJwksUrl: string
  staleJwksUrl: string
  burstJwksUrl: string
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
  }
}

export type GuardSpec =
  | { kind: 'scopes'; scopes: string[] }
  | { kind: 'anyScope'; scopes: string[] }
  | { kind: 'user'; predicate: UserPredicate }

/**
 * A route of the test app. `auth: null` skips authentication (Fastify: `config: { plexAuth: false }`);
 * `optional` lets anonymous requests in (Fastify: `config: { plexAuth: 'optional' }`, elsewhere
 * `credentialsRequired: false`). The handler answers `{ route, plex }`, or 204 for `OPTIONS`.
 */
export interface RouteSpec {
  method: 'GET' | 'OPTIONS'
  path: string
  auth: AuthName | null
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

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/me', auth: 'main' },
  { method: 'OPTIONS', path: '/me', auth: 'main' },
  { method: 'GET', path: '/health', auth: null },
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
  { method: 'GET', path: '/owner', auth: 'main', guards: [{ kind: 'user', predicate: isOwner }] },
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
  { method: 'GET', path: '/cold/me', auth: 'cold' },
  { method: 'GET', path: '/cold/optional', auth: 'coldOptional' },
  { method: 'GET', path: '/stale/me', auth: 'stale' },
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

  // CORS preflight
  {
    name: 'CORS preflight passes untouched',
    request: () => ({
      method: 'OPTIONS',
      path: '/me',
      headers: [
        ['origin', 'https://app.example'],
        ['access-control-request-method', 'GET'],
      ],
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
    name: 'forwarded: valid token',
    request: (p) => get('/forward/me', bearer(p.issueToken())),
    expect: ok(OWNER_ID),
  },
]
