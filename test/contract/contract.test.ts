import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import { format } from 'node:util'
import type { PlexAuthEvent } from '@plexauth/core'
import {
  createFakePlex,
  DEFAULT_CLIENT_IDENTIFIER,
  DEFAULT_USER,
  type FakePlex,
  PLEX_PATHS,
} from '@plexauth/testing'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { FRAMEWORKS, type RunningApp } from './apps.js'
import {
  accessOptions,
  authOptions,
  CASES,
  type ContractCase,
  FRIEND_ID,
  OWNER_ID,
  SERVER_ID,
  STRANGER_ID,
} from './cases.js'
import { type Answer, type RequestShape, send } from './http.js'

interface Running extends RunningApp {
  handlerCalls: number
  events: PlexAuthEvent[]
}

let plex: FakePlex
let cold: FakePlex
let stale: FakePlex
let burst: FakePlex
let gate: FakePlex
let forge: FakePlex
const apps = new Map<string, Running>()

beforeAll(async () => {
  ;[plex, cold, stale, burst, gate, forge] = await Promise.all([
    createFakePlex(),
    createFakePlex(),
    createFakePlex(),
    createFakePlex(),
    createFakePlex(),
    createFakePlex(),
  ])
  cold.fail('*', 'down')
  // The stale fake publishes the main fake's keys, so every row's tokens verify against either.
  stale.setKeysResponse(plex.keys)
  burst.setKeysResponse(plex.keys)
  // Server access: the owner's server, shared with a friend, unknown to a stranger. The gate fake holds the
  // same accounts and share, and accepts the main fake's tokens, until it is taken down below.
  for (const fake of [plex, gate, forge]) {
    fake.addAccount({ id: FRIEND_ID, username: 'friend' })
    fake.addAccount({ id: STRANGER_ID, username: 'stranger' })
    fake.addServer({ machineIdentifier: SERVER_ID, ownerId: OWNER_ID, sharedWith: [FRIEND_ID] })
  }
  gate.addKey(plex.signingKey)
  // Whoever asks, the forge's device list shows the server as a device the asking account owns.
  forge.fail(PLEX_PATHS.resources, {
    body: [{ name: 'Basement', clientIdentifier: SERVER_ID, provides: 'server', owned: true, ownerId: null }],
  })
  const urls = {
    jwksUrl: plex.jwksUrl,
    coldJwksUrl: cold.jwksUrl,
    staleJwksUrl: stale.jwksUrl,
    burstJwksUrl: burst.jwksUrl,
    plexTvUrl: plex.url,
    downPlexTvUrl: cold.url,
    gatePlexTvUrl: gate.url,
    forgePlexTvUrl: forge.url,
    forgeOwnerToken: forge.createLegacyToken({ accountId: OWNER_ID }),
  }
  const friendToken = plex.issueToken({ user: { id: FRIEND_ID } })
  const warmUp = plex.issueToken()
  for (const framework of FRAMEWORKS) {
    const events: PlexAuthEvent[] = []
    const running: Running = { url: '', close: async () => {}, handlerCalls: 0, events }
    const app = await framework.start({
      options: authOptions(urls, (event) => events.push(event)),
      access: accessOptions(urls),
      onHandler: () => running.handlerCalls++,
    })
    Object.assign(running, app)
    apps.set(framework.name, running)
    const answer = await send(app.url, {
      path: '/stale/me',
      headers: [['authorization', `Bearer ${warmUp}`]],
    })
    expect(answer.status, `${framework.name} warms its stale key cache: ${answer.text}`).toBe(200)
    const access = await send(app.url, { path: '/access/stale', headers: [['x-plex-token', friendToken]] })
    expect(access.status, `${framework.name} learns the friend's access: ${access.text}`).toBe(200)
  }
  gate.fail('*', 'down')
  // Every stale route now holds keys; take their source down and let them expire (jwks.maxAge is 1 s).
  stale.fail(PLEX_PATHS.keys, 'down')
  await sleep(1100)
})

