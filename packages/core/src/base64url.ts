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

/** Decodes base64url already checked by `isCanonicalBase64url`. */
export function decodeBase64url(s: string): Buffer {
  return Buffer.from(s, 'base64url')
}
