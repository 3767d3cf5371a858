import type { PlexAuthOptions } from '@plexauth/core/adapter'
import { createFakePlex, DEFAULT_CLIENT_IDENTIFIER, type FakePlex } from '@plexauth/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { checkBearerChallenge } from '../adversarial/challenge.js'
import { FRAMEWORKS, type RunningApp } from '../contract/apps.js'
import type { RouteSpec } from '../contract/cases.js'
import { type Answer, send } from '../contract/http.js'

/**
 * Random requests through the real adapters (the current major of each framework): every error answer
 * carries a well-formed `WWW-Authenticate` challenge (RFC 7235, RFC 6750), 503s a numeric `Retry-After`,
 * and the three frameworks agree on status and challenge.
 */

type Auth = 'main' | 'cold'
const ROUTES: RouteSpec<Auth>[] = [
  { method: 'GET', path: '/me', auth: 'main' },
  { method: 'GET', path: '/optional', auth: 'main', optional: true },
  { method: 'GET', path: '/email', auth: 'main', guards: [{ kind: 'scopes', scopes: ['email'] }] },
  { method: 'GET', path: '/cold', auth: 'cold' },
]
const CURRENT = FRAMEWORKS.filter((framework) => ['Express 5', 'Fastify 5', 'Koa 3'].includes(framework.name))

let plex: FakePlex
let cold: FakePlex
let apps: (RunningApp & { name: string })[] = []
let tokens: string[] = []

beforeAll(async () => {
  ;[plex, cold] = await Promise.all([createFakePlex(), createFakePlex()])
  cold.fail('*', 'down')
  const main: PlexAuthOptions = {
    jwksUrl: plex.jwksUrl,
    clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
    tokenSources: ['authorization', 'x-plex-token', 'query'],
  }
  const options: Record<Auth, PlexAuthOptions> = {
    main,
    cold: { jwksUrl: cold.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER },
  }
  apps = await Promise.all(
    CURRENT.map(async (framework) => ({
      name: framework.name,
      ...(await framework.start({ options, routes: ROUTES, onHandler: () => {} })),
    })),
  )
  tokens = [
    plex.issueToken(),
    plex.issueToken({ scopes: ['username'] }),
    plex.issueToken({ expiresIn: 1, issuedAt: Math.floor(Date.now() / 1000) - 3600 }),
    plex.issueToken({ clientIdentifier: 'other-app' }),
    cold.issueToken(),
  ]
})

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()))
  await Promise.all([plex, cold].map((fake) => fake?.close()))
})

// What Node's client lets through: header values of tab, printable ASCII and Latin-1; targets without spaces.
const headerChar = fc.constantFrom(...'\t !"#%&*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~\u00e9\u00ff')
const queryChar = fc.constantFrom(...'!"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~')
const b64url = fc.string({ unit: fc.constantFrom(...'ABCxyz019-_'), minLength: 1, maxLength: 40 })

const tokenValue = fc.oneof(
  { weight: 4, arbitrary: fc.nat().map((i) => tokens[i % tokens.length]!) },
  fc.tuple(fc.nat(), fc.nat(), headerChar).map(([i, at, char]) => {
    const token = tokens[i % tokens.length]!
    const position = at % token.length
    return token.slice(0, position) + char + token.slice(position + 1)
  }),
  fc.array(b64url, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('.')),
  fc.string({ unit: headerChar, maxLength: 60 }),
)
const authorization = fc
  .tuple(
    fc.constantFrom('Bearer', 'Bearer', 'bearer', 'BEARER', 'Basic', 'Token', ''),
    fc.constantFrom(' ', ' ', ' ', '  ', '\t', ''),
    tokenValue,
  )
  .map(([scheme, separator, token]) => ['authorization', `${scheme}${separator}${token}`] as [string, string])
const plexHeader = fc
  .tuple(fc.constantFrom('x-plex-token', 'X-Plex-Token', 'X-PLEX-TOKEN'), tokenValue)
  .map(([name, token]) => [name, token] as [string, string])
const query = fc.oneof(
  tokenValue.map((token) => `X-Plex-Token=${encodeURIComponent(token)}`),
  fc
    .tuple(fc.constantFrom('X-Plex-Token[]', 'X-Plex-Token[a]', 'x-plex-token', 'X-Plex-Token'), tokenValue)
    .map(([name, token]) => `${name}=${encodeURIComponent(token)}&X-Plex-Token=${encodeURIComponent(token)}`),
  fc.string({ unit: queryChar, maxLength: 40 }),
)
const requestArb = fc.record({
  path: fc.constantFrom('/me', '/optional', '/email', '/cold'),
  headers: fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.oneof(authorization, plexHeader), { maxLength: 1 }) },
    fc.array(fc.oneof(authorization, plexHeader), { minLength: 2, maxLength: 3 }),
  ),
  query: fc.option(query, { freq: 3 }),
})

function comparable(answer: Answer) {
  return { status: answer.status, challenge: answer.headers['www-authenticate'] }
}

test('every error answer carries a well-formed challenge, the same on every framework', async () => {
  await fc.assert(
    fc.asyncProperty(requestArb, async ({ path, headers, query: search }) => {
      const target = search === null ? path : `${path}?${search}`
      const answers = await Promise.all(apps.map((app) => send(app.url, { path: target, headers })))
      for (const answer of answers) {
        expect([200, 400, 401, 403, 503]).toContain(answer.status)
        if (answer.status >= 400) checkBearerChallenge(answer.headers['www-authenticate'], answer.status)
        if (answer.status === 503) expect(answer.headers['retry-after']).toMatch(/^[1-9]\d*$/)
        else expect(answer.headers['retry-after']).toBeUndefined()
      }
      const [first, ...others] = answers.map(comparable)
      for (const other of others) expect(other).toEqual(first)
    }),
    { numRuns: 120 },
  )
})
