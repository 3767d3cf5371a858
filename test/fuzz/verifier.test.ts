import {
  createPlexVerifier,
  ERROR_CODES,
  isPlexAuthError,
  PlexAuthError,
  type PlexAuthErrorCode,
  type PlexVerifier,
  type PlexVerifierOptions,
  toHttpError,
} from '@plexauth/core'
import { createAuthenticator } from '@plexauth/core/adapter'
import {
  base64url,
  DEFAULT_CLIENT_IDENTIFIER,
  type Ed25519Key,
  generateEd25519Key,
  signJwt,
  signRaw,
} from '@plexauth/testing'
import fc from 'fast-check'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { checkBearerChallenge } from '../adversarial/challenge.js'

/**
 * Properties of the verifier over random input, with bounded runs: it never throws anything but a
 * PlexAuthError, never accepts a token that was not signed by a published key, never fetches keys more
 * often than its cooldown and backoff allow, and every error answer carries a well-formed challenge.
 * No network: key sets come from a `fetch` stub.
 */

const JWKS_URL = 'https://plex.example/api/v2/auth/keys'
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const published = [generateEd25519Key(), generateEd25519Key()]
const signer = published[1]!
const attacker = generateEd25519Key()
const nowSeconds = () => Math.floor(Date.now() / 1000)
// The identity point of Ed25519, as a public key and as R of a signature whose S is 0.
const IDENTITY = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)])
const IDENTITY_SIGNATURE = base64url(Buffer.concat([IDENTITY, Buffer.alloc(32)]))

/** A `fetch` that answers every call with `answer()` and records when it was called. */
function stubFetch(answer: () => Response | Promise<Response>) {
  const calls: number[] = []
  const fetch: typeof globalThis.fetch = async () => {
    calls.push(Date.now())
    return answer()
  }
  return { fetch, calls }
}

const jsonResponse = (body: unknown, init: ResponseInit = {}) =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status: 200, ...init })

function verifierFor(keys: readonly Ed25519Key[], options: PlexVerifierOptions = {}): PlexVerifier {
  const { fetch } = stubFetch(() => jsonResponse({ keys: keys.map((key) => key.publicJwk) }))
  return createPlexVerifier({
    jwksUrl: JWKS_URL,
    clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
    fetch,
    ...options,
  })
}

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds()
  return {
    nonce: 'n',
    thumbprint: 'device-kid',
    user: { id: 123456, uuid: '0f1e2d3c4b5a6978', username: 'plexuser' },
    iss: 'plex.tv',
    aud: ['plex.tv', DEFAULT_CLIENT_IDENTIFIER],
    iat,
    exp: iat + 3600,
    ...overrides,
  }
}

/** Every token a published key signed; the only strings the verifier may ever accept. */
const signedByPublished = new Set<string>()

function genuine(key: Ed25519Key = signer, payload = claims()): string {
  const token = signJwt({ kid: key.kid, typ: 'JWT', alg: 'EdDSA' }, payload, key)
  if (published.includes(key)) signedByPublished.add(token)
  return token
}

/** Verifies, and fails the property on anything but an acceptance of a genuine token or a PlexAuthError. */
async function outcome(verifier: PlexVerifier, token: unknown): Promise<'accepted' | PlexAuthErrorCode> {
  try {
    await verifier.verify(token)
    return 'accepted'
  } catch (err) {
    if (!isPlexAuthError(err)) throw new Error(`verify threw a non-PlexAuthError: ${String(err)}`)
    return err.code
  }
}

// Arbitraries ------------------------------------------------------------------------------------------

const b64urlChar = fc.constantFrom(...B64URL)
const b64urlString = (maxLength = 120) => fc.string({ unit: b64urlChar, maxLength })
const tokenChar = fc.constantFrom(...B64URL, '.', '=', '+', '/', ' ', '\t', '%', '\u00e9', '\u0000', '"')

/**
 * Edits of a genuine token: replace, insert or delete characters, swap whole segments, or change the last
 * character of a segment, whose unused low bits let one value be spelt several ways.
 */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: tokenChar }),
  fc.record({ kind: fc.constant('tail' as const), segment: fc.nat(2), char: tokenChar }),
  fc.record({ kind: fc.constant('append' as const), char: tokenChar }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char: tokenChar }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(2), b: fc.nat(2) }),
)
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never

