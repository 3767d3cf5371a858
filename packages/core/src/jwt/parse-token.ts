import { PlexAuthError } from '../lib/errors.js'
import { decodeBase64url, isCanonicalBase64url } from './base64url.js'
import { isCanonicalSignature } from './ed25519-point.js'

/** The most characters a key id may have; Plex's are 43. */
export const MAX_KID_LENGTH = 128

/** Longest token accepted, in characters. Real Plex JWTs are under 1 KiB. */
export const MAX_TOKEN_LENGTH = 8192

// An Ed25519 signature is 64 bytes: 86 base64url characters.
const SIGNATURE_LENGTH = 86

// Header members that would make a verifier trust something other than Plex's published keys,
// or change how the payload is read. Plex never sends them.
const FORBIDDEN_HEADER_MEMBERS = [
  'crit',
  'b64',
  'jwk',
  'jku',
  'x5u',
  'x5c',
  'x5t',
  'x5t#S256',
  'zip',
  'enc',
  'cty',
]

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The parts of a compact JWS that passed the structural checks. */
export interface ParsedToken {
  kid: string
  signingInput: Buffer
  signature: Buffer
  payloadSegment: string
}

/**
 * True when an object in `text` (valid JSON) names a member twice. JSON.parse silently keeps the last
 * one where other parsers keep the first, so such a header or payload could mean two things. One pass,
 * no recursion; it only runs when a token is verified for the first time.
 */
function repeatsMemberName(text: string): boolean {
  // The member names of each open object; null for an open array.
  const open: (Set<string> | null)[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x7b) open.push(new Set())
    else if (c === 0x5b) open.push(null)
    else if (c === 0x7d || c === 0x5d) open.pop()
    else if (c === 0x22) {
      const start = i
      let escaped = false
      for (i++; text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c) {
          escaped = true
          i++
        }
      }
      const names = open[open.length - 1]
      if (names === null || names === undefined) continue
      let next = i + 1
      while (text.charCodeAt(next) <= 0x20) next++
      // A string followed by ":" is a member name; "\u0069ss" and "iss" are the same name.
      if (text.charCodeAt(next) !== 0x3a) continue
      const name = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i)
      if (names.has(name)) return true
      names.add(name)
    }
  }
  return false
}

/** Decodes one JSON segment; anything but a JSON object, or an object naming a member twice, is malformed. */
export function decodeJsonObject(segment: string): Record<string, unknown> {
  let text = ''
  let value: unknown
  try {
    text = utf8.decode(decodeBase64url(segment))
    value = JSON.parse(text)
  } catch {
    // No cause: a JSON SyntaxError quotes the decoded token text, and causes end up in logs.
    throw new PlexAuthError('TOKEN_MALFORMED')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || repeatsMemberName(text)) {
    throw new PlexAuthError('TOKEN_MALFORMED')
  }
  return value as Record<string, unknown>
}

/**
 * Checks the compact form strictly before anything is decoded: three canonical base64url segments,
 * a 64-byte signature, a size cap; then the header: `alg` EdDSA, a string `kid`, no member that would
 * change what is trusted; then that the signature is canonical (`S < L`). Nothing here touches keys or
 * the network.
 */
export function parseToken(token: unknown): ParsedToken {
  if (token === undefined || token === null || token === '') throw new PlexAuthError('TOKEN_MISSING')
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new PlexAuthError('TOKEN_MALFORMED')
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  if (first <= 0 || second < 0 || token.indexOf('.', second + 1) !== -1) {
    throw new PlexAuthError('TOKEN_MALFORMED')
  }
  const headerSegment = token.slice(0, first)
  const payloadSegment = token.slice(first + 1, second)
  const signatureSegment = token.slice(second + 1)
  if (
    payloadSegment.length === 0 ||
    signatureSegment.length !== SIGNATURE_LENGTH ||
    !isCanonicalBase64url(headerSegment) ||
    !isCanonicalBase64url(payloadSegment) ||
    !isCanonicalBase64url(signatureSegment)
  ) {
    throw new PlexAuthError('TOKEN_MALFORMED')
  }
  const header = decodeJsonObject(headerSegment)
  if (header.alg !== 'EdDSA') throw new PlexAuthError('TOKEN_UNSUPPORTED')
  if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT')) {
    throw new PlexAuthError('TOKEN_UNSUPPORTED')
  }
  for (const member of FORBIDDEN_HEADER_MEMBERS) {
    if (Object.hasOwn(header, member)) throw new PlexAuthError('TOKEN_UNSUPPORTED')
  }
  const kid = header.kid
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw new PlexAuthError('TOKEN_MALFORMED')
  }
  // After the header checks: S < L is a property of Ed25519 only, so another alg stays TOKEN_UNSUPPORTED.
  const signature = decodeBase64url(signatureSegment)
  if (!isCanonicalSignature(signature)) throw new PlexAuthError('TOKEN_SIGNATURE_INVALID')
  return { kid, signingInput: Buffer.from(token.slice(0, second), 'latin1'), signature, payloadSegment }
}
