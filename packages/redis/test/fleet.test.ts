import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createFakePlex, DEFAULT_CLIENT_IDENTIFIER, type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { Browser } from '../../../test/login/browser.js'
import { type RedisServer, startRedis } from './redis-server.js'

// Three instances of one app, each a process of its own, sharing one redis-server and one fake plex.tv.
const APP = fileURLToPath(new URL('./fleet-app.ts', import.meta.url))
const SECRET = 'the-fleet-secret-of-at-least-32-characters'

interface Instance {
  readonly child: ChildProcess
  readonly url: string
}

let redis: RedisServer
let plex: FakePlex
let fleet: Instance[] = []

async function startInstance(): Promise<Instance> {
  const child = fork(APP, {
    execArgv: ['--import', 'tsx', '--conditions=dev-source'],
    env: {
      ...process.env,
      REDIS_URL: redis.url,
      PLEX_URL: plex.url,
      PLEXAUTH_SECRET: SECRET,
      CLIENT_IDENTIFIER: DEFAULT_CLIENT_IDENTIFIER,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port))
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}`)))
  })
  return { child, url: `http://127.0.0.1:${port}` }
}

async function stopInstance({ child }: Instance): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.disconnect()
  await exited
}

async function get(
  instance: Instance,
  path: string,
  token?: string,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${instance.url}${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
}

/** Sends each token to one instance (round robin, all at once), then to every other instance. */
/** How many records the instances' shared cache holds in Redis (legacy tokens' among them). */
async function cacheRecords(): Promise<number> {
  return ((await redis.command('KEYS', 'plexauth:cache:*')) as string[]).length
}

async function spread(tokens: readonly string[]): Promise<number[]> {
  const before = await cacheRecords()
  const first = await Promise.all(tokens.map((token, i) => get(fleet[i % fleet.length]!, '/whoami', token)))
  // An instance answers before its record of the token reaches Redis (core does not await the write, so
  // that a slow store never holds an answer back): the other instances are asked once the records are there.
  await vi.waitFor(async () => expect(await cacheRecords()).toBeGreaterThanOrEqual(before + tokens.length), {
    timeout: 5_000,
    interval: 20,
  })
  const rest = await Promise.all(
    tokens.flatMap((token, i) =>
      fleet.filter((_, j) => j !== i % fleet.length).map((instance) => get(instance, '/whoami', token)),
    ),
  )
  return [...first, ...rest].map((answer) => answer.status)
}

const legacyTokens = (n: number) => Array.from({ length: n }, () => plex.createLegacyToken())

beforeAll(async () => {
  ;[redis, plex] = await Promise.all([startRedis(), createFakePlex()])
  fleet = await Promise.all([startInstance(), startInstance(), startInstance()])
}, 30_000)

afterAll(async () => {
  await Promise.all(fleet.map(stopInstance))
  await Promise.all([redis?.stop(), plex?.close()])
})

// The tests run in order: a cold start, sharing, sign-out, then Redis killed and brought back.
describe('three instances on one Redis', () => {
  test('a cold start of the three costs one key fetch', async () => {
    const answers = await Promise.all(fleet.map((instance) => get(instance, '/whoami', plex.issueToken())))
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200])
    expect(plex.requests(PLEX_PATHS.keys)).toBe(1)
  })

  test('N distinct legacy tokens cost exactly N plex.tv lookups between them', async () => {
    plex.resetCounters()
    const tokens = legacyTokens(30)
    const statuses = await spread(tokens)
    expect(statuses).toEqual(Array(90).fill(200))
    const states = await Promise.all(fleet.map((instance) => get(instance, '/status')))
    expect(states.map((state) => state.body)).toEqual(Array(3).fill({ available: true, events: {} }))
    expect(plex.requests(PLEX_PATHS.user)).toBe(30)
  })

  test('a sign-out on one instance holds on the others as soon as the revocation reaches them', async () => {
    const [a, b, c] = fleet as [Instance, Instance, Instance]
    const browser = new Browser(a.url)
    const pin = (await browser.send('/auth/plex/pin', { method: 'POST' })).body as {
      id: number
      code: string
    }
    plex.approvePin(pin.code)
    expect((await browser.send(`/auth/plex/pin/${pin.id}`)).body).toMatchObject({ status: 'signed_in' })
    // The same browser behind a proxy that spreads its requests over the three instances.
    const on = (instance: Instance) => Object.assign(new Browser(instance.url), { cookies: browser.cookies })
    for (const instance of fleet) expect((await on(instance).send('/whoami')).status).toBe(200)
    const stolen = new Map(browser.cookies)
    const loggedOut = await browser.send('/auth/plex/logout', { method: 'POST', headers: { origin: a.url } })
    expect(loggedOut.status).toBe(204)
    // The cookie, replayed (say, kept by an attacker): the two instances that had it cached treat it as no
    // session at all as soon as the revocation's pub/sub message reaches them (milliseconds), rather than at
    // the session's next check (revalidateAfter, 10 minutes). The wait is bounded well below that; on a
    // loaded machine the message may still be in flight when the logout's 204 arrives.
    const replay = (instance: Instance) => Object.assign(new Browser(instance.url), { cookies: stolen })
    let after: { status: number; body: unknown }[] = []
    await vi.waitFor(
      async () => {
        after = await Promise.all([b, c].map((instance) => replay(instance).send('/whoami')))
        expect(after.map((answer) => answer.status)).toEqual([401, 401])
      },
      { timeout: 5_000, interval: 25 },
    )
    expect(after.map((answer) => (answer.body as { code?: string }).code)).toEqual([
      'TOKEN_MISSING',
      'TOKEN_MISSING',
    ])
  })

  test('PIN creation: one budget for the fleet', async () => {
    // A burst of 3 for the whole fleet, refilled once in ~17 minutes: the sign-in above took one.
    const answers = await Promise.all(
      fleet.map((instance) => new Browser(instance.url).send('/auth/plex/pin', { method: 'POST' })),
    )
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 429])
    expect(plex.requests(PLEX_PATHS.pins)).toBe(3)
  })

  test('a revocation made on one instance holds on the others', async () => {
    const query = `?user=7&issuedAt=${Math.floor(Date.now() / 1000) - 5}`
    const before = await Promise.all(fleet.map((instance) => get(instance, `/sessions/s-1${query}`)))
    expect(before.map((answer) => answer.body)).toEqual(Array(3).fill({ revoked: false }))
    const revoked = await fetch(`${fleet[0]!.url}/sessions/s-1/revoke`, { method: 'POST' })
    expect(revoked.status).toBe(204)
    const after = await Promise.all(fleet.map((instance) => get(instance, `/sessions/s-1${query}`)))
    expect(after.map((answer) => answer.body)).toEqual(Array(3).fill({ revoked: true }))
    const other = await get(fleet[2]!, `/sessions/s-2${query}`)
    expect(other.body).toEqual({ revoked: false })
  })

  test('Redis killed mid-run: every request is still answered, never with a 500; Redis back: sharing resumes', async () => {
    const known = legacyTokens(6)
    await spread(known)
    await redis.kill()
    plex.resetCounters()
    // Known tokens, new legacy tokens, Plex JWTs and garbage, to every instance, all at once.
    const fresh = legacyTokens(6)
    const requests = fleet.flatMap((instance) => [
      ...known.map((token) => get(instance, '/whoami', token)),
      ...fresh.map((token) => get(instance, '/whoami', token)),
      get(instance, '/whoami', plex.issueToken()),
      get(instance, '/whoami', 'not-a-token-plex-knows'),
      get(instance, '/sessions/s-1?user=7&issuedAt=0'),
    ])
    const answers = await Promise.all(requests)
    const statuses = answers.map((answer) => answer.status)
    expect(statuses.filter((status) => status >= 500)).toEqual([])
    expect(statuses.filter((status) => status === 200)).toHaveLength(3 * (6 + 6 + 1 + 1))
    expect(statuses.filter((status) => status === 401)).toHaveLength(3)
    // The sign-out seen while Redis was up still holds on every instance.
    expect(answers.filter((answer) => JSON.stringify(answer.body) === '{"revoked":true}')).toHaveLength(3)
    // Alone, each instance asks plex.tv about each new token once: the in-process cache still works.
    expect(plex.requests(PLEX_PATHS.user)).toBe(3 * 6 + 3)
    for (const instance of fleet) {
      const status = await get(instance, '/status')
      expect(status.body).toMatchObject({
        available: false,
        events: { redis_unavailable: expect.any(Number) },
      })
    }

    await redis.restart()
    await vi.waitFor(
      async () => {
        const statuses = await Promise.all(fleet.map((instance) => get(instance, '/status')))
        expect(statuses.map((status) => (status.body as { available: boolean }).available)).toEqual([
          true,
          true,
          true,
        ])
      },
      { timeout: 10_000, interval: 100 },
    )
    plex.resetCounters()
    const after = legacyTokens(12)
    expect(await spread(after)).toEqual(Array(36).fill(200))
    expect(plex.requests(PLEX_PATHS.user)).toBe(12)
    for (const instance of fleet) {
      const status = await get(instance, '/status')
      expect(status.body).toMatchObject({ events: { redis_recovered: expect.any(Number) } })
    }
  }, 30_000)
})
