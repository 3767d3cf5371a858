import { describe, expect, onTestFinished, test, vi } from 'vitest'
import { backoffMs, parseRetryAfter } from '../src/lib/backoff.js'
import { BoundedFetchError, fetchBounded } from '../src/lib/bounded-fetch.js'
import { createMemoryCacheStore } from '../src/lib/cache-store.js'
import { hashSecret } from '../src/lib/hash-secret.js'
import { Lru } from '../src/lib/lru.js'
import { durationMs, fetchOption, headerValue, optionNames, parseUrl } from '../src/lib/options.js'
import { TokenBucket } from '../src/lib/token-bucket.js'
import { T0, useFakeDate } from './helpers.js'

describe('Lru', () => {
  test('forgets the least recently used entry beyond its bound; get refreshes, peek does not', () => {
    const lru = new Lru<number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    expect(lru.get('a')).toBe(1)
    lru.set('c', 3)
    expect(lru.peek('b')).toBeUndefined()
    expect(lru.peek('a')).toBe(1)
    expect(lru.peek('a')).toBe(1)
    lru.set('d', 4)
    expect(lru.peek('a')).toBeUndefined()
    expect(lru.size).toBe(2)
    expect(lru.delete('c')).toBe(true)
    expect(lru.size).toBe(1)
  })

  test('setting an existing key makes it the newest', () => {
    const lru = new Lru<number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    lru.set('a', 10)
    lru.set('c', 3)
    expect(lru.peek('a')).toBe(10)
    expect(lru.peek('b')).toBeUndefined()
  })
})

describe('backoffMs', () => {
  test('1 s doubling up to 60 s, or up to the given cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ])
    expect(backoffMs(10, Number.POSITIVE_INFINITY)).toBe(512_000)
    expect(backoffMs(0)).toBe(1000)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  test('delta-seconds and HTTP dates, in milliseconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter(' 7 ', now)).toBe(7000)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0)
  })
  test('absent or unreadable: undefined', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter('12345678901', now)).toBeUndefined()
  })
  test('only the shapes of an HTTP date count as one: Date.parse alone reads "-1" or "0.5" as past dates', () => {
    expect(Date.parse('-1')).not.toBeNaN()
    for (const value of ['-1', '0.5', '1.5', '1e3', '+5', 'Mon, 32 Foo 2026 12:01:00 GMT']) {
      expect(parseRetryAfter(value, now)).toBeUndefined()
    }
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(0)
    expect(parseRetryAfter('Thursday, 01-Jan-26 00:01:00 GMT', now)).toBe(60_000)
  })
})

describe('option validators', () => {
  test('durations are given in seconds and returned in milliseconds', () => {
    expect(durationMs('timeout', undefined, 5, 0.001, 120)).toBe(5000)
    expect(durationMs('timeout', 0.5, 5, 0.001, 120)).toBe(500)
    expect(() => durationMs('timeout', 121, 5, 0.001, 120)).toThrow(TypeError)
  })

  test('header values: printable, no surrounding spaces, bounded', () => {
    expect(headerValue('product', 'My App', undefined, 256)).toBe('My App')
    expect(headerValue('product', undefined, 'fallback', 256)).toBe('fallback')
    for (const bad of ['', ' x', 'x ', 'two\nlines', 'x'.repeat(257), 42]) {
      expect(() => headerValue('product', bad, undefined, 256), JSON.stringify(bad)).toThrow(TypeError)
    }
  })

  test('option names derive from a literal naming every key', () => {
    expect([...optionNames<{ a?: number; b: string }>({ a: true, b: true })]).toEqual(['a', 'b'])
  })
})

test('hashSecret is a SHA-256 in base64url, never the secret', () => {
  const hash = hashSecret('2ffLuB84dqLswk9skLos')
  expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/)
  expect(hash).not.toContain('2ffLuB84')
  expect(hashSecret('2ffLuB84dqLswk9skLos')).toBe(hash)
})

test('splitScopes reads Plex (commas) and OAuth (spaces) scope claims alike', async () => {
  const { splitScopes } = await import('../src/jwt/scopes.js')
  expect(splitScopes('username,email')).toEqual(['username', 'email'])
  expect(splitScopes(' username  email,, friendly_name ')).toEqual(['username', 'email', 'friendly_name'])
  expect(splitScopes('')).toEqual([])
})

describe('edges of the shared helpers', () => {
  test('fetchOption: without a global fetch and no fetch option, a TypeError', () => {
    vi.stubGlobal('fetch', undefined)
    onTestFinished(() => {
      vi.unstubAllGlobals()
    })
    expect(() => fetchOption(undefined)).toThrow(TypeError)
    expect(() => fetchOption(undefined)).toThrow(/no fetch implementation/)
    const own = (async () => new Response()) as typeof globalThis.fetch
    expect(fetchOption(own)).toBe(own)
  })

  test('createMemoryCacheStore: options that are no object are a TypeError', () => {
    for (const bad of [null, 5, 'big']) {
      expect(() => createMemoryCacheStore(bad as never)).toThrow(TypeError)
    }
  })

  test('fetchBounded: a signal aborted before the call fails it without a request; no headers sends none', async () => {
    let calls = 0
    const seen: unknown[] = []
    const fetchImpl = (async (_url: string, init: RequestInit) => {
      calls++
      seen.push(init.headers)
      if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError')
      return new Response('ok')
    }) as unknown as typeof globalThis.fetch
    const options = { fetch: fetchImpl, timeoutMs: 1000, maxBytes: 100 }
    const aborted = fetchBounded('http://127.0.0.1:9/x', { ...options, signal: AbortSignal.abort() })
    await expect(aborted).rejects.toBeInstanceOf(BoundedFetchError)
    await expect(aborted).rejects.toMatchObject({ reason: 'network' })
    expect(await fetchBounded('http://127.0.0.1:9/x', options)).toMatchObject({ status: 200, text: 'ok' })
    expect(calls).toBe(2)
    expect(seen).toEqual([{}, {}])
  })
})

