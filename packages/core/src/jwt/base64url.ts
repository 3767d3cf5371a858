const ALPHABET = /^[A-Za-z0-9_-]*$/
// The last character of an unpadded segment may only use its high bits; these sets list, by the
// number of bits that must be zero, the characters whose low bits are zero.
const LAST_CHAR_2 = /[AEIMQUYcgkosw048]$/
const LAST_CHAR_4 = /[AQgw]$/

/**
 * True when `s` is canonical unpadded base64url: the only form a Plex token or key uses. Rejects
 * padding, other alphabets, impossible lengths and non-zero trailing bits, so one value has one spelling.
 */
export function isCanonicalBase64url(s: string): boolean {
  if (!ALPHABET.test(s)) return false
  switch (s.length % 4) {
    case 0:
      return true
    case 2:
      return LAST_CHAR_4.test(s)
    case 3:
      return LAST_CHAR_2.test(s)
    default:
      return false
  }
}

// Value of each base64url character, by character code.
const VALUES = new Uint8Array(128)
for (let i = 0; i < 64; i++) {
  VALUES['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i
}

/**
 * Decodes base64url already checked by `isCanonicalBase64url` (anything else decodes to garbage).
 *
 * Plain JavaScript on purpose: `Buffer.from(s, 'base64url')` is faster by itself, but on CPUs with
 * AVX-512 its SIMD decoder slows the Ed25519 check that follows by about 7 % (measured with
 * `pnpm bench`, see BENCHMARKS.md), far more than this loop costs.
 */
export function decodeBase64url(s: string): Buffer {
  const length = s.length
  const out = Buffer.allocUnsafe((length * 3) >>> 2)
  const whole = length - (length % 4)
  let o = 0
  let i = 0
  for (; i < whole; i += 4) {
    const n =
      (VALUES[s.charCodeAt(i)]! << 18) |
      (VALUES[s.charCodeAt(i + 1)]! << 12) |
      (VALUES[s.charCodeAt(i + 2)]! << 6) |
      VALUES[s.charCodeAt(i + 3)]!
    out[o++] = n >>> 16
    out[o++] = (n >>> 8) & 0xff
    out[o++] = n & 0xff
  }
  if (i < length) {
    // 2 or 3 characters left: 1 or 2 bytes.
    let n = (VALUES[s.charCodeAt(i)]! << 18) | (VALUES[s.charCodeAt(i + 1)]! << 12)
    if (i + 2 < length) n |= VALUES[s.charCodeAt(i + 2)]! << 6
    out[o++] = n >>> 16
    if (i + 2 < length) out[o] = (n >>> 8) & 0xff
  }
  return out
}
