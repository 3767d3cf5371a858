import { format } from 'node:util'
import { PlexAuthError, toHttpError } from '@plexauth/core'
import type { PlexAuthOptions } from '@plexauth/core/adapter'
import {
  createFakePlex,
  DEFAULT_CLIENT_IDENTIFIER,
  DEFAULT_USER,
  type FakePlex,
  PLEX_PATHS,
} from '@plexauth/testing'
import { afterAll, beforeAll, describe, expect, type MockInstance, test, vi } from 'vitest'
import { FRAMEWORKS, type RunningApp } from '../contract/apps.js'
import type { GuardSpec, RouteSpec } from '../contract/cases.js'
import { type Answer, send, sendRaw } from '../contract/http.js'
import { checkBearerChallenge } from './challenge.js'
import { availabilityRows } from './rows/availability.js'
import { claimsRows } from './rows/claims.js'
import { keysRows } from './rows/keys.js'
import { legacyBudgetRows } from './rows/legacy-budget.js'
import { parsingRows } from './rows/parsing.js'
import { signatureRows } from './rows/signature.js'
import { transportRows } from './rows/transport.js'
import {
  type Env,
  type Expect,
  type Group,
  type Phase,
  type RecordedEvent,
  type Req,
  type Row,
  SHARED_ROUTES,
  secretsOf,
} from './support.js'

/**
 * The adversarial table, run through every framework of the contract suite. For every refused request:
 * the route handler is not called, the request ends with no identity, the answer is the canonical error
 * (so no token or claim text comes back), every framework answers the same, and a valid token still passes
 * afterwards. Around the whole run: no unhandled rejection, and no log line or event carries a token.
 */

const ROWS: readonly Row[] = [
  ...signatureRows,
  ...claimsRows,
  ...keysRows,
  ...parsingRows,
  ...transportRows,
  ...availabilityRows,
  ...legacyBudgetRows,
]
const GROUPS: readonly Group[] = ['signature', 'claims', 'keys', 'parsing', 'transport', 'availability']
const OWNER_ID = DEFAULT_USER.id
const THROWING: GuardSpec = {
  kind: 'user',
  predicate: () => {
    throw new Error('predicate bug')
  },
}

interface App extends RunningApp {
  name: string
  handlerCalls: number
  /** The identity each finished request held, in order. */
  finished: unknown[]
}

const apps: App[] = []
const fakes = new Map<Row, FakePlex>()
const events: RecordedEvent[] = []
const logLines: string[] = []
const appErrors: string[] = []
const unhandled: unknown[] = []
/** Every token value and token part any request carried, plus the rows' own secrets. */
const sentSecrets = new Set<string>()
const consoleSpies: MockInstance[] = []
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort()
let plex: FakePlex
let keys: FakePlex
let currentRow: Row | undefined

const onUnhandled = (reason: unknown) => unhandled.push(reason)

const routeName = (row: Row) => `row${ROWS.indexOf(row)}`
const routePath = (row: Row) =>
  typeof row.route === 'function' ? `/row/${ROWS.indexOf(row)}` : SHARED_ROUTES[row.route ?? 'main'].path