afterAll(async () => {
  await Promise.all([...apps.values()].map((app) => app.close()))
  await Promise.all([plex, cold, stale, burst, gate, forge].map((fake) => fake?.close()))
})

// Each row's request is built once, so every framework receives exactly the same bytes.
const shapes = new Map<ContractCase, RequestShape>()
const shapeOf = (row: ContractCase): RequestShape => {
  let shape = shapes.get(row)
  if (shape === undefined) {
    shape = row.request(plex)
    shapes.set(row, shape)
  }
  return shape
}

type Seen = Pick<Answer, 'status' | 'body'> & { headers: Record<string, unknown> }
const seen = new Map<ContractCase, Map<string, Seen>>()
const COMPARED_HEADERS = ['www-authenticate', 'retry-after', 'content-type']

function tokensIn(shape: RequestShape): string[] {
  const tokens = (shape.headers ?? []).map(([, value]) => value.replace(/^bearer /i, ''))
  const query = new URL(shape.path, 'http://x').searchParams.getAll('X-Plex-Token')
  // Long enough to be a token (a legacy one has 20 characters), unlike the other header values sent.
  return [...tokens, ...query].filter((token) => token.length >= 20)
}

function record(row: ContractCase, name: string, answer: Answer): void {
  const headers = Object.fromEntries(COMPARED_HEADERS.map((header) => [header, answer.headers[header]]))
  if (!seen.has(row)) seen.set(row, new Map())
  seen.get(row)!.set(name, { status: answer.status, headers, body: answer.body })
}

