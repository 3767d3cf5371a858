import { describe, expect, onTestFinished, test, vi } from 'vitest'
import { backoffMs, parseRetryAfter } from '../src/lib/backoff.js'
import { BoundedFetchError, fetchBounded, readBoundedBody } from '../src/lib/bounded-fetch.js'
import { createMemoryCacheStore, SafeStore } from '../src/lib/cache-store.js'
import { hashSecret } from '../src/lib/hash-secret.js'
import { Lru } from '../src/lib/lru.js'
import {
  durationMs,
  fetchOption,
  headerValue,
  isLoopback,
  isPrivateLan,
  optionNames,
  parseUrl,
  secretList,
  validateBaseUrl,
  validateEndpointUrl,
} from '../src/lib/options.js'
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

  test('deleting the newest entry keeps the order of the others; deleting a missing key is false', () => {
    const lru = new Lru<number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    expect(lru.delete('b')).toBe(true)
    expect(lru.delete('b')).toBe(false)
    lru.set('c', 3)
    lru.set('d', 4) // forgets a, the oldest left
    expect([lru.peek('a'), lru.peek('c'), lru.peek('d'), lru.size]).toEqual([undefined, 3, 4, 2])
  })

  test('answers as a Map kept in recency order would, over a long seeded run of set, get, peek and delete', () => {
    for (const max of [1, 2, 3, 5]) {
      const lru = new Lru<number>(max)
      const model = new Map<string, number>()
      let seed = max
      const random = (n: number) => {
        seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
        return (seed >>> 16) % n // the high bits: the low ones of this generator repeat every few calls
      }
      for (let i = 0; i < 3000; i++) {
        const key = `k${random(8)}`
        const op = random(4)
        if (op === 0) {
          lru.set(key, i)
          model.delete(key)
          model.set(key, i)
          if (model.size > max) model.delete(model.keys().next().value!)
        } else if (op === 1) {
          const value = model.get(key)
          if (value !== undefined) {
            model.delete(key)
            model.set(key, value)
          }
          expect(lru.get(key), `get ${key} (max ${max}, op ${i})`).toBe(value)
        } else if (op === 2) {
          expect(lru.peek(key), `peek ${key} (max ${max}, op ${i})`).toBe(model.get(key))
        } else {
          expect(lru.delete(key), `delete ${key} (max ${max}, op ${i})`).toBe(model.delete(key))
        }
        expect(lru.size).toBe(model.size)
      }
    }
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

  test('an HTTP date with anything before or after it is no HTTP date', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
    for (const value of ['Thu, 01 Jan 2026 00:00:30 GMT-0100', 'x Thu, 01 Jan 2026 00:00:30 GMT']) {
      expect(Date.parse(value), value).toBeGreaterThan(now)
      expect(parseRetryAfter(value, now), value).toBeUndefined()
    }
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

test('hashSecret: the SHA-256 of the UTF-8 bytes of the secret, in base64url (known values)', () => {
  expect(hashSecret('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
  expect(hashSecret('plex-tøken-✓')).toBe('ihMuV_9J_dnr5YTGdFzn4lLy_MfKIGuv0TYRQQebYss')
})

test('splitScopes reads Plex (commas) and OAuth (spaces) scope claims alike', async () => {
  const { splitScopes } = await import('../src/jwt/scopes.js')
  expect(splitScopes('username,email')).toEqual(['username', 'email'])
  expect(splitScopes(' username  email,, friendly_name ')).toEqual(['username', 'email', 'friendly_name'])
  expect(splitScopes('')).toEqual([])
})

test("ed25519Thumbprint is RFC 7638's: RFC 8037's example key (appendix A.3)", async () => {
  const { ed25519Thumbprint } = await import('../src/jwt/thumbprint.js')
  expect(ed25519Thumbprint('11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo')).toBe(
    'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
  )
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

  /** A response whose body is `chunks` then, if `endless`, more forever; records whether it was cancelled. */
  const watched = (init: ResponseInit, chunks: string[], endless = false) => {
    const state = { cancelled: false }
    const queue = [...chunks]
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = queue.shift()
        if (next !== undefined) controller.enqueue(new TextEncoder().encode(next))
        else if (endless) controller.enqueue(new Uint8Array(64))
        else controller.close()
      },
      cancel() {
        state.cancelled = true
      },
    })
    return { response: new Response(body, init), state }
  }

  test('a body larger than maxBytes is cancelled, not left open: by its Content-Length or while read', async () => {
    const declared = watched({ headers: { 'content-length': '101' } }, ['x'])
    expect(await readBoundedBody(declared.response, 100)).toBeUndefined()
    expect(declared.state.cancelled).toBe(true)
    const streamed = watched({}, [], true)
    await expect(fetchBounded(URL_, answering(streamed.response))).rejects.toMatchObject({
      reason: 'too_large',
    })
    expect(streamed.state.cancelled).toBe(true)
    const small = watched({}, ['a'.repeat(60), 'b'.repeat(40)])
    expect(await readBoundedBody(small.response, 100)).toEqual(Buffer.from('a'.repeat(60) + 'b'.repeat(40)))
    expect(small.state.cancelled).toBe(false)
  })

  test('the body of a status not read is cancelled unread', async () => {
    const unread = watched({ status: 401 }, ['denied'], true)
    expect(await fetchBounded(URL_, answering(unread.response))).toMatchObject({
      status: 401,
      text: undefined,
    })
    expect(unread.state.cancelled).toBe(true)
  })

  test('a 201 is not read unless asked for', async () => {
    expect((await fetchBounded(URL_, answering(new Response('made', { status: 201 })))).text).toBeUndefined()
  })

  test('the timeout timer is cleared and the listener on the caller signal removed once the answer is read', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    const controller = new AbortController()
    const remove = vi.spyOn(controller.signal, 'removeEventListener')
    const add = vi.spyOn(controller.signal, 'addEventListener')
    const answer = await fetchBounded(URL_, { ...answering(new Response('ok')), signal: controller.signal })
    expect(answer.text).toBe('ok')
    expect(vi.getTimerCount()).toBe(0)
    expect(add).toHaveBeenCalledTimes(1)
    expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0]?.[1])
  })

  test('the body is decoded as UTF-8', async () => {
    expect((await fetchBounded(URL_, answering(new Response('Zoë ✓')))).text).toBe('Zoë ✓')
  })

  test('a failed fetch keeps its cause for logs', async () => {
    const cause = new TypeError('fetch failed')
    const fetchImpl = (async () => {
      throw cause
    }) as unknown as typeof globalThis.fetch
    const err = await fetchBounded(URL_, { fetch: fetchImpl, timeoutMs: 1000, maxBytes: 100 }).catch((e) => e)
    expect(err).toBeInstanceOf(BoundedFetchError)
    expect(err).toMatchObject({ reason: 'network', cause })
    expect(new BoundedFetchError('too_large').cause).toBeUndefined()
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

  test('refills at its rate between takes, a fraction of a token at a time', () => {
    useFakeDate()
    const bucket = new TokenBucket(2)
    expect([bucket.take(T0), bucket.take(T0)]).toEqual([0, 0])
    // 250 ms at 2 a second: half a token, so a wait of 250 ms more.
    expect(bucket.take(T0 + 250)).toBe(250)
    expect(bucket.take(T0 + 500)).toBe(0)
    expect(bucket.take(T0 + 500)).toBe(500)
  })
})

describe('parseUrl', () => {
  test('refuses credentials unless they are allowed (a Redis URL carries its password)', () => {
    expect(() => parseUrl('jwksUrl', 'https://user:pw@example.com/keys')).toThrow(
      new TypeError('plexauth: jwksUrl must not contain credentials'),
    )
    expect(() => parseUrl('jwksUrl', 'https://user@example.com/keys')).toThrow(TypeError)
    expect(() => parseUrl('jwksUrl', 'https://:pw@example.com/keys')).toThrow(
      new TypeError('plexauth: jwksUrl must not contain credentials'),
    )
    expect(parseUrl('url', 'redis://app:secret@127.0.0.1:6379', 'allowed').password).toBe('secret')
    expect(() => parseUrl('url', 'not a url', 'allowed')).toThrow(
      new TypeError('plexauth: url is not a valid URL'),
    )
    expect(() => parseUrl('url', 6379, 'allowed')).toThrow(
      new TypeError('plexauth: url must be a URL string'),
    )
  })
})

describe('createMemoryCacheStore', () => {
  test('an entry lives for its TTL in seconds: still there a millisecond before, gone at the instant it expires', () => {
    useFakeDate()
    const store = createMemoryCacheStore<string>()
    expect(store.get('k')).toBeUndefined()
    store.set('k', 'v', 10)
    vi.setSystemTime(T0 + 9999)
    expect(store.get('k')).toBe('v')
    vi.setSystemTime(T0 + 10_000)
    expect(store.get('k')).toBeUndefined()
  })

  test('an expired entry, once read, is dropped: it holds no slot a live entry needs', () => {
    useFakeDate()
    const store = createMemoryCacheStore<string>({ maxEntries: 2 })
    store.set('old', 'x', 1)
    store.set('live', 'y', 100)
    vi.setSystemTime(T0 + 1000)
    expect(store.get('old')).toBeUndefined()
    store.set('new', 'z', 100)
    expect([store.get('live'), store.get('new')]).toEqual(['y', 'z'])
  })

  test('a TTL that is not positive removes the key, and stores nothing that could push a live entry out', () => {
    useFakeDate()
    const store = createMemoryCacheStore<string>({ maxEntries: 1 })
    store.set('a', 'kept', 100)
    store.set('b', 'never', 0)
    expect(store.get('a')).toBe('kept')
    for (const ttl of [0, -1, Number.NaN]) {
      store.set('a', 'kept', 100)
      store.set('a', 'gone', ttl)
      expect(store.get('a'), String(ttl)).toBeUndefined()
    }
  })

  test('maxEntries: an integer from 1, 10000 by default; the least recently used goes first', () => {
    expect(() => createMemoryCacheStore({ maxEntries: 0 })).toThrow(
      new TypeError('plexauth: maxEntries must be a number from 1 to 9007199254740991'),
    )
    expect(() => createMemoryCacheStore({ maxEntries: 1.5 })).toThrow(
      new TypeError('plexauth: maxEntries must be an integer'),
    )
    const one = createMemoryCacheStore<number>({ maxEntries: 1 })
    one.set('a', 1, 60)
    one.set('b', 2, 60)
    expect([one.get('a'), one.get('b')]).toEqual([undefined, 2])
    const byDefault = createMemoryCacheStore<number>()
    for (let i = 0; i < 10_000; i++) byDefault.set(`k${i}`, i, 60)
    expect(byDefault.get('k0')).toBe(0)
    byDefault.set('one more', 1, 60) // forgets k1, now the least recently used
    expect([byDefault.get('k0'), byDefault.get('k1')]).toEqual([0, undefined])
  })
})

describe('SafeStore', () => {
  test("a store's null is a miss; TTLs go to the store in seconds; a failing store is a miss or a no-op, reported", async () => {
    const ttls: number[] = []
    const failures: string[] = []
    const store = new SafeStore<string>(
      { get: () => null as never, set: (_key, _value, ttlSeconds) => void ttls.push(ttlSeconds) },
      (operation) => failures.push(operation),
    )
    await expect(store.get('k')).resolves.toBeUndefined()
    await store.set('k', 'v', 1500)
    expect(ttls).toEqual([1.5])
    const failing = new SafeStore<string>(
      {
        get: () => {
          throw new Error('down')
        },
        set: async () => {
          throw new Error('down')
        },
      },
      (operation) => failures.push(operation),
    )
    await expect(failing.get('k')).resolves.toBeUndefined()
    await expect(failing.set('k', 'v', 1000)).resolves.toBeUndefined()
    expect(failures).toEqual(['get', 'set'])
  })
})

describe('hosts and endpoint URLs', () => {
  test('isLoopback: localhost, [::1] and 127.x.y.z as a whole host name, nothing that merely contains one', () => {
    for (const host of ['localhost', '[::1]', '127.0.0.1', '127.255.0.9'])
      expect(isLoopback(host), host).toBe(true)
    for (const host of ['a127.0.0.1', 'my127.0.0.1', '127.0.0.1.nip.io', 'localhost.example.com', '[::2]']) {
      expect(isLoopback(host), host).toBe(false)
    }
  })

  test('isPrivateLan: 10/8, 172.16/12, 192.168/16 and fc00::/7, as URL writes them; nothing around them', () => {
    for (const host of [
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.20',
      '[fc00::1]',
      '[fd12:3456::1]',
    ]) {
      expect(isPrivateLan(host), host).toBe(true)
    }
    for (const host of [
      '11.0.0.1',
      '172.15.0.1',
      '172.32.0.1',
      '192.169.1.1',
      '192.167.1.1',
      '127.0.0.1',
      '8.10.0.1',
      '10.0.0.1.nip.io',
      '[fe80::1]',
      '[fec0::1]',
      '[fc::1]',
      '[::1]',
    ]) {
      expect(isPrivateLan(host), host).toBe(false)
    }
  })

  test('validateEndpointUrl: https, or http to a loopback host (and a private-LAN one when asked); as URL writes it', () => {
    expect(validateEndpointUrl('jwksUrl', 'HTTPS://Clients.Plex.TV/keys')).toBe(
      'https://clients.plex.tv/keys',
    )
    expect(validateEndpointUrl('serverUrl', 'http://192.168.1.20:32400/', 'lan')).toBe(
      'http://192.168.1.20:32400/',
    )
    for (const url of ['ftp://127.0.0.1/keys', 'ws://localhost/keys']) {
      expect(() => validateEndpointUrl('jwksUrl', url), url).toThrow(
        new TypeError('plexauth: jwksUrl must use https (http is allowed for loopback hosts only)'),
      )
    }
    expect(() => validateEndpointUrl('serverUrl', 'http://8.8.8.8:32400', 'lan')).toThrow(
      new TypeError(
        'plexauth: serverUrl must use https (http is allowed for loopback and private-LAN addresses only)',
      ),
    )
  })

  test('validateBaseUrl: drops every trailing slash, and takes http to a private-LAN address when asked', () => {
    expect(validateBaseUrl('plexTvUrl', 'https://plex.tv//')).toBe('https://plex.tv')
    expect(validateBaseUrl('baseUrl', 'https://plex.example/api///')).toBe('https://plex.example/api')
    expect(validateBaseUrl('serverUrl', 'http://192.168.1.20:32400/', 'lan')).toBe(
      'http://192.168.1.20:32400',
    )
    expect(() => validateBaseUrl('serverUrl', 'http://192.168.1.20:32400/')).toThrow(TypeError)
  })
})

describe('secretList', () => {
  const SECRET = 'a-session-secret-of-at-least-32-chars'
  test('a frozen copy: the list given is neither frozen nor shared', () => {
    const given = [SECRET]
    const list = secretList('session.secret', given)
    expect(list).toEqual([SECRET])
    expect(Object.isFrozen(list)).toBe(true)
    expect(list).not.toBe(given)
    expect(Object.isFrozen(given)).toBe(false)
  })

  test('1 to 16 strings of at least 32 characters, none twice', () => {
    expect(secretList('s', 'x'.repeat(32))).toEqual(['x'.repeat(32)])
    const sixteen = Array.from({ length: 16 }, (_, i) => `${SECRET}-${i}`)
    expect(secretList('s', sixteen)).toEqual(sixteen)
    const list = 's must be a string of at least 32 characters, or a non-empty list of such'
    for (const bad of [[], [...sixteen, `${SECRET}-16`], 42, undefined, { length: 1, 0: SECRET }]) {
      expect(() => secretList('s', bad), JSON.stringify(bad)).toThrow(new TypeError(`plexauth: ${list}`))
    }
    const short = 's must be at least 32 characters long (a random value kept private, never a public one)'
    for (const bad of [
      'x'.repeat(31),
      [SECRET, 'x'.repeat(31)],
      [SECRET, 42],
      [SECRET, Array(40).fill('x')],
    ]) {
      expect(() => secretList('s', bad), JSON.stringify(bad)).toThrow(new TypeError(`plexauth: ${short}`))
    }
    expect(() => secretList('s', [SECRET, `${SECRET}-other`, SECRET])).toThrow(
      new TypeError('plexauth: s lists a secret twice'),
    )
  })
})
