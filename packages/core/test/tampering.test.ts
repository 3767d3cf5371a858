import { createPlexVerifier } from '@plexauth/core'
import { base64url, generateEd25519Key, signRaw } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import {
  CLIENT,
  expectCode,
  forbiddenFetch,
  keyRequests,
  plexClaims,
  plexVerifier,
  startPlex,
} from './helpers.js'

const L = 2n ** 252n + 27742317777372353535851937790883648493n

function parts(token: string): [string, string, string] {
  const [header, payload, signature] = token.split('.')
  return [header!, payload!, signature!]
}

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

function toLittleEndian(n: bigint, length: number): Buffer {
  const out = Buffer.alloc(length)
  for (let i = 0; i < length; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn)
  return out
}

/** The same signature with S replaced by S + k·L: the classic Ed25519 malleability. */
function withLargeS(signatureSegment: string, k: bigint): string {
  const signature = Buffer.from(signatureSegment, 'base64url')
  const s = littleEndian(signature.subarray(32)) + k * L
  return Buffer.concat([signature.subarray(0, 32), toLittleEndian(s, 32)]).toString('base64url')
}

function replaceChar(segment: string, index: number): string {
  const current = segment[index]!
  const replacement = current === 'A' ? 'B' : 'A'
  return segment.slice(0, index) + replacement + segment.slice(index + 1)
}

describe('strict compact form, checked before keys or network', () => {
  async function setup() {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const token = plex.issueToken()
    return { plex, verifier, token }
  }

  test.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty string', ''],
  ])('TOKEN_MISSING for %s', async (_name, value) => {
    const { plex, verifier } = await setup()
    await expectCode(verifier.verify(value), 'TOKEN_MISSING')
    expect(keyRequests(plex)).toBe(0)
  })

  test.each([
    ['a number', 42],
    ['an object', { token: 'x' }],
    ['an array', ['a.b.c']],
    ['a Buffer', Buffer.from('a.b.c')],
  ])('TOKEN_MALFORMED for a non-string token: %s', async (_name, value) => {
    const { plex, verifier } = await setup()
    await expectCode(verifier.verify(value), 'TOKEN_MALFORMED')
    expect(keyRequests(plex)).toBe(0)
  })

  test('TOKEN_MALFORMED for every structural defect, without a single key request', async () => {
    const { plex, verifier, token } = await setup()
    const [h, p, s] = parts(token)
    const std = (segment: string) => Buffer.from(segment, 'base64url').toString('base64')
    const malformed: Record<string, string> = {
      'a legacy opaque token': '2ffLuB84dqLswk9skLos',
      'two segments': `${h}.${p}`,
      'four segments': `${token}.${s}`,
      'five segments (JWE shape)': `${h}.${p}.${p}.${p}.${s}`,
      'an empty header': `.${p}.${s}`,
      'an empty payload': `${h}..${s}`,
      'an empty signature': `${h}.${p}.`,
      'a trailing dot': `${token}.`,
      'a padded signature': `${h}.${p}.${s}==`,
      'a padded header': `${h}=.${p}.${s}`,
      'a padded payload': `${h}.${p}=.${s}`,
      'standard base64 in the signature': `${h}.${p}.${std(s)}`,
      'a space inside': `${h}.${p} .${s}`,
      'leading whitespace': ` ${token}`,
      'trailing newline': `${token}\n`,
      'a NUL byte': `${h}.${p}\u0000.${s}`,
      // 86 characters carry 516 bits: the last character's 4 low bits must be zero, and 'B' has one set.
      'non-zero trailing bits in the signature': `${h}.${p}.${s.slice(0, -1)}B`,
      'a 63-byte signature': `${h}.${p}.${base64url(Buffer.alloc(63, 1))}`,
      'a 65-byte signature': `${h}.${p}.${base64url(Buffer.alloc(65, 1))}`,
      'a 32-byte signature': `${h}.${p}.${base64url(Buffer.alloc(32, 1))}`,
      'a header that is not JSON': `${base64url('not json')}.${p}.${s}`,
      'a header that is a JSON array': `${base64url('["EdDSA"]')}.${p}.${s}`,
      'a header that is JSON null': `${base64url('null')}.${p}.${s}`,
      'a header that is not UTF-8': `${base64url(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))}.${p}.${s}`,
      'an impossible base64url length': `${h}A.${p}.${s}`,
      'over 8 KiB': `${h}.${'A'.repeat(8192)}.${s}`,
      'a header without kid': `${base64url('{"alg":"EdDSA","typ":"JWT"}')}.${p}.${s}`,
      'a numeric kid': `${base64url('{"kid":7,"alg":"EdDSA"}')}.${p}.${s}`,
      'an empty kid': `${base64url('{"kid":"","alg":"EdDSA"}')}.${p}.${s}`,
      'an overlong kid': `${base64url(JSON.stringify({ kid: 'k'.repeat(129), alg: 'EdDSA' }))}.${p}.${s}`,
    }
    for (const [name, bad] of Object.entries(malformed)) {
      const err = await expectCode(verifier.verify(bad), 'TOKEN_MALFORMED').catch((cause: unknown) => {
        throw new Error(`${name}: ${String(cause)}`)
      })
      expect(err.code, name).toBe('TOKEN_MALFORMED')
    }
    expect(keyRequests(plex)).toBe(0)
    expect(verifier.stats().rejected.TOKEN_MALFORMED).toBe(Object.keys(malformed).length)
  })

  test('a 64-byte signature with S >= L is TOKEN_SIGNATURE_INVALID before any key request', async () => {
    const { plex, verifier, token } = await setup()
    const [h, p, s] = parts(token)
    for (const k of [1n, 2n, 15n]) {
      const forged = `${h}.${p}.${withLargeS(s, k)}`
      expect(forged.split('.')[2]).toHaveLength(86)
      await expectCode(verifier.verify(forged), 'TOKEN_SIGNATURE_INVALID')
    }
    // S = L exactly, and S = 2^256 - 1.
    const rBytes = Buffer.from(s, 'base64url').subarray(0, 32)
    for (const sValue of [L, 2n ** 256n - 1n]) {
      const forged = `${h}.${p}.${Buffer.concat([rBytes, toLittleEndian(sValue, 32)]).toString('base64url')}`
      await expectCode(verifier.verify(forged), 'TOKEN_SIGNATURE_INVALID')
    }
    expect(keyRequests(plex)).toBe(0)
    // The untouched token still verifies: the check is not rejecting every signature.
    await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'jwt' })
  })
})

