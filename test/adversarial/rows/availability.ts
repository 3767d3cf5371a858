import type { PlexAuthOptions } from '@plexauth/core/adapter'
import {
  DEFAULT_CLIENT_IDENTIFIER,
  type FailureMode,
  generateEd25519Key,
  PLEX_PATHS,
} from '@plexauth/testing'
import { expect } from 'vitest'
import {
  type Env,
  KEY_UNKNOWN,
  OK,
  type Phase,
  type Req,
  type Row,
  type RowRun,
  UNAVAILABLE,
  withBearer,
} from '../support.js'

const group = 'availability'
const KEYS = PLEX_PATHS.keys

/** Options of a route on the row's own plex.tv. */
const own =
  (jwks: PlexAuthOptions['jwks'] = {}) =>
  ({ own }: Env): PlexAuthOptions => ({
    jwksUrl: own.jwksUrl,
    clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
    jwks,
  })

/** `count` tokens, each under a kid of its own that no key set holds. */
function unknownKids(env: Env, count: number): Req[] {
  return Array.from({ length: count }, () => {
    const key = generateEd25519Key()
    return withBearer(env.own.issueToken({ signWith: key, header: { kid: key.kid } }))
  })
}

const warm: readonly Phase[] = [{ send: ({ own }) => withBearer(own.issueToken()), expect: OK }]

function reasons(run: RowRun) {
  return run.events.flatMap(({ event }) => (event.type === 'keys_fetch_failed' ? [event.reason] : []))
}

/** A cold route whose key endpoint misbehaves as `mode`: 503 with Retry-After, then the app still works. */
function coldFailure(name: string, mode: FailureMode, reason: string, timeout = 5): Row {
  return {
    group,
    name,
    ownPlex: true,
    route: own({ timeout }),
    setup: ({ own }) => own.fail(KEYS, mode),
    send: ({ own }) => withBearer(own.issueToken()),
    expect: UNAVAILABLE,
    parallel: true,
    check: (_env, run) => expect(reasons(run)).toEqual(Array(run.frameworks).fill(reason)),
    teardown: ({ own }) => own.recover(),
  }
}

