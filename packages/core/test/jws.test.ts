import { describe, expect, test } from 'vitest'
import { fixedKeyPair } from '../../../test/keys/fixed-keys.js'
import { generateEd25519KeyPair } from '../src/jwt/ed25519-key.js'
import {
  decodeJws,
  jwsAlgorithmOf,
  signDeviceJwt,
  signJws,
  signJwsParts,
  verifyDeviceJwt,
  verifyJws,
} from '../src/jwt/jws.js'

// One way to sign and check JWTs across plexauth's packages (core's sign-in, the client, the fake plex.tv).
const ed = generateEd25519KeyPair()
const rsa = fixedKeyPair('rsa2048')
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

describe('signJws / verifyJws', () => {
  test.each([
    ['EdDSA', ed],
    ['RS256', rsa],
  ] as const)(
    '%s: the key decides the algorithm; a token verifies under its public key only',
    (alg, pair) => {
      expect(jwsAlgorithmOf(pair.privateKey)).toBe(alg)
      const token = signJws({ alg, kid: 'k' }, { iss: 'plex.tv' }, pair.privateKey)
      expect(verifyJws(token, pair.publicKey)).toEqual({
        header: { alg, kid: 'k' },
        payload: { iss: 'plex.tv' },
      })
      const other = alg === 'EdDSA' ? generateEd25519KeyPair() : fixedKeyPair('rsa2048Other')
      expect(verifyJws(token, other.publicKey)).toBeUndefined()
    },
  )

  test('the header alg must be the key’s own: no algorithm confusion', () => {
    expect(verifyJws(signJws({ alg: 'RS256' }, {}, ed.privateKey), ed.publicKey)).toBeUndefined()
    expect(verifyJws(signJws({ alg: 'EdDSA' }, {}, rsa.privateKey), rsa.publicKey)).toBeUndefined()
    expect(verifyJws(signJws({ alg: 'none' }, {}, ed.privateKey), ed.publicKey)).toBeUndefined()
  })

  test('a crit extension, a changed payload or a malformed token does not verify', () => {
    expect(
      verifyJws(signJws({ alg: 'EdDSA', crit: ['b64'] }, {}, ed.privateKey), ed.publicKey),
    ).toBeUndefined()
    const [head, , signature] = signJws({ alg: 'EdDSA' }, { admin: false }, ed.privateKey).split('.')
    expect(verifyJws(`${head}.${b64({ admin: true })}.${signature}`, ed.publicKey)).toBeUndefined()
    for (const bad of ['', 'a.b', 'a.b.c.d', `${head}..${signature}`, `${head}.${b64([1])}.${signature}`]) {
      expect(verifyJws(bad, ed.publicKey), bad).toBeUndefined()
    }
    // Characters outside base64url, which Buffer's decoder would skip, even under a valid signature.
    const prefixed = signJwsParts(`!${b64({ alg: 'EdDSA' })}`, b64({}), ed.privateKey)
    expect(verifyJws(prefixed, ed.publicKey)).toBeUndefined()
    expect(decodeJws(prefixed)).toBeUndefined()
    // A fourth segment.
    expect(decodeJws(`${signJws({ alg: 'EdDSA' }, {}, ed.privateKey)}.${signature}`)).toBeUndefined()
  })

  test('signJwsParts signs the parts as given, even when they are not JSON', () => {
    const token = signJwsParts(
      b64({ alg: 'EdDSA' }),
      Buffer.from('not json').toString('base64url'),
      ed.privateKey,
    )
    expect(token.split('.')).toHaveLength(3)
    expect(decodeJws(token)).toBeUndefined()
    expect(() => signJwsParts('a', 'b', fixedKeyPair('x25519').privateKey)).toThrow(TypeError)
  })
})

describe('device JWTs', () => {
  const now = Date.parse('2026-06-01T00:00:00Z')
  const claims = { clientIdentifier: 'my-app', scopes: ['username', 'email'], nonce: 'n-1' }

  test.each([
    ['EdDSA', ed],
    ['RS256', rsa],
  ] as const)('%s: signed as plex.tv documents, checked as plex.tv checks', (alg, pair) => {
    const jwt = signDeviceJwt(pair.privateKey, 'kid-1', claims, now)
    expect(decodeJws(jwt)).toEqual({
      header: { kid: 'kid-1', alg, typ: 'JWT' },
      payload: {
        nonce: 'n-1',
        scope: 'username,email',
        aud: 'plex.tv',
        iss: 'my-app',
        iat: now / 1000,
        exp: now / 1000 + 300,
      },
    })
    expect(verifyDeviceJwt(jwt, pair.publicKey, 'my-app', now)).toMatchObject({ nonce: 'n-1' })
    expect(verifyDeviceJwt(jwt, pair.publicKey, 'other-app', now)).toBeUndefined()
    expect(verifyDeviceJwt(jwt, pair.publicKey, 'my-app', now + 300_000)).toBeUndefined()
  })

  test('iat is the current second, rounded down; exp follows it by 300 seconds', () => {
    const payload = decodeJws(signDeviceJwt(ed.privateKey, 'k', claims, now + 999))?.payload
    expect(payload).toMatchObject({ iat: now / 1000, exp: now / 1000 + 300 })
  })

  test('without a nonce (PIN polling), a random one', () => {
    const first = decodeJws(signDeviceJwt(ed.privateKey, 'k', { ...claims, nonce: undefined }))?.payload.nonce
    const second = decodeJws(signDeviceJwt(ed.privateKey, 'k', { ...claims, nonce: undefined }))?.payload
      .nonce
    expect(first).toMatch(/^[0-9a-f-]{36}$/)
    expect(second).not.toBe(first)
  })

  test('aud may be a list holding plex.tv; iat and exp must be numbers', () => {
    const sign = (payload: object) => signJws({ alg: 'EdDSA' }, payload, ed.privateKey)
    const base = { iss: 'my-app', iat: now / 1000, exp: now / 1000 + 60 }
    expect(
      verifyDeviceJwt(sign({ ...base, aud: ['x', 'plex.tv'] }), ed.publicKey, 'my-app', now),
    ).toBeDefined()
    expect(verifyDeviceJwt(sign({ ...base, aud: 'x' }), ed.publicKey, 'my-app', now)).toBeUndefined()
    expect(
      verifyDeviceJwt(sign({ ...base, aud: 'plex.tv', iat: '1' }), ed.publicKey, 'my-app', now),
    ).toBeUndefined()
    expect(
      verifyDeviceJwt(sign({ ...base, aud: 'plex.tv', exp: undefined }), ed.publicKey, 'my-app', now),
    ).toBeUndefined()
  })
})