describe.each(FRAMEWORKS.map((framework) => framework.name))('%s', (name) => {
  test.each(CASES.map((row) => [row.name, row] as const))('%s', async (_label, row) => {
    const app = apps.get(name)!
    const shape = shapeOf(row)
    const { expect: want } = row
    const callsBefore = app.handlerCalls
    const answer = await send(app.url, shape)

    expect(answer.status).toBe(want.status)
    const www = answer.headers['www-authenticate']
    if (want.wwwAuthenticate === null) expect(www).toBeUndefined()
    else if (typeof want.wwwAuthenticate === 'string') expect(www).toBe(want.wwwAuthenticate)
    else expect(www).toMatch(want.wwwAuthenticate)
    expect(answer.headers['retry-after']).toBe(want.retryAfter)
    expect(app.handlerCalls - callsBefore, 'route handler calls').toBe(
      (want.handled ?? want.status < 300) ? 1 : 0,
    )
    for (const token of tokensIn(shape)) expect(answer.text.includes(token), 'token echoed').toBe(false)

    if (want.allowOrigin !== undefined || want.status === 204) {
      expect(answer.headers['access-control-allow-origin']).toBe(want.allowOrigin ?? '*')
    }
    if (want.status === 204) {
      expect(answer.text).toBe('')
    } else {
      expect(answer.headers['content-type']).toMatch(/^application\/json(;|$)/)
    }
    const body = answer.body as Record<string, unknown>
    if (want.status === 200) {
      expect(body.route).toBe(new URL(shape.path, 'http://x').pathname)
      const plexBody = body.plex as { user: { id: number }; kind: string; access?: unknown } | null
      expect(plexBody === null ? null : plexBody.user.id).toBe(want.user)
      if (plexBody !== null) expect(plexBody.kind).toBe(want.kind ?? 'jwt')
      if (plexBody !== null) {
        const access =
          want.access === undefined ? undefined : { machineIdentifier: SERVER_ID, ...want.access }
        expect(plexBody.access).toEqual(access)
      }
    } else if (want.forwarded === true) {
      expect(body).toEqual({ handledBy: 'app', code: want.code })
    } else if (want.code !== undefined) {
      expect(body.code).toBe(want.code)
      expect(Object.keys(body).sort()).toEqual(['code', 'error', 'error_description'])
    }
    if (row.check === 'stale-event') expect(app.events.map((event) => event.type)).toContain('keys_stale')

    record(row, name, answer)
  })

  test('50 concurrent requests of 5 users each get their own identity', async () => {
    const app = apps.get(name)!
    // Users with an odd index lack the email scope: a leaked identity would flip 200 and 403.
    const users = [101, 202, 303, 404, 505]
    const requests = Array.from({ length: 50 }, (_, i) => {
      const index = i % users.length
      const id = users[index]!
      const scopes = index % 2 === 0 ? ['username', 'email'] : ['username']
      // The first half share one token per user (cache hits), the rest are fresh (verified concurrently).
      const token = plex.issueToken({ user: { id }, scopes, claims: i < 25 ? { nonce: `n${id}` } : {} })
      return { id, token, expected: index % 2 === 0 ? 200 : 403 }
    })
    const handlerCallsBefore = app.handlerCalls
    // This app's first key fetch is slow: the requests pile up behind it and then resume in the same turn.
    const fetchesBefore = burst.requests(PLEX_PATHS.keys)
    burst.fail(PLEX_PATHS.keys, { delayMs: 100 }, { times: 1 })
    const answers = await Promise.all(
      requests.map(({ token }) => send(app.url, { path: '/slow', headers: [['x-plex-token', token]] })),
    )
    expect(answers.map((answer) => answer.status)).toEqual(requests.map(({ expected }) => expected))
    const seenUsers = answers.map(
      (answer) => (answer.body as { plex?: { user: { id: number } } }).plex?.user.id,
    )
    expect(seenUsers).toEqual(requests.map(({ id, expected }) => (expected === 200 ? id : undefined)))
    expect(app.handlerCalls - handlerCallsBefore).toBe(30)
    expect(burst.requests(PLEX_PATHS.keys) - fetchesBefore, 'one key fetch for the whole burst').toBe(1)
  })

  test('a token verified before takes the fast path and still meets every rule', async () => {
    const app = apps.get(name)!
    const token = plex.issueToken({ scopes: ['username'], expiresIn: 120, claims: { nonce: `fast-${name}` } })
    const ask = (path: string) => send(app.url, { path, headers: [['authorization', `Bearer ${token}`]] })
    const callsBefore = app.handlerCalls
    expect((await ask('/me')).status).toBe(200)
    const again = await ask('/me')
    expect(again.status).toBe(200)
    expect((again.body as { plex: { user: { id: number } } }).plex.user.id).toBe(DEFAULT_USER.id)
    expect((await ask('/email')).status).toBe(403)
    expect(app.handlerCalls - callsBefore).toBe(2)
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(Date.now() + 181_000)
      const expired = await ask('/me')
      expect(expired.status).toBe(401)
      expect((expired.body as { code: string }).code).toBe('TOKEN_EXPIRED')
    } finally {
      vi.useRealTimers()
    }
    expect(app.handlerCalls - callsBefore).toBe(2)
  })

  test('keeps answering after failures: anonymous, then the owner', async () => {
    const app = apps.get(name)!
    expect((await send(app.url, { path: '/me' })).status).toBe(401)
    const answer = await send(app.url, { path: '/me', headers: [['x-plex-token', plex.issueToken()]] })
    expect((answer.body as { plex: { user: { id: number } } }).plex.user.id).toBe(DEFAULT_USER.id)
  })
})