const env: Env = {
  get plex() {
    return plex
  },
  get keys() {
    return keys
  },
  get own() {
    const fake = currentRow === undefined ? undefined : fakes.get(currentRow)
    if (fake === undefined) throw new Error('this row has no plex.tv of its own')
    return fake
  },
  advance(seconds) {
    vi.setSystemTime(Date.now() + seconds * 1000)
  },
  events,
  rowEvents: () =>
    currentRow === undefined ? [] : events.filter(({ route }) => route === routeName(currentRow!)),
  frameworks: FRAMEWORKS.length,
  async until(condition, limitMs = 5000) {
    const start = performance.now()
    while (!condition()) {
      if (performance.now() - start > limitMs) throw new Error('condition not reached')
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  },
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled)
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    consoleSpies.push(vi.spyOn(console, method))
  }
  // Only Date is faked: sockets and timers stay real, and the clock moves only when a row says so.
  vi.useFakeTimers({ toFake: ['Date'] })
  // Mid-rotation key sets (two keys, the signer last): the rows about kids and key counts need them.
  const rotating = { keyCount: 2, signingKeyPosition: 'last' } as const
  ;[plex, keys] = await Promise.all([createFakePlex(rotating), createFakePlex(rotating)])
  for (const row of ROWS) {
    if (row.ownPlex === true) fakes.set(row, await createFakePlex(rotating))
  }

  const routes: RouteSpec<string>[] = [
    { method: 'GET', path: SHARED_ROUTES.main.path, auth: 'main' },
    { method: 'GET', path: SHARED_ROUTES.query.path, auth: 'query' },
    { method: 'GET', path: SHARED_ROUTES.keys.path, auth: 'keys' },
    { method: 'GET', path: SHARED_ROUTES.throws.path, auth: 'main', guards: [THROWING] },
  ]
  for (const row of ROWS) {
    if (typeof row.route === 'function') {
      routes.push({ method: 'GET', path: routePath(row), auth: routeName(row) })
    }
  }

  for (const framework of FRAMEWORKS) {
    const app: App = { name: framework.name, url: '', close: async () => {}, handlerCalls: 0, finished: [] }
    const withEvents = (route: string, options: PlexAuthOptions): PlexAuthOptions => ({
      ...options,
      onEvent: (event) => events.push({ framework: framework.name, route, event }),
    })
    const main = { jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER }
    const options: Record<string, PlexAuthOptions> = {
      main: withEvents('main', main),
      query: withEvents('query', { ...main, tokenSources: ['authorization', 'x-plex-token', 'query'] }),
      keys: withEvents('keys', {
        jwksUrl: keys.jwksUrl,
        clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
        jwks: { cooldown: 0 },
      }),
    }
    for (const row of ROWS) {
      if (typeof row.route !== 'function') continue
      currentRow = row
      options[routeName(row)] = withEvents(routeName(row), row.route(env))
    }
    currentRow = undefined
    Object.assign(
      app,
      await framework.start({
        options,
        routes,
        onHandler: () => app.handlerCalls++,
        onFinished: (identity) => app.finished.push(identity),
        logStream: { write: (line) => logLines.push(line) },
        onAppError: (err) => appErrors.push(format('%s %O', err instanceof Error ? err.stack : err, err)),
      }),
    )
    apps.push(app)
  }
  // Warm the shared routes, so rows meet a verifier that holds keys.
  for (const app of apps) {
    for (const [path, fake] of [
      [SHARED_ROUTES.main.path, plex],
      [SHARED_ROUTES.query.path, plex],
      [SHARED_ROUTES.keys.path, keys],
    ] as const) {
      const answer = await send(app.url, {
        path,
        headers: [['authorization', `Bearer ${fake.issueToken()}`]],
      })
      expect(answer.status, `${app.name} ${path}: ${answer.text}`).toBe(200)
    }
  }
}, 60_000)

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled)
  for (const spy of consoleSpies) spy.mockRestore()
  vi.useRealTimers()
  await Promise.all(apps.map((app) => app.close()))
  await Promise.all([plex, keys, ...fakes.values()].map((fake) => fake?.close()))
})

// One row ---------------------------------------------------------------------------------------------

function phasesOf(row: Row): readonly Phase[] {
  if (row.phases !== undefined) return row.phases
  if (row.send === undefined || row.expect === undefined) throw new Error(`${row.name}: no phases`)
  return [{ send: row.send, expect: row.expect }]
}

function sendTo(app: App, row: Row, req: Req): Promise<Answer> {
  const path = `${routePath(row)}${req.query === undefined ? '' : `?${req.query}`}`
  if (req.rawHeaderLines !== undefined)
    return sendRaw(app.url, { method: req.method, path, headerLines: req.rawHeaderLines })
  return send(app.url, { method: req.method, path, headers: req.headers, localAddress: req.from })
}

