import { createContext, runInContext } from 'node:vm'
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

// Issue 11, redaction in linear time ------------------------------------------------------------------

// What redaction matched before it became a linear scan: the scan must match exactly the same.
const TOKEN_SHAPED_REGEX = /eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){2,4}/g
const SCHEME_REGEX = /\b(Bearer|Basic)([ \t]+)[A-Za-z0-9\-._~+/]+=*/gi

test('redactTokens replaces exactly what the token-shape regex replaced', () => {
  const text = fc.string({ unit: fc.constantFrom('eyJ', 'e', 'y', 'J', '.', 'a', '-', '_', ' ', '/', 'Z9') })
  fc.assert(
    fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), (parts) => {
      const input = parts.join('eyJ')
      expect(redactTokens(input)).toBe(
        input.replace(TOKEN_SHAPED_REGEX, REDACTED).replace(SCHEME_REGEX, `$1$2${REDACTED}`),
      )
    }),
    { numRuns: 2000 },
  )
})

/**
 * Runs `work` with a hard stop. A test timeout cannot interrupt synchronous work (a backtracking regex
 * blocks the event loop its timer needs); a `vm` timeout can. The stop is a generous bound, far above what
 * a linear scan of the input needs, and far below what the quadratic regex needed (minutes for 1 MiB).
 */
function stops(work: () => void, afterMs: number): boolean {
  try {
    runInContext('work()', createContext({ work }), { timeout: afterMs })
    return false
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return true
    throw err
  }
}

const MIB = 1 << 20
const ADVERSARIAL = [
  'eyJ',
  'eyJ.',
  'eyJ..',
  'eyJa.',
  'eyJ.a.',
  'Bearer ',
  'Basic\t',
  'x-plex-token',
  'X-Plex-Token=',
  'x%2Dplex%2D',
  'X%252DPlex',
  '%25',
  '%2578',
  '=&',
]

test.each(ADVERSARIAL)('1 MiB of %j is redacted in linear time by every redaction function', (unit) => {
  const input = unit.repeat(Math.ceil(MIB / unit.length)).slice(0, MIB)
  const stopped = stops(() => {
    redactTokens(input)
    redactUrl(`/path?next=${input}&X-Plex-Token=2ffLuB84dqLswk9skLos`)
    redactHeaders({ referer: input })
  }, 20_000)
  expect(stopped, 'redaction did not finish within the stop').toBe(false)
})

// Issue 11, X-Plex-Token parameters anywhere ------------------------------------------------------------

/** `text` percent-encoded `depth` times, as a URL nested in a query parameter is. */
const encodeTimes = (text: string, depth: number): string =>
  depth === 0 ? text : encodeTimes(encodeURIComponent(text), depth - 1)

test('an X-Plex-Token parameter in any header, at any level of percent-encoding, is redacted', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(
        'referer',
        'x-forwarded-uri',
        'x-original-url',
        'x-rewrite-url',
        'location',
        'x-anything',
      ),
      fc.constantFrom('X-Plex-Token', 'x-plex-token', 'X-PLEX-TOKEN', 'X-Plex-Token[]', 'X%2DPlex%2DToken'),
      fc.integer({ min: 0, max: 3 }),
      fc.nat(),
      fc.array(pair, { maxLength: 3 }),
      (header, name, depth, which, others) => {
        const token = tokens[which % tokens.length]!
        const inner = `/web/index.html?${[...others, `${name}=${token}`, 'page=2'].join('&')}`
        const value = depth === 0 ? `https://app.example${inner}` : `/login?next=${encodeTimes(inner, depth)}`
        const headers = redactHeaders({ [header]: value, 'user-agent': 'curl/8' })
        expect(headers[header]).not.toContain(token)
        expect(headers[header]).toContain(encodeTimes('page=2', depth))
        expect(headers['user-agent']).toBe('curl/8')
        // The same value as a request target.
        const url = redactUrl(depth === 0 ? inner : value)
        expect(url).not.toContain(token)
        expect(url).toContain(encodeTimes('page=2', depth))
      },
    ),
    { numRuns: 500 },
  )
})

test('the issue 11 examples', () => {
  const legacy = '2ffLuB84dqLswk9skLos'
  expect(
    redactHeaders({
      Referer: `https://app.example/web?X-Plex-Token=${legacy}`,
      'X-Forwarded-Uri': `/library?x-plex-token=${legacy}&page=2`,
      'X-Original-URL': `/library?X-Plex-Token=${legacy}`,
    }),
  ).toEqual({
    Referer: 'https://app.example/web?X-Plex-Token=[REDACTED]',
    'X-Forwarded-Uri': '/library?x-plex-token=[REDACTED]&page=2',
    'X-Original-URL': '/library?X-Plex-Token=[REDACTED]',
  })
  expect(redactUrl(`/go?url=%2Fweb%3FX-Plex-Token%3D${legacy}%26page%3D2`)).toBe(
    '/go?url=%2Fweb%3FX-Plex-Token%3D[REDACTED]%26page%3D2',
  )
  expect(redactUrl(`/go?url=%252Fweb%253FX-Plex-Token%253D${legacy}%2526page%253D2`)).toBe(
    '/go?url=%252Fweb%253FX-Plex-Token%253D[REDACTED]%2526page%253D2',
  )
  // Nothing else changes.
  expect(redactHeaders({ referer: 'https://app.example/web?token=1&plex=2' })).toEqual({
    referer: 'https://app.example/web?token=1&plex=2',
  })
})