function mutate(token: string, edits: readonly Mutation[]): string {
  let text = token
  for (const edit of edits) {
    if (edit.kind === 'swap') {
      const parts = text.split('.')
      if (parts.length === 3) {
        ;[parts[edit.a], parts[edit.b]] = [parts[edit.b]!, parts[edit.a]!]
        text = parts.join('.')
      }
      continue
    }
    if (edit.kind === 'append') {
      text += edit.char
      continue
    }
    if (edit.kind === 'tail') {
      const parts = text.split('.')
      const part = parts[edit.segment]
      if (part !== undefined && part.length > 0) parts[edit.segment] = part.slice(0, -1) + edit.char
      text = parts.join('.')
      continue
    }
    const at = edit.at % (text.length + 1)
    if (edit.kind === 'replace') text = text.slice(0, at) + edit.char + text.slice(at + 1)
    else if (edit.kind === 'insert') text = text.slice(0, at) + edit.char + text.slice(at)
    else text = text.slice(0, at) + text.slice(at + 1)
  }
  return text
}

/** Mostly `good`, sometimes one of `bad`: random tokens that are often sound enough to reach the signature. */
const mostly = <T>(good: fc.Arbitrary<T>, ...bad: fc.Arbitrary<unknown>[]) =>
  fc.oneof(
    { weight: 15, arbitrary: good as fc.Arbitrary<unknown> },
    ...bad.map((arbitrary) => ({ weight: 1, arbitrary })),
  )

/** Stands for the kid of the key that signs. */
const OWN_KID = Symbol('own kid')

const headerArb = fc
  .tuple(
    mostly(fc.constant('EdDSA'), fc.constantFrom('none', 'HS256', 'RS256', 'eddsa', 'Ed25519', 'ES256')),
    mostly(
      fc.constant(OWN_KID),
      fc.constantFrom(...published.map((key) => key.kid), attacker.kid),
      fc.string({ maxLength: 140 }),
      fc.constantFrom('__proto__', 'constructor', '', '../../etc/passwd'),
      fc.integer(),
      fc.constant(null),
    ),
    mostly(fc.constantFrom('JWT', undefined), fc.constantFrom('jwt', 'at+jwt', 1)),
    mostly(
      fc.constant({}),
      fc.record(
        {
          jwk: fc.constant(attacker.publicJwk),
          jku: fc.webUrl(),
          crit: fc.constant(['b64']),
          x: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    ),
  )
  .map(([alg, kid, typ, extra]) => ({
    ...(extra as object),
    kid,
    ...(typ === undefined ? {} : { typ }),
    alg,
  }))

const claimsArb = fc
  .record({
    iss: mostly(fc.constant('plex.tv'), fc.constantFrom('PLEX.TV', 'https://plex.tv', 'plex.tv ', undefined)),
    aud: mostly(
      fc.constant(['plex.tv', DEFAULT_CLIENT_IDENTIFIER]),
      fc.array(fc.constantFrom('plex.tv', DEFAULT_CLIENT_IDENTIFIER, 'other-app'), { maxLength: 4 }),
      fc.jsonValue(),
    ),
    iat: mostly(fc.constant(0), fc.integer({ min: -1e10, max: 1e10 }), fc.double(), fc.constant(undefined)),
    exp: mostly(fc.integer({ min: 60, max: 7 * 86_400 }), fc.integer({ min: -1e10, max: 1e13 }), fc.double()),
    nbf: mostly(fc.constant(undefined), fc.integer(), fc.string()),
    thumbprint: mostly(fc.constant('device-kid'), fc.jsonValue()),
    user: mostly(
      fc.record({
        id: mostly(fc.integer({ min: 1, max: 1e9 }), fc.integer(), fc.double(), fc.string()),
        uuid: mostly(fc.constant('u-1'), fc.jsonValue()),
        username: mostly(fc.constant(undefined), fc.jsonValue()),
      }),
      fc.jsonValue(),
    ),
    scope: mostly(fc.constant(undefined), fc.jsonValue()),
  })
  .map((c) => {
    // Times relative to now, so that sound ones are current.
    const now = nowSeconds()
    const iat = typeof c.iat === 'number' && c.iat === 0 ? now : c.iat
    const exp = typeof c.exp === 'number' && c.exp > 0 && c.exp <= 7 * 86_400 ? now + c.exp : c.exp
    return JSON.parse(JSON.stringify({ ...c, iat, exp })) as Record<string, unknown>
  })

/** A token signed by a random key (mostly a published one) over random header and claims. */
const signedArb = fc
  .tuple(
    headerArb,
    claimsArb,
    mostly(fc.constantFrom(...published), fc.constant(attacker)) as fc.Arbitrary<Ed25519Key>,
  )
  .map(([header, payload, key]) => {
    if (header.kid === OWN_KID) header.kid = key.kid
    const token = signJwt(header, payload, key)
    // Signed by a published key, and naming it: the verifier may accept it (when the claims are sound).
    if (published.includes(key) && header.kid === key.kid) signedByPublished.add(token)
    return token
  })

/** Tokens of every shape: junk, near-misses of genuine tokens, and freshly signed ones. */
const tokenArb = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.array(b64urlString(), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...published), fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([key, edits]) => mutate(genuine(key), edits)),
  },
  { weight: 6, arbitrary: signedArb },
  fc
    .tuple(b64urlString(200), b64urlString(400), fc.uint8Array({ minLength: 64, maxLength: 64 }))
    .map(([header, payload, signature]) => `${header}.${payload}.${base64url(signature)}`),
  fc
    .tuple(fc.jsonValue(), fc.jsonValue())
    .map(([header, payload]) =>
      signRaw(base64url(JSON.stringify(header) ?? ''), base64url(JSON.stringify(payload) ?? ''), attacker),
    ),
)

