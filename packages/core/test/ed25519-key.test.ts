import { sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ed25519KeyPairFromSeed, generateEd25519KeyPair } from '../src/jwt/ed25519-key.js'

describe('generateEd25519KeyPair', () => {
  it('makes an Ed25519 pair whose public half checks what the private half signs', () => {
    const { privateKey, publicKey } = generateEd25519KeyPair()
    expect(privateKey.asymmetricKeyType).toBe('ed25519')
    expect(privateKey.type).toBe('private')
    expect(publicKey.asymmetricKeyType).toBe('ed25519')
    expect(publicKey.type).toBe('public')
    const data = Buffer.from('header.payload')
    const signature = sign(null, data, privateKey)
    expect(verify(null, data, publicKey, signature)).toBe(true)
    expect(verify(null, Buffer.from('header.payloaD'), publicKey, signature)).toBe(false)
  })

  it('exports JWKs whose halves match', () => {
    const { privateKey, publicKey } = generateEd25519KeyPair()
    const pub = publicKey.export({ format: 'jwk' })
    const priv = privateKey.export({ format: 'jwk' })
    expect(pub).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[\w-]{43}$/) })
    expect(priv.x).toBe(pub.x)
    expect(priv.d).toMatch(/^[\w-]{43}$/)
  })

  it('makes a new key every time', () => {
    const seeds = new Set(
      Array.from({ length: 50 }, () => generateEd25519KeyPair().privateKey.export({ format: 'jwk' }).d),
    )
    expect(seeds.size).toBe(50)
  })
})

describe('ed25519KeyPairFromSeed', () => {
  it("is RFC 8032's key of a seed (test vector 1), and leaves the seed as it was", () => {
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex')
    const { privateKey, publicKey } = ed25519KeyPairFromSeed(seed)
    const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex')
    expect(x).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
    expect(Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').equals(seed)).toBe(true)
    expect(seed.toString('hex')).toBe('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
  })
})
