import type { PlexAuthEvent } from '@plexauth/core'
import { type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { MAX_TOKEN_BACKOFFS, PlexTvClient } from '../src/plex-tv/plex-tv.js'
import { advance, CLIENT, expectCode, startPlex, useFakeDate } from './helpers.js'

const PATH = '/api/v2/user'

/** A client whose plex.tv answers every token with a body it cannot read: a failure of that token alone. */
function unreadableAnswers() {
  let requests = 0
  const client = new PlexTvClient({
    baseUrl: 'http://127.0.0.1:9',
    fetch: async () => {
      requests++
      return new Response('<not json>', { status: 200 })
    },
    timeoutMs: 5_000,
    emit: () => {},
  })
  const ask = (token: string) =>
    client.get({
      path: PATH,
      token,
      clientIdentifier: 'my-app',
      accept: 'application/json',
      maxBytes: 1_000,
      parse: (text) => JSON.parse(text) as unknown,
    })
  return { client, ask, requests: () => requests }
}

describe('plex.tv client: per-token backoff', () => {
  // The clock stands still: every backoff lasts as long as the test.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  test('a token whose answer was unreadable backs off alone: asked again only after its backoff', async () => {
    const { client, ask, requests } = unreadableAnswers()
    await expect(ask('a')).rejects.toMatchObject({ code: 'PLEX_UNAVAILABLE' })
    await expect(ask('a')).rejects.toMatchObject({ code: 'PLEX_UNAVAILABLE' })
    expect(requests()).toBe(1)
    expect(client.blocked(PATH, 'a')).toMatchObject({ code: 'PLEX_UNAVAILABLE' })
    expect(client.blocked(PATH, 'b')).toBeUndefined()
    expect(client.blocked(PATH)).toBeUndefined()
  })

  test(`at most MAX_TOKEN_BACKOFFS (${MAX_TOKEN_BACKOFFS}) tokens back off at once: the one that failed longest ago is forgotten`, async () => {
    const { client, ask, requests } = unreadableAnswers()
    let refused = 0
    for (let i = 0; i <= MAX_TOKEN_BACKOFFS; i++) await ask(`token-${i}`).catch(() => refused++)
    expect([requests(), refused]).toEqual([MAX_TOKEN_BACKOFFS + 1, MAX_TOKEN_BACKOFFS + 1])
    expect(client.blocked(PATH, 'token-0')).toBeUndefined()
    expect(client.blocked(PATH, 'token-1')).toMatchObject({ code: 'PLEX_UNAVAILABLE' })
    expect(client.blocked(PATH, `token-${MAX_TOKEN_BACKOFFS}`)).toMatchObject({ code: 'PLEX_UNAVAILABLE' })
  })
})

/** A client on the fake plex.tv, recording the `plex_request_failed` events it emits. */
function fakePlexClient(plex: FakePlex) {
  const events: PlexAuthEvent[] = []
  const client = new PlexTvClient({
    baseUrl: plex.url,
    fetch: globalThis.fetch,
    timeoutMs: 5_000,
    emit: (event) => events.push(event),
  })
  const ask = (token: string, path: string = PLEX_PATHS.user) =>
    client.get({
      path,
      token,
      clientIdentifier: CLIENT,
      accept: 'application/json',
      maxBytes: 100_000,
      parse: (text) => JSON.parse(text) as unknown,
    })
  return { client, ask, events }
}

describe('plex.tv client: backoff against the fake plex.tv', () => {
  test("a 500 is plex.tv's own failure: the endpoint backs off for every token, not just the one that asked", async () => {
    useFakeDate()
    const plex = await startPlex()
    const { client, ask } = fakePlexClient(plex)
    plex.fail(PLEX_PATHS.user, { status: 500 }, { times: 1 })
    await expectCode(ask(plex.createLegacyToken()), 'PLEX_UNAVAILABLE')
    expect(client.blocked(PLEX_PATHS.user)).toMatchObject({ code: 'PLEX_UNAVAILABLE' })
    await expectCode(ask(plex.createLegacyToken()), 'PLEX_UNAVAILABLE')
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
  })

  test('a hostile Retry-After (a day) is capped at 10 minutes: asked again once they have passed', async () => {
    useFakeDate()
    const plex = await startPlex()
    const { ask, events } = fakePlexClient(plex)
    plex.fail(PLEX_PATHS.user, { status: 429, headers: { 'retry-after': '86400' } }, { times: 1 })
    const token = plex.createLegacyToken()
    const first = await expectCode(ask(token), 'PLEX_UNAVAILABLE')
    expect(first.retryAfter).toBe(600)
    expect(events).toMatchObject([
      { type: 'plex_request_failed', reason: 'rate_limited', status: 429, retryIn: 600 },
    ])
    advance(599)
    await expectCode(ask(token), 'PLEX_UNAVAILABLE')
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
    advance(1)
    await expect(ask(token)).resolves.toMatchObject({ status: 200 })
    expect(plex.requests(PLEX_PATHS.user)).toBe(2)
  })

  test('consecutive failures double the backoff (1 s, 2 s, 4 s); an answer starts it again at 1 s', async () => {
    useFakeDate()
    const plex = await startPlex()
    const { ask } = fakePlexClient(plex)
    const token = plex.createLegacyToken()
    plex.fail(PLEX_PATHS.user, { status: 503 })
    const waits: (number | undefined)[] = []
    for (let i = 0; i < 3; i++) {
      const err = await expectCode(ask(token), 'PLEX_UNAVAILABLE')
      waits.push(err.retryAfter)
      advance(err.retryAfter ?? 0)
    }
    expect(waits).toEqual([1, 2, 4])
    plex.recover()
    await expect(ask(token)).resolves.toMatchObject({ status: 200 })
    plex.fail(PLEX_PATHS.user, { status: 503 }, { times: 1 })
    expect((await expectCode(ask(token), 'PLEX_UNAVAILABLE')).retryAfter).toBe(1)
    expect(plex.requests(PLEX_PATHS.user)).toBe(5)
  })

  test("a token's backoff doubles with its failures, and its answer starts it again at 1 s", async () => {
    useFakeDate()
    const plex = await startPlex()
    const { ask } = fakePlexClient(plex)
    const token = plex.createLegacyToken()
    plex.fail(PLEX_PATHS.user, 'garbage', { times: 2 })
    expect((await expectCode(ask(token), 'PLEX_UNAVAILABLE')).retryAfter).toBe(1)
    advance(1)
    expect((await expectCode(ask(token), 'PLEX_UNAVAILABLE')).retryAfter).toBe(2)
    advance(2)
    await expect(ask(token)).resolves.toMatchObject({ status: 200 })
    plex.fail(PLEX_PATHS.user, 'garbage', { times: 1 })
    expect((await expectCode(ask(token), 'PLEX_UNAVAILABLE')).retryAfter).toBe(1)
    expect(plex.requests(PLEX_PATHS.user)).toBe(4)
  })
})