describe('one spelling per token, even when Plex signed it', () => {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

  /** `json` followed by spaces (still the same JSON) until its base64url form has `length % 4 === mod`. */
  function encodedWithLength(json: string, mod: number): string {
    let text = json
    while (base64url(text).length % 4 !== mod) text += ' '
    return base64url(text)
  }

  /** The same bytes spelt with some of the unused low bits of the last character set. */
  function withTrailingBits(segment: string, bits: number): string {
    const last = ALPHABET.indexOf(segment.at(-1)!)
    return segment.slice(0, -1) + ALPHABET[last | bits]
  }

  /** `json` and spaces, spelt with 2 characters left over: the last one is 'A', a space's low 2 bits. */
  function spaced(json: string): string {
    const segment = encodedWithLength(`${json} `, 2)
    expect(segment.at(-1)).toBe('A')
    return segment
  }

  test('non-zero trailing bits, an extra character or the +/ alphabet in a signed header or payload are TOKEN_MALFORMED', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const header = JSON.stringify({ kid: plex.signingKey.kid, typ: 'JWT', alg: 'EdDSA' })
    const payload = JSON.stringify(plexClaims())
    const h = (mod: number) => encodedWithLength(header, mod)
    const p = (mod: number) => encodedWithLength(payload, mod)
    const spellings: Record<string, [string, string]> = {
      // Two characters left over carry one byte: the last one's 4 low bits are unused.
      'header, 2 left over, low bit': [withTrailingBits(h(2), 1), p(0)],
      'header, 2 left over, bit 3': [withTrailingBits(h(2), 4), p(0)],
      'payload, 2 left over, low bit': [h(0), withTrailingBits(p(2), 1)],
      'payload, 2 left over, bit 3': [h(0), withTrailingBits(p(2), 4)],
      // Three characters left over carry two bytes: the last one's 2 low bits are unused.
      'header, 3 left over, low bit': [withTrailingBits(h(3), 1), p(0)],
      'header, 3 left over, bit 2': [withTrailingBits(h(3), 2), p(0)],
      'payload, 3 left over, low bit': [h(0), withTrailingBits(p(3), 1)],
      'payload, 3 left over, bit 2': [h(0), withTrailingBits(p(3), 2)],
      // One character left over carries no whole byte: no length is 1 more than a multiple of 4.
      'header with one extra character': [`${h(0)}A`, p(0)],
      'payload with one extra character': [h(0), `${p(0)}A`],
      // The standard alphabet's + and / in place of an 'A' (a trailing space spelt canonically).
      'header with a /': [`${spaced(header).slice(0, -1)}/`, p(0)],
      'payload with a +': [h(0), `${spaced(payload).slice(0, -1)}+`],
    }
    for (const [name, [headerSegment, payloadSegment]] of Object.entries(spellings)) {
      const token = plex.signRaw(headerSegment, payloadSegment)
      const err = await expectCode(verifier.verify(token), 'TOKEN_MALFORMED').catch((cause: unknown) => {
        throw new Error(`${name}: ${String(cause)}`)
      })
      expect(err.code, name).toBe('TOKEN_MALFORMED')
    }
    expect(keyRequests(plex)).toBe(0)
    // The canonical spellings of the same JSON, with each length, verify: the checks are not refusing them.
    for (const mod of [0, 2, 3]) {
      await expect(verifier.verify(plex.signRaw(h(mod), p(mod)))).resolves.toMatchObject({ kind: 'jwt' })
    }
  })

  test('the bounds are inclusive: a token of exactly 8192 characters and a kid of 128 characters verify', async () => {
    const key = generateEd25519Key()
    const kid = 'k'.repeat(128)
    const verifier = createPlexVerifier({
      keys: { keys: [{ ...key.publicJwk, kid }] },
      clientIdentifier: CLIENT,
      fetch: forbiddenFetch(),
    })
    // Padding in an extra claim until the token is 8192 characters long (86 for the signature, 2 dots); no
    // base64url length is 1 more than a multiple of 4, so the header may need a space after its JSON.
    const size = (header: string, pad: string) =>
      header.length + base64url(JSON.stringify(plexClaims({ pad }))).length + 88
    let header = ''
    let pad = ''
    for (const space of ['', ' ', '  ']) {
      header = base64url(JSON.stringify({ kid, typ: 'JWT', alg: 'EdDSA' }) + space)
      pad = ''
      while (size(header, pad) < 8192) pad += 'x'
      if (size(header, pad) === 8192) break
    }
    const token = signRaw(header, base64url(JSON.stringify(plexClaims({ pad }))), key)
    expect(token).toHaveLength(8192)
    await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'jwt' })
    const longer = signRaw(header, base64url(JSON.stringify(plexClaims({ pad: `${pad}xx` }))), key)
    expect(longer.length).toBeGreaterThan(8192)
    await expectCode(verifier.verify(longer), 'TOKEN_MALFORMED')
  })
})

