import { createPublicKey, verify } from 'node:crypto'
import { createPlexVerifier } from '@plexauth/core'
import { base64url, type Ed25519Key, generateEd25519Key, signJwt } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { fixedKeyPair } from '../../../test/keys/fixed-keys.js'
import { importKeySet } from '../src/keys/import-key-set.js'
import {
  CLIENT,
  expectCode,
  forbiddenFetch,
  keyRequests,
  NON_CANONICAL_POINTS,
  offCurvePoint,
  plexClaims,
  plexVerifier,
  recordEvents,
  SMALL_ORDER_POINTS,
  startPlex,
} from './helpers.js'

const IDENTITY = Buffer.from(SMALL_ORDER_POINTS['identity 0x01 00..00 (order 1)']!, 'hex')
// R = the identity point, S = 0: valid under a small-order key A whenever [h]A is the identity.
const TRIVIAL_SIGNATURE = Buffer.concat([IDENTITY, Buffer.alloc(32)])

function segment(value: unknown): string {
  return base64url(JSON.stringify(value))
}

/** A token under `kid` that OpenSSL accepts for the raw key `point`, when one can be found. */
function forge(kid: string, point: Buffer): { token: string; forged: boolean } {
  let raw: ReturnType<typeof createPublicKey> | undefined
  try {
    raw = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: point.toString('base64url') },
      format: 'jwk',
    })
  } catch {
    raw = undefined
  }
  let input = ''
  for (let i = 0; i < 256; i++) {
    input = `${segment({ kid, typ: 'JWT', alg: 'EdDSA' })}.${segment(plexClaims({ nonce: `forged-${i}` }))}`
    if (raw !== undefined && verify(null, Buffer.from(input), raw, TRIVIAL_SIGNATURE)) {
      return { token: `${input}.${TRIVIAL_SIGNATURE.toString('base64url')}`, forged: true }
    }
  }
  return { token: `${input}.${TRIVIAL_SIGNATURE.toString('base64url')}`, forged: false }
}

interface Hostile {
  name: string
  jwk: unknown
  /** A token under this member's kid, signed by its private key or forged, if one can exist. */
  token?: string
}

function signedBy(key: Ed25519Key, kid: string): string {
  return signJwt({ kid, typ: 'JWT', alg: 'EdDSA' }, plexClaims(), key)
}

function realMember(
  name: string,
  change: (jwk: Record<string, unknown>) => Record<string, unknown>,
): Hostile {
  const key = generateEd25519Key({ kid: `kid-${name.replace(/[^a-z0-9]/gi, '-')}` })
  return { name, jwk: change({ ...key.publicJwk }), token: signedBy(key, key.kid) }
}

function pointMember(name: string, point: Buffer): Hostile {
  const kid = `point-${name.replace(/[^a-z0-9]/gi, '-')}`
  return {
    name,
    jwk: { kty: 'OKP', crv: 'Ed25519', x: point.toString('base64url'), kid, use: 'sig', alg: 'EdDSA' },
    token: forge(kid, point).token,
  }
}

