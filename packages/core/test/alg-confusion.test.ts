import { createHmac, sign } from 'node:crypto'
import { base64url, generateEd25519Key } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { fixedKeyPair } from '../../../test/keys/fixed-keys.js'
import { expectCode, keyRequests, plexClaims, plexVerifier, startPlex } from './helpers.js'

function segment(value: unknown): string {
  return base64url(JSON.stringify(value))
}

function hmac(hash: 'sha256' | 'sha512', secret: string | Buffer, input: string): string {
  return createHmac(hash, secret).update(input).digest('base64url')
}

describe('alg confusion: only EdDSA is ever honoured, decided before any key lookup', () => {
  test('alg "none" is refused, with or without a signature', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const kid = plex.signingKey.kid
    const input = `${segment({ kid, alg: 'none', typ: 'JWT' })}.${segment(plexClaims())}`
    await expectCode(verifier.verify(`${input}.`), 'TOKEN_MALFORMED')
    await expectCode(verifier.verify(input), 'TOKEN_MALFORMED')
    // A real Ed25519 signature under an "alg: none" header is still refused.
    const signed = plex.signRaw(segment({ kid, alg: 'none' }), segment(plexClaims()))
    await expectCode(verifier.verify(signed), 'TOKEN_UNSUPPORTED')
    for (const alg of ['None', 'NONE', 'nOnE']) {
      const variant = plex.signRaw(segment({ kid, alg }), segment(plexClaims()))
      await expectCode(verifier.verify(variant), 'TOKEN_UNSUPPORTED')
    }
    expect(keyRequests(plex)).toBe(0)
  })

  test("HS256/HS512 signed with Plex's public key bytes are refused", async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const jwk = plex.signingKey.publicJwk
    const secrets: (string | Buffer)[] = [
      Buffer.from(jwk.x, 'base64url'),
      jwk.x,
      JSON.stringify(jwk),
      plex.signingKey.publicKey.export({ format: 'pem', type: 'spki' }) as string,
    ]
    const payload = segment(plexClaims({ user: { id: 1, uuid: 'admin' } }))
    for (const secret of secrets) {
      const hs256 = `${segment({ kid: jwk.kid, alg: 'HS256', typ: 'JWT' })}.${payload}`
      // 32-byte HMAC: not even the shape of an Ed25519 signature.
      await expectCode(verifier.verify(`${hs256}.${hmac('sha256', secret, hs256)}`), 'TOKEN_MALFORMED')
      // 64-byte HMAC: the shape fits, the algorithm does not.
      const hs512 = `${segment({ kid: jwk.kid, alg: 'HS512', typ: 'JWT' })}.${payload}`
      await expectCode(verifier.verify(`${hs512}.${hmac('sha512', secret, hs512)}`), 'TOKEN_UNSUPPORTED')
      // An HMAC under an EdDSA header is just a bad signature.
      const eddsa = `${segment({ kid: jwk.kid, alg: 'EdDSA', typ: 'JWT' })}.${payload}`
      const hs512Sig = hmac('sha512', secret, eddsa)
      expect(hs512Sig).toHaveLength(86)
      await expectCode(verifier.verify(`${eddsa}.${hs512Sig}`), 'TOKEN_SIGNATURE_INVALID')
    }
  })

  test('RS256 and ES256 headers are refused, even with a real signature of that kind', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const kid = plex.signingKey.kid
    const payload = segment(plexClaims())

    const rs = `${segment({ kid, alg: 'RS256', typ: 'JWT' })}.${payload}`
    const rsa = fixedKeyPair('rsa1024')
    const rsSig = sign('sha256', Buffer.from(rs), rsa.privateKey).toString('base64url')
    await expectCode(verifier.verify(`${rs}.${rsSig}`), 'TOKEN_MALFORMED')
    // An RS256 header over an Ed25519 signature of the right length.
    await expectCode(
      verifier.verify(plex.signRaw(segment({ kid, alg: 'RS256' }), payload)),
      'TOKEN_UNSUPPORTED',
    )

    // ES256 signatures are 64 bytes in JOSE form: the same shape as Ed25519.
    const es = `${segment({ kid, alg: 'ES256', typ: 'JWT' })}.${payload}`
    const ec = fixedKeyPair('ecP256')
    const esSig = sign('sha256', Buffer.from(es), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' })
    expect(esSig).toHaveLength(64)
    await expectCode(verifier.verify(`${es}.${esSig.toString('base64url')}`), 'TOKEN_UNSUPPORTED')
    await expectCode(
      verifier.verify(plex.signRaw(segment({ kid, alg: 'ES256' }), payload)),
      'TOKEN_UNSUPPORTED',
    )
    expect(keyRequests(plex)).toBe(0)
  })

  test.each([
    ['lower-case eddsa', { alg: 'eddsa' }],
    ['upper-case EDDSA', { alg: 'EDDSA' }],
    ['Ed25519', { alg: 'Ed25519' }],
    ['Ed448', { alg: 'Ed448' }],
    ['a trailing space', { alg: 'EdDSA ' }],
    ['an array', { alg: ['EdDSA'] }],
    ['missing alg', {}],
    ['null alg', { alg: null }],
  ])('alg %s is TOKEN_UNSUPPORTED', async (_name, alg) => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const token = plex.signRaw(segment({ kid: plex.signingKey.kid, ...alg }), segment(plexClaims()))
    await expectCode(verifier.verify(token), 'TOKEN_UNSUPPORTED')
    expect(keyRequests(plex)).toBe(0)
  })

  test('header members that would change what is trusted are never honoured', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const attacker = generateEd25519Key()
    const base = { kid: attacker.kid, typ: 'JWT', alg: 'EdDSA' }
    const hostile: Record<string, unknown>[] = [
      { jwk: attacker.publicJwk },
      { jku: `${plex.url}/evil/keys` },
      { x5u: 'https://evil.example/cert.pem' },
      { x5c: ['MIIB'] },
      { x5t: 'abc' },
      { 'x5t#S256': 'abc' },
      { crit: ['exp'] },
      { crit: [] },
      { b64: false, crit: ['b64'] },
      { b64: true },
      { zip: 'DEF' },
      { enc: 'A256GCM' },
      { cty: 'JWT' },
    ]
    for (const extra of hostile) {
      // Signed by the attacker, naming the attacker's key inline or remotely.
      const token = plex.sign({ ...base, ...extra }, plexClaims(), { signWith: attacker })
      await expectCode(verifier.verify(token), 'TOKEN_UNSUPPORTED')
      // Even a token Plex really signed is refused with such a header.
      const real = plex.sign({ ...base, kid: plex.signingKey.kid, ...extra }, plexClaims())
      await expectCode(verifier.verify(real), 'TOKEN_UNSUPPORTED')
    }
    expect(plex.requests()).toBe(0)
  })

  test.each([
    ['JWE', { typ: 'JWE' }],
    ['at+jwt', { typ: 'at+jwt' }],
    ['a number', { typ: 1 }],
  ])('typ %s is TOKEN_UNSUPPORTED', async (_name, typ) => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const token = plex.sign({ kid: plex.signingKey.kid, alg: 'EdDSA', ...typ }, plexClaims())
    await expectCode(verifier.verify(token), 'TOKEN_UNSUPPORTED')
  })

  test('an EdDSA token Plex signed verifies with typ JWT, jwt or absent', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    for (const typ of [{ typ: 'JWT' }, { typ: 'jwt' }, {}]) {
      const token = plex.sign({ kid: plex.signingKey.kid, alg: 'EdDSA', ...typ }, plexClaims())
      await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'jwt' })
    }
    expect(keyRequests(plex)).toBe(1)
  })
})