/** What must be identical on every framework. */
function comparable(answer: Answer) {
  const headers = ['www-authenticate', 'retry-after', 'content-type'].map((name) => answer.headers[name])
  return { status: answer.status, headers, body: answer.body }
}

/** The canonical answer core gives for `expected`: status, challenge, Retry-After and body. */
function canonical(expected: Expect) {
  const err =
    expected.code === 'INTERNAL_ERROR'
      ? new Error('bug')
      : new PlexAuthError(
          expected.code!,
          expected.retryAfter === undefined ? {} : { retryAfter: Number(expected.retryAfter) },
        )
  return toHttpError(err)
}

function checkAnswer(answer: Answer, expected: Expect, secrets: readonly string[], where: string): void {
  expect(answer.status, `${where}: ${answer.text.slice(0, 200)}`).toBe(expected.status)
  const headerText = Object.entries(answer.headers)
    .map(([name, value]) => `${name}: ${String(value)}`)
    .join('\n')
  for (const secret of secrets) {
    expect(answer.text.includes(secret), `${where}: answer body echoes ${secret.slice(0, 40)}`).toBe(false)
    expect(headerText.includes(secret), `${where}: answer headers echo ${secret.slice(0, 40)}`).toBe(false)
  }
  expect(
    Object.keys(answer.headers).filter((name) => name.includes('injected')),
    where,
  ).toEqual([])
  if (expected.byNode === true) return
  if (expected.status >= 400) {
    const want = canonical(expected)
    expect(want.status, `${where}: table row`).toBe(expected.status)
    checkBearerChallenge(answer.headers['www-authenticate'], answer.status)
    expect(answer.headers['www-authenticate'], where).toBe(want.headers['www-authenticate'])
    expect(answer.headers['retry-after'], where).toBe(want.headers['retry-after'])
    expect(answer.headers['content-type'], where).toMatch(/^application\/json(;|$)/)
    expect(answer.body, where).toEqual(want.body)
  } else {
    expect(answer.headers['www-authenticate'], where).toBeUndefined()
    const body = answer.body as { plex?: { kind: string; user: { id: number } } }
    expect(body.plex?.kind, where).toBe(expected.kind ?? 'jwt')
    expect(body.plex?.user.id, where).toBe(expected.user ?? OWNER_ID)
  }
}

async function runPhase(row: Row, phase: Phase, index: number): Promise<void> {
  await phase.before?.(env)
  const built = phase.send(env)
  const requests: readonly Req[] = Array.isArray(built) ? built : [built as Req]
  const secrets = [...new Set([...requests.flatMap((req) => secretsOf(req)), ...(row.secrets?.() ?? [])])]
  for (const secret of secrets) sentSecrets.add(secret)
  const expected = phase.expect
  const passes = expected.status < 300
  // The user the request must end with: the token's on success (and past a guard that threw), else none.
  const attachedUser = passes || expected.user !== undefined ? (expected.user ?? OWNER_ID) : undefined
  const answers = new Map<string, Answer[]>()

  const runOn = async (app: App) => {
    const where = `${app.name}, phase ${index + 1}`
    const calls = app.handlerCalls
    const finished = app.finished.length
    const got = await Promise.all(requests.map((req) => sendTo(app, row, req)))
    answers.set(app.name, got)
    for (const answer of got) checkAnswer(answer, expected, secrets, where)
    // Node's own refusals never reach the framework.
    const reached = expected.byNode === true ? 0 : requests.length
    await env.until(() => app.finished.length >= finished + reached)
    const identities = app.finished.slice(finished)
    expect(identities, where).toHaveLength(reached)
    expect(app.handlerCalls - calls, `${where}: route handler calls`).toBe(passes ? requests.length : 0)
    for (const identity of identities) {
      const user = (identity as { user?: { id: number } } | null | undefined)?.user?.id
      expect(user, `${where}: identity attached`).toBe(attachedUser)
    }
  }
  if (row.parallel === true) await Promise.all(apps.map(runOn))
  else for (const app of apps) await runOn(app)

  // The HTTP server's own refusals (Fastify words them itself) only need the same status.
  const shape = (answer: Answer) =>
    expected.byNode === true ? { status: answer.status } : comparable(answer)
  const [first, ...others] = apps.map((app) => answers.get(app.name)!.map(shape))
  for (const [i, other] of others.entries()) {
    expect(other, `${apps[i + 1]!.name} answers as ${apps[0]!.name}, phase ${index + 1}`).toEqual(first)
  }
}

