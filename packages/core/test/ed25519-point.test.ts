import { generateEd25519Key } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { isCanonicalSignature, isStrongEd25519PublicKey } from '../src/jwt/ed25519-point.js'
import { NON_CANONICAL_POINTS, offCurvePoint, SMALL_ORDER_POINTS } from './helpers.js'

const L = 2n ** 252n + 27742317777372353535851937790883648493n

function scalar(n: bigint): Buffer {
  const out = Buffer.alloc(32)
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn)
  return out
}

describe('isStrongEd25519PublicKey', () => {
  test('accepts real public keys', () => {
    for (let i = 0; i < 50; i++) {
      expect(isStrongEd25519PublicKey(Buffer.from(generateEd25519Key().publicJwk.x, 'base64url'))).toBe(true)
    }
  })

  test.each(Object.entries(SMALL_ORDER_POINTS))('refuses the small-order point %s', (_name, hex) => {
    expect(isStrongEd25519PublicKey(Buffer.from(hex, 'hex'))).toBe(false)
  })

  test.each(Object.entries(NON_CANONICAL_POINTS))('refuses the non-canonical encoding %s', (_name, hex) => {
    expect(isStrongEd25519PublicKey(Buffer.from(hex, 'hex'))).toBe(false)
  })

  test('refuses a point off the curve and wrong lengths', () => {
    expect(isStrongEd25519PublicKey(offCurvePoint())).toBe(false)
    const good = Buffer.from(generateEd25519Key().publicJwk.x, 'base64url')
    expect(isStrongEd25519PublicKey(good.subarray(0, 31))).toBe(false)
    expect(isStrongEd25519PublicKey(Buffer.concat([good, Buffer.alloc(1)]))).toBe(false)
  })
})

describe('isCanonicalSignature', () => {
  const r = Buffer.alloc(32, 7)
  test.each([
    ['S = 0', 0n, true],
    ['S = L - 1', L - 1n, true],
    ['S = 2^252', 2n ** 252n, true],
    ['S = L', L, false],
    ['S = L + 1', L + 1n, false],
    ['S = 2^253', 2n ** 253n, false],
    ['S = 2^256 - 1', 2n ** 256n - 1n, false],
  ])('%s → %s', (_name, s, expected) => {
    expect(isCanonicalSignature(Buffer.concat([r, scalar(s)]))).toBe(expected)
  })

  test('needs exactly 64 bytes', () => {
    expect(isCanonicalSignature(Buffer.alloc(63))).toBe(false)
    expect(isCanonicalSignature(Buffer.alloc(65))).toBe(false)
  })
})
