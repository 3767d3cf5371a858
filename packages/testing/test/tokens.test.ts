import { verify } from 'node:crypto'
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import {
  base64url,
  createFakePlex,
  DEFAULT_CLIENT_IDENTIFIER,
  DEFAULT_THUMBPRINT,
  DEFAULT_USER,
  type FakePlex,
  generateEd25519Key,
  PLEX_TOKEN_LIFETIME,
} from '../src/index.js'

const verifyOptions: JWTVerifyOptions = {
  algorithms: ['EdDSA'],
  issuer: 'plex.tv',
  audience: DEFAULT_CLIENT_IDENTIFIER,
}

let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(async () => {
  vi.useRealTimers()
  await plex.close()
})

const remoteKeys = () => createRemoteJWKSet(new URL(plex.jwksUrl))

describe('issueToken', () => {
  test('verifies with jose against the served key set', async () => {
    const { payload, protectedHeader } = await jwtVerify(plex.issueToken(), remoteKeys(), verifyOptions)
    expect(protectedHeader.kid).toBe(plex.signingKey.kid)
    expect(payload.user).toMatchObject({ id: DEFAULT_USER.id })
  })

  test('has the header of a real Plex token, members in Plex order', () => {
    const header = decodeProtectedHeader(plex.issueToken())
    expect(Object.entries(header)).toEqual([
      ['kid', plex.signingKey.kid],
      ['typ', 'JWT'],
      ['alg', 'EdDSA'],
    ])
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  test('has the claims of a real Plex token, user fields following the default scopes', () => {
    // Fake time: iat is exactly the clock's second, not a window around the wall clock.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 0, 2, 3, 4, 5, 678) })
    const now = Date.UTC(2026, 0, 2, 3, 4, 5) / 1000
    const claims = decodeJwt(plex.issueToken())
    expect(claims).toEqual({
      iss: 'plex.tv',
      aud: ['plex.tv', 'plexauth-test-app'],
      iat: expect.any(Number),
      exp: expect.any(Number),
      thumbprint: DEFAULT_THUMBPRINT,
      nonce: expect.stringMatching(/^[0-9a-f-]{36}$/),
      user: {
        id: 123456,
        uuid: DEFAULT_USER.uuid,
        username: 'plexuser',
        email: 'plexuser@example.com',
        friendly_name: 'Plex User',
      },
    })
    expect(claims.iat).toBe(now)
    expect(claims.exp).toBe(now + PLEX_TOKEN_LIFETIME)
    expect(DEFAULT_THUMBPRINT).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  test('scopes choose the user fields; user overrides are always present', () => {
    expect(decodeJwt(plex.issueToken({ scopes: ['restricted', 'joinedAt'] })).user).toEqual({
      id: 123456,
      uuid: DEFAULT_USER.uuid,
      restricted: false,
      joinedAt: DEFAULT_USER.joinedAt,
    })
    expect(decodeJwt(plex.issueToken({ scopes: [], user: { id: 7, anonymous: true } })).user).toEqual({
      id: 7,
      uuid: DEFAULT_USER.uuid,
      anonymous: true,
    })
    expect(decodeJwt(plex.issueToken({ user: { email: undefined } })).user).not.toHaveProperty('email')
  })

  test('the account of createFakePlex is the default user', async () => {
    await using other = await createFakePlex({ user: { id: 99, username: 'bob' } })
    expect(decodeJwt(other.issueToken()).user).toMatchObject({
      id: 99,
      username: 'bob',
      email: DEFAULT_USER.email,
    })
  })

  test('clientIdentifier, issuedAt and expiresIn set aud, iat and exp', () => {
    const claims = decodeJwt(plex.issueToken({ clientIdentifier: 'my-app', issuedAt: 1_000, expiresIn: 60 }))
    expect(claims).toMatchObject({ aud: ['plex.tv', 'my-app'], iat: 1_000, exp: 1_060 })
  })

  test('iat follows Date.now(), so fake timers apply', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
    expect(decodeJwt(plex.issueToken()).iat).toBe(1_893_456_000)
  })

  test('claims are merged last and undefined deletes one', () => {
    const claims = decodeJwt(
      plex.issueToken({ claims: { iss: 'https://plex.tv', nonce: undefined, scope: 'x' } }),
    )
    expect(claims.iss).toBe('https://plex.tv')
    expect(claims.scope).toBe('x')
    expect(claims).not.toHaveProperty('nonce')
  })

  test('header members can be replaced, added and deleted', () => {
    const header = decodeProtectedHeader(
      plex.issueToken({ header: { kid: undefined, typ: 'at+jwt', x5u: 'u' } }),
    )
    expect(header).toEqual({ typ: 'at+jwt', alg: 'EdDSA', x5u: 'u' })
  })

  test('kid signs with an older key, which still verifies while published', async () => {
    const old = plex.signingKey.kid
    plex.rotateKeys()
    const token = plex.issueToken({ kid: old })
    expect(decodeProtectedHeader(token).kid).toBe(old)
    await expect(jwtVerify(token, remoteKeys(), verifyOptions)).resolves.toBeDefined()
    expect(() => plex.issueToken({ kid: 'unknown' })).toThrow(/no key with kid/)
  })

  test('signWith produces a bad signature under the genuine kid', async () => {
    const token = plex.issueToken({ signWith: generateEd25519Key() })
    expect(decodeProtectedHeader(token).kid).toBe(plex.signingKey.kid)
    await expect(jwtVerify(token, remoteKeys(), verifyOptions)).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    )
  })
})

describe('sign and signRaw', () => {
  test('sign serializes exactly what it is given', () => {
    const token = plex.sign({ alg: 'none' }, { a: 1 })
    const [header, payload] = token.split('.')
    expect(header).toBe(base64url('{"alg":"none"}'))
    expect(payload).toBe(base64url('{"a":1}'))
  })

  test('signRaw signs arbitrary parts with the signing key or a chosen one', () => {
    const key = generateEd25519Key()
    for (const [token, publicKey] of [
      [plex.signRaw('e30', 'bm90IGpzb24'), plex.signingKey.publicKey],
      [plex.signRaw('e30', 'bm90IGpzb24', { signWith: key }), key.publicKey],
    ] as const) {
      const [header, payload, signature] = token.split('.')
      expect(`${header}.${payload}`).toBe('e30.bm90IGpzb24')
      expect(
        verify(null, Buffer.from('e30.bm90IGpzb24'), publicKey, Buffer.from(signature!, 'base64url')),
      ).toBe(true)
    }
  })
})

describe('generateEd25519Key', () => {
  test('kid is the RFC 7638 thumbprint, or the one asked for', async () => {
    const key = generateEd25519Key()
    expect(key.kid).toBe(await calculateJwkThumbprint(key.publicJwk))
    expect(key.publicJwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.any(String),
      kid: key.kid,
      use: 'sig',
      alg: 'EdDSA',
    })
    expect(generateEd25519Key({ kid: 'device-1' }).publicJwk.kid).toBe('device-1')
  })

  test('base64url encodes strings and bytes without padding', () => {
    expect(base64url('??>')).toBe('Pz8-')
    expect(base64url(new Uint8Array([255, 255]))).toBe('__8')
  })
})
