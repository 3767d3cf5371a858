const ALPHABET = /^[A-Za-z0-9_-]*$/
const LAST_CHAR_2 = /[AEIMQUYcgkosw048]$/
const LAST_CHAR_4 = /[AQgw]$/

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

const VALUES = new Uint8Array(128)
for (let i = 0; i < 64; i++) {
  VALUES['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i
}

export function decodeBase64url(s: string): Buffer {
  const length = s.length
  const out = Buffer.allocUnsafe((length * 3) >>> 2)
  const full = length - (length % 4)
  let o = 0
  let i = 0
  for (; i < full; i += 4) {
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
    let n = (VALUES[s.charCodeAt(i)]! << 18) | (VALUES[s.charCodeAt(i + 1)]! << 12)
    if (i + 2 < length) n |= VALUES[s.charCodeAt(i + 2)]! << 6
    out[o++] = n >>> 16
    if (i + 2 < length) out[o++] = (n >>> 8) & 0xff
  }
  return out
}
