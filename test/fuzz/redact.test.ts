import { REDACTED, redactHeaders, redactTokens, redactUrl } from '@plexauth/core'
import { createFakePlex, type FakePlex } from '@plexauth/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, test } from 'vitest'

/** Log redaction: whatever carries a token comes out without it; everything else comes out as it went in. */

let plex: FakePlex
let tokens: string[]

beforeAll(async () => {
  plex = await createFakePlex()
  tokens = [plex.issueToken(), plex.issueToken({ user: { id: 7 } }), plex.createLegacyToken()]
})

afterAll(async () => {
  await plex?.close()
})

const word = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_~.'), minLength: 1, maxLength: 12 })
const pair = fc
  .tuple(word, fc.option(word))
  .map(([name, value]) => (value === null ? name : `${name}=${value}`))
const path = fc.array(word, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`)
const tokenName = fc.constantFrom(
  'X-Plex-Token',
  'x-plex-token',
  'X-PLEX-TOKEN',
  'X-Plex-Token[]',
  'X-Plex-Token[a]',
  'X%2DPlex%2DToken',
)

test('redactUrl removes every X-Plex-Token query value and leaves the rest of the URL alone', () => {
  fc.assert(
    fc.property(
      path,
      fc.array(pair, { maxLength: 4 }),
      tokenName,
      fc.nat(),
      fc.nat(),
      fc.boolean(),
      (base, others, name, which, at, encode) => {
        const token = tokens[which % tokens.length]!
        const params = [...others]
        params.splice(at % (params.length + 1), 0, `${name}=${encode ? encodeURIComponent(token) : token}`)
        const url = `${base}?${params.join('&')}`
        const redacted = redactUrl(url)
        expect(redacted).not.toContain(token)
        expect(redacted).toContain(`${name}=${REDACTED}`)
        for (const other of others) expect(redacted).toContain(other)
        const clean = `${base}?${others.join('&')}`
        expect(redactUrl(clean)).toBe(clean)
      },
    ),
    { numRuns: 300 },
  )
})

test('redactTokens removes JWTs and bearer credentials from any text', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 40 }),
      fc.nat(),
      (before, after, which) => {
        const jwt = tokens[which % 2]!
        const text = `${before} ${jwt} ${after} Authorization: Bearer ${tokens[2]}`
        const redacted = redactTokens(text)
        expect(redacted).not.toContain(jwt)
        expect(redacted).not.toContain(jwt.split('.')[2])
        expect(redacted).not.toContain(tokens[2])
      },
    ),
    { numRuns: 200 },
  )
  expect(redactTokens('GET /static/app.bundle.js from api.example.com')).toBe(
    'GET /static/app.bundle.js from api.example.com',
  )
})

test('redactHeaders replaces credential headers whole and token-shaped values elsewhere', () => {
  const [jwt, , legacy] = tokens
  const headers = redactHeaders({
    authorization: `Bearer ${jwt}`,
    'X-Plex-Token': legacy,
    cookie: `session=${legacy}`,
    referer: `https://app.example/?t=${jwt}`,
    'user-agent': 'curl/8',
    'x-forwarded-for': ['10.0.0.1', jwt!],
    'content-length': 3,
  })
  expect(JSON.stringify(headers)).not.toContain(jwt)
  expect(JSON.stringify(headers)).not.toContain(legacy)
  expect(headers).toMatchObject({ authorization: REDACTED, 'X-Plex-Token': REDACTED, 'user-agent': 'curl/8' })
  expect(headers['content-length']).toBe(3)
})
