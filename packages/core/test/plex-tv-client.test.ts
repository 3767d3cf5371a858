import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { MAX_TOKEN_BACKOFFS, PlexTvClient } from '../src/plex-tv/plex-tv.js'

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