function hostileMembers(): Hostile[] {
  const x25519 = fixedKeyPair('x25519').publicKey.export({ format: 'jwk' })
  const ec = fixedKeyPair('ecP256').publicKey.export({ format: 'jwk' })
  const withPrivate = generateEd25519Key({ kid: 'kid-private' })
  const d = withPrivate.privateKey.export({ format: 'jwk' }).d
  const dupA = generateEd25519Key({ kid: 'kid-duplicate' })
  const dupB = generateEd25519Key({ kid: 'kid-duplicate' })
  const members: Hostile[] = [
    {
      name: 'a private key (d present)',
      jwk: { ...withPrivate.publicJwk, d },
      token: signedBy(withPrivate, 'kid-private'),
    },
    realMember('kty EC', (jwk) => ({ ...jwk, kty: 'EC' })),
    realMember('kty RSA', (jwk) => ({ ...jwk, kty: 'RSA' })),
    realMember('kty oct', (jwk) => ({ ...jwk, kty: 'oct', k: jwk.x })),
    realMember('crv Ed448', (jwk) => ({ ...jwk, crv: 'Ed448' })),
    realMember('crv X25519', (jwk) => ({ ...jwk, crv: 'X25519' })),
    realMember('missing crv', ({ crv: _crv, ...jwk }) => jwk),
    realMember('use enc', (jwk) => ({ ...jwk, use: 'enc' })),
    realMember('alg RS256', (jwk) => ({ ...jwk, alg: 'RS256' })),
    realMember('key_ops encrypt', (jwk) => ({ ...jwk, key_ops: ['encrypt'] })),
    realMember('key_ops as a string', (jwk) => ({ ...jwk, key_ops: 'verify' })),
    realMember('x with padding', (jwk) => ({ ...jwk, x: `${jwk.x}=` })),
    realMember('x one character short', (jwk) => ({ ...jwk, x: (jwk.x as string).slice(1) })),
    realMember('x one character long', (jwk) => ({ ...jwk, x: `${jwk.x}A` })),
    realMember('x in standard base64', (jwk) => ({ ...jwk, x: `+/${(jwk.x as string).slice(2)}` })),
    realMember('x with non-zero trailing bits', (jwk) => ({
      ...jwk,
      x: `${(jwk.x as string).slice(0, -1)}B`,
    })),
    realMember('x a number', (jwk) => ({ ...jwk, x: 12345 })),
    realMember('x missing', ({ x: _x, ...jwk }) => jwk),
    { name: 'an X25519 key', jwk: { ...x25519, kid: 'kid-x25519' } },
    { name: 'a P-256 key', jwk: { ...ec, kid: 'kid-p256' } },
    { name: 'a numeric kid', jwk: { ...generateEd25519Key().publicJwk, kid: 42 } },
    { name: 'an empty kid', jwk: { ...generateEd25519Key().publicJwk, kid: '' } },
    { name: 'no kid', jwk: (({ kid: _kid, ...jwk }) => jwk)(generateEd25519Key().publicJwk) },
    { name: 'a kid over 128 characters', jwk: { ...generateEd25519Key().publicJwk, kid: 'k'.repeat(129) } },
    { name: 'null', jwk: null },
    { name: 'a string', jwk: 'OKP' },
    { name: 'an array', jwk: [generateEd25519Key().publicJwk] },
    { name: 'a duplicated kid (first)', jwk: dupA.publicJwk, token: signedBy(dupA, 'kid-duplicate') },
    { name: 'a duplicated kid (second)', jwk: dupB.publicJwk, token: signedBy(dupB, 'kid-duplicate') },
    pointMember('off-curve point', offCurvePoint()),
  ]
  for (const [name, hex] of Object.entries({ ...SMALL_ORDER_POINTS, ...NON_CANONICAL_POINTS })) {
    members.push(pointMember(name, Buffer.from(hex, 'hex')))
  }
  return members
}

describe('hostile key sets: members that could verify forgeries are dropped when the set loads', () => {
  test('the premise: OpenSSL accepts a universal forgery under the identity-point key', () => {
    const { forged } = forge('premise', IDENTITY)
    expect(forged).toBe(true)
  })

  test('a served set: the good key verifies, no hostile member is ever usable, drops are reported', async () => {
    const plex = await startPlex({ keyCount: 1 })
    const hostile = hostileMembers()
    plex.setKeysResponse({
      keys: [...hostile.map((member) => member.jwk as object), plex.signingKey.publicJwk],
    })
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent, jwks: { maxKeys: 100 } })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(ofType('keys_fetched')).toEqual([
      expect.objectContaining({ keyCount: 1, dropped: hostile.length }),
    ])
    for (const member of hostile) {
      if (member.token === undefined) continue
      const err = await expectCode(verifier.verify(member.token), 'TOKEN_KEY_UNKNOWN').catch(
        (cause: unknown) => {
          throw new Error(`${member.name}: ${String(cause)}`)
        },
      )
      expect(err.code).toBe('TOKEN_KEY_UNKNOWN')
    }
    expect(keyRequests(plex)).toBe(1)
  })

  test('the small-order and identity points are refused even when they are the only keys offered', async () => {
    for (const hex of [...Object.values(SMALL_ORDER_POINTS), ...Object.values(NON_CANONICAL_POINTS)]) {
      const jwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url'), kid: 'k' }
      expect(() => createPlexVerifier({ keys: { keys: [jwk] } }), hex).toThrow(TypeError)
    }
  })

  test('a static set goes through the same filter', async () => {
    const good = generateEd25519Key()
    const hostile = hostileMembers()
    const fetch = forbiddenFetch()
    const verifier = createPlexVerifier({
      keys: { keys: [...hostile.map((member) => member.jwk as never), good.publicJwk] },
      jwks: { maxKeys: 100 },
      clientIdentifier: CLIENT,
      fetch,
    })
    await expect(verifier.verify(signedBy(good, good.kid))).resolves.toMatchObject({ kind: 'jwt' })
    for (const member of hostile) {
      if (member.token === undefined) continue
      await expectCode(verifier.verify(member.token), 'TOKEN_KEY_UNKNOWN')
    }
    expect(fetch.calls).toBe(0)
  })

  test('a served set of nothing but hostile members is a failed fetch (KEYS_UNAVAILABLE)', async () => {
    const plex = await startPlex()
    plex.setKeysResponse({ keys: hostileMembers().map((member) => member.jwk as object) })
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent, jwks: { maxKeys: 100 } })
    const err = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(err.retryAfter).toBeGreaterThanOrEqual(1)
    expect(ofType('keys_fetch_failed')).toEqual([expect.objectContaining({ reason: 'no_usable_keys' })])
  })

  test('too many keys: the whole set is refused', async () => {
    const plex = await startPlex()
    plex.fail('/api/v2/auth/keys', { tooManyKeys: 40 })
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent })
    await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(ofType('keys_fetch_failed')).toEqual([expect.objectContaining({ reason: 'too_many_keys' })])
    expect(keyRequests(plex)).toBe(1)
  })

  test('maxKeys is configurable', async () => {
    const plex = await startPlex({ keyCount: 3 })
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent, jwks: { maxKeys: 2 } })
    await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(ofType('keys_fetch_failed')).toEqual([expect.objectContaining({ reason: 'too_many_keys' })])
    const roomy = plexVerifier(plex, { jwks: { maxKeys: 3 } })
    await expect(roomy.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
  })

  test.each([
    ['not an object', [1, 2, 3]],
    ['keys not an array', { keys: { 0: {} } }],
    ['keys missing', { jwks: [] }],
  ])('a served body that is %s is a failed fetch (invalid_jwks)', async (_name, body) => {
    const plex = await startPlex()
    plex.fail('/api/v2/auth/keys', { body })
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent })
    await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(ofType('keys_fetch_failed')).toEqual([expect.objectContaining({ reason: 'invalid_jwks' })])
  })
})

