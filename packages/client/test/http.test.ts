import { describe, expect, test } from 'vitest'
import { type HttpSettings, send } from '../src/http.js'
import { isPlexClientError } from '../src/index.js'

/** Settings whose fetch answers with `answer` (or runs it), no retries, no waiting. */
function settings(answer: (signal?: AbortSignal | null) => Promise<Response>): HttpSettings {
  return {
    fetch: (_url, init) => answer(init?.signal),
    timeoutMs: 5_000,
    maxBytes: 10_000,
    maxRetries: 0,
    maxRetryDelayMs: 0,
    sleep: async () => {},
  }
}

const GET = { method: 'GET', url: 'http://127.0.0.1:9/api/v2/user', headers: {} } as const

async function codeOf(promise: Promise<unknown>): Promise<[string, number | undefined]> {
  const err = await promise.then(
    () => expect.unreachable('the request should fail'),
    (error: unknown) => error,
  )
  if (!isPlexClientError(err)) throw err
  return [err.code, err.status]
}

describe('the client request: every failure becomes one coded PlexClientError', () => {
  test('a signal aborted before the request: ABORTED, and nothing is sent', async () => {
    let sent = 0
    const aborted = AbortSignal.abort()
    const http = settings(async () => {
      sent++
      return new Response('{}')
    })
    expect(await codeOf(send(http, { ...GET, signal: aborted }))).toEqual(['ABORTED', undefined])
    expect(sent).toBe(0)
  })

  test('a signal aborted while waiting for the answer: ABORTED', async () => {
    const controller = new AbortController()
    const http = settings(async () => {
      controller.abort()
      throw new DOMException('aborted', 'AbortError')
    })
    expect((await codeOf(send(http, { ...GET, signal: controller.signal })))[0]).toBe('ABORTED')
  })

  test('a transport failure: NETWORK_ERROR', async () => {
    const http = settings(async () => {
      throw new TypeError('fetch failed')
    })
    expect((await codeOf(send(http, GET)))[0]).toBe('NETWORK_ERROR')
  })

  test('a redirect is not followed: HTTP_ERROR with its status', async () => {
    const http = settings(
      async () => new Response(null, { status: 302, headers: { location: '/elsewhere' } }),
    )
    expect(await codeOf(send(http, GET))).toEqual(['HTTP_ERROR', 302])
  })

  test('a 2xx body that is not JSON: RESPONSE_INVALID; an error status with one: answered, body undefined', async () => {
    expect(
      (
        await codeOf(
          send(
            settings(async () => new Response('<html>')),
            GET,
          ),
        )
      )[0],
    ).toBe('RESPONSE_INVALID')
    const refused = await send(
      settings(async () => new Response('<html>', { status: 503 })),
      GET,
    )
    expect(refused).toEqual({ status: 503, body: undefined })
  })

  test('a body of only white space is an empty body: answered, body undefined', async () => {
    expect(
      await send(
        settings(async () => new Response(' \n')),
        GET,
      ),
    ).toEqual({ status: 200, body: undefined })
  })

  test('a 429 without Retry-After waits 1 s, 2 s, 4 s… with the request signal, up to maxRetryDelay', async () => {
    const signal = new AbortController().signal
    const run = async (maxRetries: number, maxRetryDelayMs: number) => {
      const waits: [number, AbortSignal | undefined][] = []
      let sent = 0
      const http: HttpSettings = {
        ...settings(async () => {
          sent++
          return new Response('', { status: 429 })
        }),
        maxRetries,
        maxRetryDelayMs,
        sleep: async (ms, waitSignal) => {
          waits.push([ms, waitSignal ?? undefined])
        },
      }
      const err = await send(http, { ...GET, signal }).catch((error: unknown) => error)
      expect(err).toMatchObject({ code: 'RATE_LIMITED', status: 429 })
      expect((err as { retryAfter?: number }).retryAfter).toBeUndefined()
      return { waits, sent }
    }
    expect(await run(3, 60_000)).toEqual({
      waits: [
        [1000, signal],
        [2000, signal],
        [4000, signal],
      ],
      sent: 4,
    })
    // A wait of exactly maxRetryDelay is made; the next, longer one is not.
    expect(await run(5, 2000)).toEqual({
      waits: [
        [1000, signal],
        [2000, signal],
      ],
      sent: 3,
    })
  })

  test('a 429 beyond the retries: RATE_LIMITED with its Retry-After', async () => {
    const http = settings(async () => new Response('', { status: 429, headers: { 'retry-after': '7' } }))
    const err = await send(http, GET).catch((error: unknown) => error)
    expect(err).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfter: 7 })
  })
})

describe('what the client request sends', () => {
  test('a body goes as JSON with its content type; a request without one has none', async () => {
    const seen: { body: unknown; type: string | null }[] = []
    const http: HttpSettings = {
      ...settings(async () => new Response('{}')),
      fetch: async (_url, init) => {
        seen.push({ body: init?.body, type: new Headers(init?.headers).get('content-type') })
        return new Response('{}')
      },
    }
    await send(http, { method: 'POST', url: GET.url, headers: {}, body: { jwk: { kty: 'OKP' } } })
    await send(http, GET)
    expect(seen).toEqual([
      { body: '{"jwk":{"kty":"OKP"}}', type: 'application/json' },
      { body: undefined, type: null },
    ])
  })
})