// Properties -------------------------------------------------------------------------------------------

afterEach(() => {
  vi.useRealTimers()
})

describe('verify', () => {
  test('random tokens: only PlexAuthErrors, and only tokens a published key signed are accepted', async () => {
    const verifier = verifierFor(published)
    expect(await outcome(verifier, genuine())).toBe('accepted')
    await fc.assert(
      fc.asyncProperty(tokenArb, async (token) => {
        const result = await outcome(verifier, token)
        if (result === 'accepted') expect(signedByPublished.has(token), token).toBe(true)
      }),
      { numRuns: 600 },
    )
  })

  test('any value at all: a PlexAuthError, never a crash', async () => {
    const verifier = verifierFor(published)
    await fc.assert(
      fc.asyncProperty(fc.anything({ withBigInt: true, withMap: true, withSet: true }), async (value) => {
        expect(await outcome(verifier, value)).not.toBe('accepted')
      }),
      { numRuns: 200 },
    )
  })

  test('a genuine token with any edit is refused', async () => {
    const verifier = verifierFor(published)
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (edits) => {
        const token = genuine()
        const edited = mutate(token, edits)
        fc.pre(edited !== token)
        expect(await outcome(verifier, edited), edited).not.toBe('accepted')
      }),
      { numRuns: 500 },
    )
  })
})