describe('importKeySet: a kid shared by members drops every one of them', () => {
  test('three members under one kid beside a good key: all three dropped, the good key kept', () => {
    const good = generateEd25519Key({ kid: 'kid-good' })
    const shared = [1, 2, 3].map(() => generateEd25519Key({ kid: 'kid-shared' }).publicJwk)
    const imported = importKeySet({ keys: [shared[0], good.publicJwk, shared[1], shared[2]] }, 10)
    if (typeof imported === 'string') expect.fail(imported)
    expect([...imported.keys.keys()]).toEqual(['kid-good'])
    expect(imported.dropped).toBe(3)
    expect(imported.jwks.keys).toEqual([expect.objectContaining({ kid: 'kid-good', x: good.publicJwk.x })])
  })

  test('a 128-character kid and the alg Ed25519 (RFC 9864) are kept', () => {
    const long = generateEd25519Key({ kid: 'k'.repeat(128) })
    const fullySpecified = generateEd25519Key({ kid: 'kid-ed25519' })
    const imported = importKeySet(
      { keys: [long.publicJwk, { ...fullySpecified.publicJwk, alg: 'Ed25519' }] },
      10,
    )
    if (typeof imported === 'string') expect.fail(imported)
    expect([...imported.keys.keys()]).toEqual(['k'.repeat(128), 'kid-ed25519'])
    expect(imported.dropped).toBe(0)
  })

  test('use, alg and key_ops are optional, a key_ops listing verify is kept, and the kept members are stored complete', () => {
    const bare = generateEd25519Key({ kid: 'kid-bare' })
    const ops = generateEd25519Key({ kid: 'kid-ops' })
    const { use: _use, alg: _alg, ...bareJwk } = bare.publicJwk
    const imported = importKeySet({ keys: [bareJwk, { ...ops.publicJwk, key_ops: ['sign', 'verify'] }] }, 10)
    if (typeof imported === 'string') expect.fail(imported)
    expect([...imported.keys.keys()]).toEqual(['kid-bare', 'kid-ops'])
    expect(imported.dropped).toBe(0)
    expect(imported.jwks.keys[0]).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: bare.publicJwk.x,
      kid: 'kid-bare',
      use: 'sig',
      alg: 'EdDSA',
    })
  })

  test('a set made only of members sharing kids has no usable key', () => {
    const keys = ['a', 'a', 'b', 'b', 'b'].map((kid) => generateEd25519Key({ kid }).publicJwk)
    expect(importKeySet({ keys }, 10)).toBe('no_usable_keys')
  })
})