describe.each(FRAMEWORKS.map((framework) => [framework.name, framework] as const))(
  '%s without clientIdentifier (issue 11)',
  (_name, framework) => {
    test('refuses tokens issued to any app, and says so once when the middleware is built', async () => {
      const events: PlexAuthEvent[] = []
      const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
      let app: RunningApp | undefined
      try {
        app = await framework.start<'bare' | 'any'>({
          options: {
            bare: { jwksUrl: plex.jwksUrl, onEvent: (event) => events.push(event) },
            any: { jwksUrl: plex.jwksUrl, acceptAnyAudience: true },
          },
          routes: [
            { method: 'GET', path: '/bare', auth: 'bare' },
            { method: 'GET', path: '/any', auth: 'any' },
          ],
          onHandler: () => {},
        })
        const ask = (path: string, token: string) =>
          send(app!.url, { path, headers: [['authorization', `Bearer ${token}`]] })
        for (const clientIdentifier of [DEFAULT_CLIENT_IDENTIFIER, 'another-app']) {
          const token = plex.issueToken({ clientIdentifier })
          const refused = await ask('/bare', token)
          expect(refused.status).toBe(401)
          expect((refused.body as { code: string }).code).toBe('TOKEN_CLAIMS_INVALID')
          // The explicit opt-out accepts every app, and warns of nothing.
          expect((await ask('/any', token)).status).toBe(200)
        }
        expect(events.filter((event) => event.type === 'audience_unchecked')).toHaveLength(1)
        expect(warning).not.toHaveBeenCalled()
      } finally {
        warning.mockRestore()
        await app?.close()
      }
    })
  },
)

test('every framework answers every row the same', async () => {
  // Run alone (`-t`), the rows have not been sent yet: send the missing ones, so the comparison stands on its own.
  for (const row of CASES) {
    for (const { name } of FRAMEWORKS) {
      if (seen.get(row)?.has(name) !== true) record(row, name, await send(apps.get(name)!.url, shapeOf(row)))
    }
  }
  expect(seen.size).toBe(CASES.length)
  for (const [row, byFramework] of seen) {
    expect([...byFramework.keys()], row.name).toEqual(FRAMEWORKS.map((framework) => framework.name))
    const [first, ...others] = [...byFramework.values()]
    for (const other of others) expect(other, row.name).toEqual(first)
  }
})

test('the version matrix runs the majors it claims', () => {
  const require = createRequire(import.meta.url)
  const major = (name: string) =>
    (require(`${name}/package.json`) as { version: string }).version.split('.')[0]
  expect(['express', 'express4', 'fastify', 'fastify4', 'koa', 'koa2'].map(major)).toEqual([
    '5',
    '4',
    '5',
    '4',
    '3',
    '2',
  ])
})

describe.each(FRAMEWORKS.map((framework) => [framework.name, framework] as const))(
  '%s: an unexpected error (a bug)',
  (_name, framework) => {
    test('answers the same fail-closed 500 and surfaces the error where the framework reports errors', async () => {
      const surfaced: string[] = []
      const consoleError = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
        surfaced.push(format(...args))
      })
      // Express reports errors unless its env is 'test' (vitest's NODE_ENV): start the app as production would.
      const nodeEnv = process.env.NODE_ENV
      process.env.NODE_ENV = 'production'
      let app: RunningApp | undefined
      try {
        app = await framework.start<'main'>({
          options: { main: { jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER } },
          routes: [
            {
              method: 'GET',
              path: '/bug',
              auth: 'main',
              guards: [
                {
                  kind: 'user',
                  predicate: () => {
                    throw new Error('predicate bug 4711')
                  },
                },
              ],
            },
          ],
          onHandler: () => {},
          // Fastify's logger; Koa's 'error' event. Express has neither: its report goes to console.error.
          logStream: { write: (line) => surfaced.push(line) },
          onAppError: (err) => surfaced.push(format('%O', err)),
        })
      } finally {
        process.env.NODE_ENV = nodeEnv
      }
      try {
        const token = plex.issueToken()
        const answer = await send(app.url, { path: '/bug', headers: [['authorization', `Bearer ${token}`]] })
        expect(answer.status).toBe(500)
        expect(answer.headers['www-authenticate']).toBe('Bearer realm="plex"')
        expect(answer.body).toEqual({
          error: 'server_error',
          error_description: 'Internal server error',
          code: 'INTERNAL_ERROR',
        })
        expect(surfaced.filter((line) => line.includes('predicate bug 4711'))).not.toEqual([])
        for (const line of surfaced) expect(line.includes(token), 'token in a report').toBe(false)
      } finally {
        consoleError.mockRestore()
        await app.close()
      }
    })
  },
)