describe('fetchBounded', () => {
  const URL_ = 'http://127.0.0.1:9/x'
  /** Options whose fetch answers `response`, recording each request's init. */
  const answering = (response: unknown, seen: RequestInit[] = []) => ({
    fetch: (async (_url: string, init: RequestInit) => {
      seen.push(init)
      return response
    }) as unknown as typeof globalThis.fetch,
    timeoutMs: 1000,
    maxBytes: 100,
  })

  test('every 3xx and an opaque redirect are refused, with their status; a 400 is an answer', async () => {
    for (const status of [300, 302, 399]) {
      await expect(fetchBounded(URL_, answering(new Response(null, { status })))).rejects.toMatchObject({
        reason: 'redirect',
        status,
      })
    }
    const opaque = { status: 0, type: 'opaqueredirect', body: null, headers: new Headers() }
    await expect(fetchBounded(URL_, answering(opaque))).rejects.toMatchObject({
      reason: 'redirect',
      status: 0,
    })
    await expect(fetchBounded(URL_, answering(new Response('no', { status: 400 })))).resolves.toMatchObject({
      status: 400,
      text: undefined,
    })
  })

  test('bodies are read for 200 and readStatuses only; a 200 without a body is empty', async () => {
    const read = async (status: number, readStatuses?: readonly number[] | 'all') =>
      (await fetchBounded(URL_, { ...answering(new Response('body', { status })), readStatuses })).text
    expect(await read(200)).toBe('body')
    expect(await read(401)).toBeUndefined()
    expect(await read(401, [401])).toBe('body')
    expect(await read(401, 'all')).toBe('body')
    expect(await read(500, [401])).toBeUndefined()
    expect((await fetchBounded(URL_, answering(new Response(null, { status: 200 })))).text).toBe('')
  })

  test('sends the method and body asked for, GET without a body by default', async () => {
    const seen: RequestInit[] = []
    await fetchBounded(URL_, { ...answering(new Response('ok'), seen), method: 'POST', body: '{"a":1}' })
    await fetchBounded(URL_, answering(new Response('ok'), seen))
    expect(seen.map(({ method, body }) => ({ method, body }))).toEqual([
      { method: 'POST', body: '{"a":1}' },
      { method: 'GET', body: undefined },
    ])
  })

  test("the caller's signal aborted during the request fails it as network", async () => {
    const controller = new AbortController()
    const fetchImpl = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
        controller.abort()
      })) as unknown as typeof globalThis.fetch
    await expect(
      fetchBounded(URL_, { fetch: fetchImpl, timeoutMs: 60_000, maxBytes: 100, signal: controller.signal }),
    ).rejects.toMatchObject({ reason: 'network' })
  })
})

describe('TokenBucket', () => {
  test('saves up at most its capacity (the rate, at least 1), and rounds a wait up', () => {
    useFakeDate()
    const bucket = new TokenBucket(2)
    expect([bucket.take(T0), bucket.take(T0), bucket.take(T0)]).toEqual([0, 0, 500])
    // Idle for 10 s: 2 tokens saved, not 20.
    expect([0, 0, 0].map(() => bucket.take(T0 + 10_000))).toEqual([0, 0, 500])
    const third = new TokenBucket(3)
    expect([0, 0, 0, 0].map(() => third.take(T0))).toEqual([0, 0, 0, 334])
    expect(new TokenBucket(0.5).take(T0)).toBe(0)
  })

  test('a clock going back neither takes tokens away nor gives them again', () => {
    useFakeDate()
    const bucket = new TokenBucket(2)
    expect([bucket.take(T0 + 10_000), bucket.take(T0 + 10_000)]).toEqual([0, 0])
    expect(bucket.take(T0)).toBe(500)
    expect(bucket.take(T0 + 10_000)).toBe(500)
  })
})

describe('parseUrl', () => {
  test('refuses credentials unless they are allowed (a Redis URL carries its password)', () => {
    expect(() => parseUrl('jwksUrl', 'https://user:pw@example.com/keys')).toThrow(
      new TypeError('plexauth: jwksUrl must not contain credentials'),
    )
    expect(() => parseUrl('jwksUrl', 'https://user@example.com/keys')).toThrow(TypeError)
    expect(parseUrl('url', 'redis://app:secret@127.0.0.1:6379', 'allowed').password).toBe('secret')
    expect(() => parseUrl('url', 'not a url', 'allowed')).toThrow(
      new TypeError('plexauth: url is not a valid URL'),
    )
    expect(() => parseUrl('url', 6379, 'allowed')).toThrow(
      new TypeError('plexauth: url must be a URL string'),
    )
  })
})