async function runRow(row: Row): Promise<void> {
  currentRow = row
  const own = fakes.get(row)
  const keyFetches = () => ({
    plex: plex.requests(PLEX_PATHS.keys),
    keys: keys.requests(PLEX_PATHS.keys),
    own: own?.requests(PLEX_PATHS.keys) ?? 0,
  })
  const before = keyFetches()
  const eventsBefore = events.length
  try {
    await row.setup?.(env)
    for (const [index, phase] of phasesOf(row).entries()) await runPhase(row, phase, index)
    const after = keyFetches()
    row.check?.(env, {
      keyFetches: {
        plex: after.plex - before.plex,
        keys: after.keys - before.keys,
        own: after.own - before.own,
      },
      events: events.slice(eventsBefore),
      frameworks: apps.length,
    })
  } finally {
    await row.teardown?.(env)
    currentRow = undefined
  }
  // Whatever the row did, the app still serves a valid token.
  for (const app of apps) {
    const answer = await send(app.url, {
      path: SHARED_ROUTES.main.path,
      headers: [['x-plex-token', plex.issueToken({ user: { id: 31337 } })]],
    })
    expect(answer.status, `${app.name}: a valid token afterwards: ${answer.text}`).toBe(200)
    expect((answer.body as { plex: { user: { id: number } } }).plex.user.id).toBe(31337)
  }
}

// The table ---------------------------------------------------------------------------------------------

describe.each(GROUPS)('%s', (group) => {
  test.each(ROWS.filter((row) => row.group === group).map((row) => [row.name, row] as const))(
    '%s',
    async (_name, row) => runRow(row),
  )
})

describe('around the whole run', () => {
  test('at least sixty rows, every group represented, names unique', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(60)
    for (const group of GROUPS)
      expect(ROWS.filter((row) => row.group === group).length, group).toBeGreaterThan(3)
    expect(new Set(ROWS.map((row) => row.name)).size).toBe(ROWS.length)
  })

  test('no unhandled rejection', () => {
    expect(unhandled).toEqual([])
  })

  test('prototypes stay untouched', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys)
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
  })

  test('no log line, app error or event carries a token, a signature or anything token-shaped', () => {
    const consoleLines = consoleSpies.flatMap((spy) => spy.mock.calls.map((args) => format(...args)))
    const eventLines = events.map((recorded) => JSON.stringify(recorded.event))
    const lines = [...logLines, ...consoleLines, ...appErrors, ...eventLines]
    // The capture worked: Fastify logged every request, the throwing guard reached Koa's error event.
    expect(logLines.length).toBeGreaterThan(ROWS.length)
    expect(appErrors.length).toBeGreaterThan(0)
    expect(sentSecrets.size).toBeGreaterThan(ROWS.length)
    const tokenShaped = /[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}/
    for (const line of lines) {
      expect(tokenShaped.exec(line)?.[0], line.slice(0, 300)).toBeUndefined()
      for (const secret of sentSecrets) {
        if (line.includes(secret)) expect.fail(`logged ${secret.slice(0, 40)}…: ${line.slice(0, 300)}`)
      }
    }
  })
})