describe('tampering under a valid key', () => {
  test('a payload swapped under the original signature is TOKEN_SIGNATURE_INVALID', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const mine = plex.issueToken({ user: { id: 1001 } })
    const admin = plex.issueToken({ user: { id: 1 } })
    const [h, , s] = parts(mine)
    const [, adminPayload] = parts(admin)
    await expect(verifier.verify(mine)).resolves.toMatchObject({ user: { id: 1001 } })
    await expectCode(verifier.verify(`${h}.${adminPayload}.${s}`), 'TOKEN_SIGNATURE_INVALID')
    // A payload edited by hand, re-encoded canonically.
    const edited = JSON.parse(Buffer.from(parts(mine)[1], 'base64url').toString())
    edited.user.id = 1
    await expectCode(
      verifier.verify(`${h}.${base64url(JSON.stringify(edited))}.${s}`),
      'TOKEN_SIGNATURE_INVALID',
    )
  })

  test('an altered signature is TOKEN_SIGNATURE_INVALID', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const token = plex.issueToken()
    const [h, p, s] = parts(token)
    for (const index of [0, 10, 40, 60]) {
      await expectCode(verifier.verify(`${h}.${p}.${replaceChar(s, index)}`), 'TOKEN_SIGNATURE_INVALID')
    }
    const other = parts(plex.issueToken())[2]
    await expectCode(verifier.verify(`${h}.${p}.${other}`), 'TOKEN_SIGNATURE_INVALID')
    await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'jwt' })
  })

  test('a header altered under the original signature is TOKEN_SIGNATURE_INVALID', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const [, p, s] = parts(plex.issueToken())
    const header = base64url(JSON.stringify({ kid: plex.signingKey.kid, alg: 'EdDSA' }))
    await expectCode(verifier.verify(`${header}.${p}.${s}`), 'TOKEN_SIGNATURE_INVALID')
  })

  test("a token signed by another key under Plex's kid is TOKEN_SIGNATURE_INVALID", async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const attacker = generateEd25519Key()
    await expectCode(verifier.verify(plex.issueToken({ signWith: attacker })), 'TOKEN_SIGNATURE_INVALID')
    expect(verifier.stats().rejected).toEqual({ TOKEN_SIGNATURE_INVALID: 1 })
  })

  test('a correctly signed payload that is not a JSON object is TOKEN_MALFORMED', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const header = base64url(JSON.stringify({ kid: plex.signingKey.kid, typ: 'JWT', alg: 'EdDSA' }))
    for (const payload of ['not json', '[1,2,3]', '"plex.tv"', 'null', '42']) {
      await expectCode(verifier.verify(plex.signRaw(header, base64url(payload))), 'TOKEN_MALFORMED')
    }
    const notUtf8 = base64url(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))
    await expectCode(verifier.verify(plex.signRaw(header, notUtf8)), 'TOKEN_MALFORMED')
  })
})