export const availabilityRows: Row[] = [
  {
    group,
    name: 'stampede: 30 concurrent requests on a cold cache share one slow fetch',
    ownPlex: true,
    route: own(),
    setup: ({ own }) => own.fail(KEYS, { delayMs: 100 }),
    send: ({ own }) =>
      Array.from({ length: 30 }, (_, i) => withBearer(own.issueToken({ claims: { nonce: `s${i}` } }))),
    expect: OK,
    parallel: true,
    check: (_env, run) => expect(run.keyFetches.own).toBe(run.frameworks),
  },
  {
    group,
    name: 'kid flood on a warm cache: no fetch within the cooldown, one after it',
    parallel: true,
    ownPlex: true,
    route: own(),
    phases: [
      ...warm,
      { send: (env) => unknownKids(env, 20), expect: KEY_UNKNOWN },
      { before: (env) => env.advance(31), send: (env) => unknownKids(env, 20), expect: KEY_UNKNOWN },
    ],
    // The warm-up fetch, then exactly one refetch for the second flood.
    check: (_env, run) => expect(run.keyFetches.own).toBe(2 * run.frameworks),
  },
  {
    group,
    name: 'kid flood on a cold cache: one fetch',
    parallel: true,
    ownPlex: true,
    route: own(),
    send: (env) => unknownKids(env, 20),
    expect: KEY_UNKNOWN,
    check: (_env, run) => expect(run.keyFetches.own).toBe(run.frameworks),
  },
  {
    group,
    name: 'kid flood with no cooldown while the endpoint is down: the backoff holds',
    ownPlex: true,
    route: own({ cooldown: 0 }),
    phases: [
      ...warm,
      {
        before: ({ own }) => own.fail(KEYS, 'down'),
        send: (env) => unknownKids(env, 20),
        expect: KEY_UNKNOWN,
      },
      { send: (env) => unknownKids(env, 20), expect: KEY_UNKNOWN },
      { send: ({ own }) => withBearer(own.issueToken()), expect: OK },
    ],
    check: (_env, run) => {
      expect(run.keyFetches.own).toBe(2 * run.frameworks)
      expect(reasons(run)).toEqual(Array(run.frameworks).fill('network'))
    },
  },
  {
    group,
    name: 'outage with fresh keys: tokens keep verifying, nothing waits',
    ownPlex: true,
    route: own(),
    phases: [
      ...warm,
      {
        before: (env) => {
          env.own.fail(KEYS, 'down')
          env.advance(60)
        },
        send: ({ own }) => withBearer(own.issueToken()),
        expect: OK,
      },
    ],
    check: (_env, run) => expect(run.keyFetches.own).toBe(run.frameworks),
  },
  {
    group,
    name: 'stale keys: past maxAge with the endpoint down, the cached keys still serve',
    ownPlex: true,
    route: own({ maxAge: 60 }),
    phases: [
      ...warm,
      {
        before: (env) => {
          env.own.fail(KEYS, 'down')
          env.advance(90)
        },
        send: ({ own }) => withBearer(own.issueToken()),
        expect: OK,
      },
    ],
    check: (_env, run) => {
      expect(run.events.filter(({ event }) => event.type === 'keys_stale')).toHaveLength(run.frameworks)
    },
  },
  {
    group,
    name: 'outage beyond staleIfError: 503 with Retry-After',
    ownPlex: true,
    route: own({ maxAge: 60, staleIfError: 60 }),
    phases: [
      ...warm,
      {
        before: (env) => {
          env.own.fail(KEYS, 'down')
          env.advance(121)
        },
        send: ({ own }) => withBearer(own.issueToken()),
        expect: UNAVAILABLE,
      },
    ],
  },
  {
    group,
    name: 'startup with the key endpoint down: 503, then tokens verify once it is back',
    ownPlex: true,
    route: own(),
    setup: ({ own }) => own.fail(KEYS, 'down'),
    phases: [
      { send: ({ own }) => withBearer(own.issueToken()), expect: UNAVAILABLE },
      // Within the backoff nothing is fetched, even with the endpoint back.
      {
        before: ({ own }) => own.recover(),
        send: ({ own }) => withBearer(own.issueToken()),
        expect: UNAVAILABLE,
      },
      { before: (env) => env.advance(1), send: ({ own }) => withBearer(own.issueToken()), expect: OK },
    ],
    check: (_env, run) => expect(run.keyFetches.own).toBe(2 * run.frameworks),
  },
  {
    group,
    name: 'revocation lag: a removed key verifies until the refresh that follows 80% of maxAge lands',
    ownPlex: true,
    route: own({ maxAge: 100 }),
    phases: [
      ...warm,
      {
        // Plex withdraws its signing key (the fake still signs with it).
        before: ({ own }) => {
          own.removeKey(own.signingKey.kid)
        },
        send: ({ own }) => withBearer(own.issueToken()),
        expect: OK,
      },
      {
        // At 80% of maxAge the request still gets the cached key and starts a refresh in the background.
        before: (env) => env.advance(80),
        send: ({ own }) => withBearer(own.issueToken()),
        expect: OK,
      },
      {
        before: (env) => env.until(() => fetchedOn(env, 2)),
        send: ({ own }) => withBearer(own.issueToken()),
        expect: KEY_UNKNOWN,
      },
    ],
  },
  coldFailure('a key endpoint that hangs', 'hang', 'timeout', 0.2),
  coldFailure('a key endpoint that drips one byte every 100 ms', { dripMs: 100 }, 'timeout', 0.2),
  coldFailure('a key endpoint whose headers come late', { delayMs: 1000 }, 'timeout', 0.2),
  coldFailure('a gzip bomb (20 MB inflated)', { gzipBomb: 20_000_000 }, 'too_large'),
  coldFailure('a huge key set body (2 MB)', { hugeBytes: 2_000_000 }, 'too_large'),
  coldFailure('a redirect to another host', { redirect: 'https://attacker.example/keys' }, 'redirect'),
  coldFailure('a body that is not JSON', 'garbage', 'invalid_json'),
  coldFailure('HTTP 500', { status: 500 }, 'status'),
]

/** True once every framework's verifier of the current row has installed `count` key sets. */
function fetchedOn(env: Env, count: number): boolean {
  const installed = new Map<string, number>()
  for (const { framework, event } of env.rowEvents()) {
    if (event.type === 'keys_fetched') installed.set(framework, (installed.get(framework) ?? 0) + 1)
  }
  return [...installed.values()].filter((n) => n >= count).length === env.frameworks
}