describe('duplicate member names', () => {
  const spelling = fc.constantFrom('plain', 'escaped', 'spaced')
  /** `"name":` as JSON text, possibly with its first character escaped or a space before the colon. */
  const memberName = (name: string, how: string) => {
    // The rest of the name is JSON-escaped too: a raw `\r` in the text would name another member.
    if (how === 'escaped' && name !== '') {
      const rest = JSON.stringify(name.slice(1)).slice(1, -1)
      return `"\\u${name.charCodeAt(0).toString(16).padStart(4, '0')}${rest}":`
    }
    return how === 'spaced' ? `${JSON.stringify(name)} :` : `${JSON.stringify(name)}:`
  }

  test('a payload is refused as malformed exactly when an object in it names a member twice', async () => {
    const verifier = verifierFor(published)
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
        fc.nat(2),
        fc.option(
          fc.tuple(fc.constantFrom('top', 'user'), fc.nat(), spelling, fc.jsonValue({ maxDepth: 1 })),
        ),
        async (extra, indent, duplicate) => {
          const payload = { ...extra, ...claims() }
          let text = JSON.stringify(payload, null, indent)
          if (duplicate !== null) {
            const [where, pick, how, value] = duplicate
            const names = Object.keys(where === 'top' ? payload : (payload.user as object))
            const member = `${memberName(names[pick % names.length]!, how)}${JSON.stringify(value)},`
            const open = where === 'top' ? text.indexOf('{') : text.indexOf('{', text.indexOf('"user"'))
            text = `${text.slice(0, open + 1)}${member}${text.slice(open + 1)}`
          }
          const token = signRaw(
            base64url(JSON.stringify({ kid: signer.kid, alg: 'EdDSA' })),
            base64url(text),
            signer,
          )
          const result = await outcome(verifier, token)
          if (duplicate === null) expect(result).not.toBe('TOKEN_MALFORMED')
          else expect(result, text).toBe('TOKEN_MALFORMED')
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('hostile key set responses', () => {
  const jwk = (key: Ed25519Key) => ({ ...key.publicJwk })
  const privateD = (key: Ed25519Key) => key.privateKey.export({ format: 'jwk' }).d
  // Ways a member can look like the attacker's key without being a sound public Ed25519 key.
  const hostileMember = fc.constantFrom(
    { ...jwk(attacker), d: privateD(attacker) },
    { ...jwk(attacker), crv: 'Ed448' },
    { ...jwk(attacker), kty: 'EC' },
    { ...jwk(attacker), use: 'enc' },
    { ...jwk(attacker), alg: 'RS256' },
    { ...jwk(attacker), key_ops: ['sign'] },
    { ...jwk(attacker), x: `${attacker.publicJwk.x}=` },
    { ...jwk(attacker), x: `${attacker.publicJwk.x.slice(0, -1)}+` },
    // Sound, but the attacker's key: under the signer's kid it must not verify the signer's tokens.
    { ...jwk(attacker), kid: signer.kid },
    { kty: 'oct', kid: attacker.kid, k: base64url('secret') },
    { kty: 'OKP', crv: 'Ed25519', kid: attacker.kid, x: base64url(IDENTITY) },
  )
  const member = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...published.map(jwk)) },
    { weight: 2, arbitrary: hostileMember },
    fc.dictionary(fc.constantFrom('kty', 'crv', 'x', 'kid', 'use', 'alg', 'd', 'key_ops'), fc.jsonValue()),
    fc.jsonValue(),
  )
  const body = fc.oneof(
    { weight: 8, arbitrary: fc.array(member, { maxLength: 5 }).map((keys) => JSON.stringify({ keys })) },
    { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
  )
  const response = fc.record({
    status: mostly(fc.constant(200), fc.constantFrom(203, 301, 404, 500)) as fc.Arbitrary<number>,
    body,
    cacheControl: fc.option(
      fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('max-age=0', 'no-store', 'max-age=99999999999')),
    ),
    contentLength: mostly(fc.constant(null), fc.nat({ max: 10_000_000 })) as fc.Arbitrary<number | null>,
  })

  test('never throw anything but a PlexAuthError, and never make a token count that no published key signed', async () => {
    await fc.assert(
      fc.asyncProperty(response, async ({ status, body, cacheControl, contentLength }) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (cacheControl !== null) headers['cache-control'] = cacheControl
        if (contentLength !== null) headers['content-length'] = String(contentLength)
        const { fetch } = stubFetch(() => new Response(body, { status, headers }))
        const verifier = createPlexVerifier({
          jwksUrl: JWKS_URL,
          clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
          fetch,
        })
        // The genuine signer: accepted only when the served set holds its very key, once.
        const served = (() => {
          try {
            return (JSON.parse(body) as { keys?: unknown }).keys
          } catch {
            return undefined
          }
        })()
        const kids = Array.isArray(served) ? served.map((m) => (m as { kid?: unknown } | null)?.kid) : []
        // Whether the answer publishes `key` under `kid`: a sound member, the only one naming that kid.
        const publishes = (key: Ed25519Key, kid: unknown) =>
          status === 200 &&
          kids.filter((k) => k === kid).length === 1 &&
          (served as unknown[]).some((m) => JSON.stringify(m) === JSON.stringify({ ...jwk(key), kid }))
        if ((await outcome(verifier, genuine())) === 'accepted')
          expect(publishes(signer, signer.kid)).toBe(true)
        // The attacker, under every kid the set names, and under its own; and a signature (R = identity,
        // S = 0) that every message has under a small-order key.
        for (const kid of [attacker.kid, ...kids]) {
          const forged = signJwt({ kid, typ: 'JWT', alg: 'EdDSA' }, claims(), attacker)
          if ((await outcome(verifier, forged)) === 'accepted') expect(publishes(attacker, kid)).toBe(true)
          const [header, payload] = forged.split('.')
          expect(await outcome(verifier, `${header}.${payload}.${IDENTITY_SIGNATURE}`)).not.toBe('accepted')
        }
      }),
      { numRuns: 250 },
    )
  })
})

describe('key fetches', () => {
  const step = fc.oneof(
    fc.record({ advance: fc.integer({ min: 0, max: 90_000 }) }),
    fc.record({ flood: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ valid: fc.constant(true) }),
  )

  test('never more often than the cooldown (after a success) or the backoff (after a failure) allows', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 120 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.array(step, { minLength: 1, maxLength: 30 }),
        async (cooldown, healthy, steps) => {
          const results: boolean[] = []
          const { fetch, calls } = stubFetch(() => {
            const ok = healthy[results.length % healthy.length]!
            results.push(ok)
            if (!ok) throw new TypeError('fetch failed')
            return jsonResponse({ keys: published.map((key) => key.publicJwk) })
          })
          // maxAge a day: no refresh-ahead within the run, so every fetch is one a request asked for.
          const verifier = createPlexVerifier({
            jwksUrl: JWKS_URL,
            clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
            fetch,
            jwks: { cooldown, maxAge: 86_400 },
          })
          for (const s of steps) {
            if ('advance' in s) vi.setSystemTime(Date.now() + s.advance)
            else if ('valid' in s) await outcome(verifier, genuine())
            else {
              const tokens = Array.from({ length: s.flood }, () => {
                const key = generateEd25519Key()
                return signJwt({ kid: key.kid, typ: 'JWT', alg: 'EdDSA' }, claims(), key)
              })
              await Promise.all(tokens.map((token) => outcome(verifier, token)))
            }
          }
          for (let i = 1; i < calls.length; i++) {
            const gap = calls[i]! - calls[i - 1]!
            expect(gap).toBeGreaterThanOrEqual(
              results[i - 1] ? cooldown * 1000 : Math.min(cooldown * 1000, 1000),
            )
          }
          expect(verifier.stats().keyFetches).toBe(calls.length)
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe('requests and answers', () => {
  const headerValue = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom('Bearer', 'bearer ', 'Basic x', 'Bearer a b', 'Bearer a.b.c', 'Bearer ==', ''),
    b64urlString().map((value) => `Bearer ${value}`),
  )
  // What Node hands a framework: strings and string lists, plus a few odd values a careless caller might pass.
  const headerBag = fc.dictionary(
    fc.constantFrom(
      'authorization',
      'x-plex-token',
      'access-control-request-method',
      'constructor',
      '__proto__',
    ),
    fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 }), fc.constantFrom(undefined, null, 42, {})),
  )
  const requestArb = fc.record(
    {
      method: fc.constantFrom('GET', 'OPTIONS', 'POST'),
      headers: headerBag,
      rawHeaders: fc.array(
        fc.oneof(fc.constantFrom('Authorization', 'X-Plex-Token', 'x-plex-token'), headerValue),
        {
          maxLength: 8,
        },
      ),
      url: fc.oneof(
        fc.string(),
        fc.constantFrom(
          '/?X-Plex-Token=a&X-Plex-Token=b',
          '/?X-Plex-Token[]=a',
          '/?X-Plex-Token=%E0%A4%A',
          '/?#X-Plex-Token=a',
        ),
        b64urlString().map((value) => `/me?X-Plex-Token=${value}`),
      ),
    },
    { requiredKeys: ['headers'] },
  )

  test('authenticate: any request object yields an identity, nothing, or a PlexAuthError', async () => {
    const { fetch } = stubFetch(() => jsonResponse({ keys: published.map((key) => key.publicJwk) }))
    const authenticator = createAuthenticator({
      jwksUrl: JWKS_URL,
      clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
      fetch,
      tokenSources: ['authorization', 'x-plex-token', 'query'],
      credentialsRequired: false,
    })
    await fc.assert(
      fc.asyncProperty(requestArb, async (request) => {
        try {
          await authenticator.authenticate(request as Parameters<typeof authenticator.authenticate>[0])
        } catch (err) {
          expect(isPlexAuthError(err), String(err)).toBe(true)
          checkBearerChallenge(
            authenticator.toHttpError(err).headers['www-authenticate'],
            (err as PlexAuthError).status,
          )
        }
      }),
      { numRuns: 400 },
    )
  })

  const codes = fc.constantFrom(...(Object.keys(ERROR_CODES) as PlexAuthErrorCode[]))

  test('toHttpError: a well-formed challenge for any error, realm and scope list', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .record({
              code: codes,
              scopes: fc.option(fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 })),
              retryAfter: fc.option(fc.double()),
            })
            .map(
              ({ code, scopes, retryAfter }) =>
                new PlexAuthError(code, {
                  ...(scopes === null ? {} : { scopes }),
                  ...(retryAfter === null ? {} : { retryAfter }),
                }),
            ),
          fc.anything(),
        ),
        fc.option(fc.string({ maxLength: 140 })),
        (err, realm) => {
          const { status, headers } = toHttpError(err, realm === null ? {} : { realm })
          checkBearerChallenge(headers['www-authenticate'], status)
          for (const value of Object.values(headers)) expect(value).not.toMatch(/[\r\n\0]/)
          if (status === 503 || status === 429) expect(headers['retry-after']).toMatch(/^[1-9]\d*$/)
        },
      ),
      { numRuns: 800 },
    )
  })
})
