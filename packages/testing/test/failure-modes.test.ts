import { get } from 'node:http'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createFakePlex, type FakePlex, PLEX_PATHS, type PublicKeySet } from '../src/index.js'

let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(() => plex.close())

/** The raw answer, without fetch's decompression. */
function rawGet(url: string): Promise<{ headers: Record<string, unknown>; bytes: number }> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let bytes = 0
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length
      })
      response.on('end', () => resolve({ headers: response.headers, bytes }))
    }).on('error', reject)
  })
}

/** The status as soon as the headers arrive, and a live count of the body bytes received since. */
function rawStart(url: string): Promise<{ status: number; body: { received: number; ended: boolean } }> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      const body = { received: 0, ended: false }
      response.on('data', (chunk: Buffer) => {
        body.received += chunk.length
      })
      response.on('end', () => {
        body.ended = true
      })
      response.on('error', () => {})
      resolve({ status: response.statusCode ?? 0, body })
    }).on('error', reject)
  })
}

describe('failure modes of the key set', () => {
  test("'down' destroys the socket without answering", async () => {
    plex.fail(PLEX_PATHS.keys, 'down')
    await expect(fetch(plex.jwksUrl)).rejects.toThrow(TypeError)
    expect(plex.requests(PLEX_PATHS.keys)).toBe(1)
  })

  test('{ status } answers that status with a plex.tv error body', async () => {
    plex.fail(PLEX_PATHS.keys, { status: 503 })
    const response = await fetch(plex.jwksUrl)
    expect(response.status).toBe(503)
    expect(await response.json()).toEqual({
      errors: [{ code: 503, message: 'Service Unavailable', status: 503 }],
    })
  })

  test('{ body, status?, headers? } answers anything, objects as JSON', async () => {
    plex.fail(PLEX_PATHS.keys, { body: { keys: 'hostile' }, headers: { 'x-extra': '1' } })
    let response = await fetch(plex.jwksUrl)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-extra')).toBe('1')
    expect(await response.json()).toEqual({ keys: 'hostile' })
    plex.fail(PLEX_PATHS.keys, { status: 201, body: 'plain', headers: { 'content-type': 'text/plain' } })
    response = await fetch(plex.jwksUrl)
    expect([response.status, response.headers.get('content-type'), await response.text()]).toEqual([
      201,
      'text/plain',
      'plain',
    ])
  })

  // No clock in these tests: a mode that holds an answer back is shown holding it (with a delay no test
  // waits for) while the fake answers another request, and then answering normally with a short one.
  test.each([
    ['{ delayMs }', { delayMs: 600_000 }],
    ['{ delayMs, status }', { delayMs: 600_000, status: 500 }],
  ])('%s holds the headers back while the fake answers other requests', async (_name, mode) => {
    plex.fail(PLEX_PATHS.keys, mode)
    let answered = false
    const held = fetch(plex.jwksUrl).then(() => {
      answered = true
    })
    held.catch(() => {})
    await expect.poll(() => plex.requests(PLEX_PATHS.keys), { interval: 5 }).toBe(1)
    expect((await fetch(`${plex.url}/elsewhere`)).status).toBe(404)
    expect(answered).toBe(false)
  })

  test('{ delayMs } then answers normally', async () => {
    plex.fail(PLEX_PATHS.keys, { delayMs: 20 })
    expect(await (await fetch(plex.jwksUrl)).json()).toEqual(plex.keys)
  })

  test('{ delayMs } combines with another mode', async () => {
    plex.fail(PLEX_PATHS.keys, { delayMs: 20, status: 500 })
    expect((await fetch(plex.jwksUrl)).status).toBe(500)
  })

  test('{ dripMs } sends the headers at once, and no byte of the body before its first interval', async () => {
    plex.fail(PLEX_PATHS.keys, { dripMs: 600_000, bytes: 1_000_000 })
    const { status, body } = await rawStart(plex.jwksUrl)
    expect(status).toBe(200)
    expect(body.received).toBe(0)
    expect(body.ended).toBe(false)
  })

  test('{ dripMs, bytes } sends the whole body, `bytes` at a time', async () => {
    const expected = JSON.stringify(plex.keys)
    const bytes = Math.ceil(expected.length / 5)
    plex.fail(PLEX_PATHS.keys, { dripMs: 10, bytes })
    const response = await fetch(plex.jwksUrl)
    expect(response.status).toBe(200)
    // Headers came before the body: it then arrives in several pieces, never split finer than a drip.
    const chunks: string[] = []
    const decoder = new TextDecoder()
    for await (const chunk of response.body!) chunks.push(decoder.decode(chunk, { stream: true }))
    expect(chunks.join('')).toBe(expected)
    expect(chunks.length).toBeGreaterThan(1)
    expect(chunks.length).toBeLessThanOrEqual(5)
  })

  test("'hang' never answers", async () => {
    plex.fail(PLEX_PATHS.keys, 'hang')
    await expect(fetch(plex.jwksUrl, { signal: AbortSignal.timeout(100) })).rejects.toThrow(/aborted/)
  })

  test("'garbage' answers 200 JSON that is not JSON", async () => {
    plex.fail(PLEX_PATHS.keys, 'garbage')
    const response = await fetch(plex.jwksUrl)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    await expect(response.json()).rejects.toThrow(SyntaxError)
  })

  test('{ hugeBytes } streams a valid key set of exactly that size, without Content-Length', async () => {
    plex.fail(PLEX_PATHS.keys, { hugeBytes: 300_000 })
    const response = await fetch(plex.jwksUrl)
    expect(response.headers.get('content-length')).toBeNull()
    const text = await response.text()
    expect(text).toHaveLength(300_000)
    expect(JSON.parse(text).keys).toEqual(plex.keys.keys)
  })

  test('{ redirect } answers 302 with Location', async () => {
    plex.fail(PLEX_PATHS.keys, { redirect: 'http://169.254.169.254/keys' })
    const response = await fetch(plex.jwksUrl, { redirect: 'manual' })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('http://169.254.169.254/keys')
  })

  test('{ gzipBomb } sends a small gzip body that inflates to that size', async () => {
    plex.fail(PLEX_PATHS.keys, { gzipBomb: 5_000_000 })
    const raw = await rawGet(plex.jwksUrl)
    expect(raw.headers['content-encoding']).toBe('gzip')
    expect(Number(raw.headers['content-length'])).toBe(raw.bytes)
    expect(raw.bytes).toBeLessThan(20_000)
    const text = await (await fetch(plex.jwksUrl)).text()
    expect(text).toHaveLength(5_000_000)
    expect(JSON.parse(text).keys).toEqual(plex.keys.keys)
  })

  test('{ tooManyKeys } puts that many well-formed keys before the real ones', async () => {
    plex.fail(PLEX_PATHS.keys, { tooManyKeys: 100 })
    const { keys } = (await (await fetch(plex.jwksUrl)).json()) as PublicKeySet
    expect(keys).toHaveLength(101)
    expect(new Set(keys.map((key) => key.kid)).size).toBe(101)
    expect(keys.slice(-1)).toEqual(plex.keys.keys)
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA' })
  })
})

describe('failure scope', () => {
  test('times limits a failure to the next requests', async () => {
    plex.fail(PLEX_PATHS.keys, { status: 500 }, { times: 2 })
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push((await fetch(plex.jwksUrl)).status)
    expect(statuses).toEqual([500, 500, 200])
  })

  test('recover(path) and recover() end failures; a failure applies to its path only', async () => {
    plex.fail(PLEX_PATHS.keys, { status: 500 })
    plex.fail('/other', { status: 418 })
    expect((await fetch(`${plex.url}/other`)).status).toBe(418)
    expect((await fetch(`${plex.url}/unrelated`)).status).toBe(404)
    plex.recover(PLEX_PATHS.keys)
    expect((await fetch(plex.jwksUrl)).status).toBe(200)
    expect((await fetch(`${plex.url}/other`)).status).toBe(418)
    plex.recover()
    expect((await fetch(`${plex.url}/other`)).status).toBe(404)
  })

  test("'*' applies to every path; an exact path wins", async () => {
    plex.fail('*', { status: 502 })
    plex.fail('/exact', { status: 418 })
    expect((await fetch(plex.jwksUrl)).status).toBe(502)
    expect((await fetch(`${plex.url}/exact`)).status).toBe(418)
  })
})

describe('close', () => {
  test('does not wait for a hanging request, and refuses new ones', async () => {
    plex.fail(PLEX_PATHS.keys, 'hang')
    const hanging = fetch(plex.jwksUrl)
    hanging.catch(() => {})
    await expect.poll(() => plex.requests(PLEX_PATHS.keys), { interval: 5 }).toBe(1)
    // A close that waited for the request would never resolve: the test would time out.
    await plex.close()
    await expect(hanging).rejects.toThrow(TypeError)
    await expect(fetch(plex.jwksUrl)).rejects.toThrow(TypeError)
    await plex.close()
  })

  test('cuts a dripping body and a pending delay', async () => {
    // Longer than any test may run: a close that waited for them would time the test out.
    plex.fail(PLEX_PATHS.keys, { dripMs: 600_000 })
    plex.fail('/slow', { delayMs: 600_000 })
    const dripping = await fetch(plex.jwksUrl)
    const body = dripping.text()
    body.catch(() => {})
    const delayed = fetch(`${plex.url}/slow`)
    delayed.catch(() => {})
    await expect.poll(() => plex.requests('/slow'), { interval: 5 }).toBe(1)
    await plex.close()
    await expect(body).rejects.toThrow()
    await expect(delayed).rejects.toThrow(TypeError)
  })

  test('Symbol.asyncDispose closes', async () => {
    const url = await (async () => {
      await using scoped = await createFakePlex()
      return scoped.jwksUrl
    })()
    await expect(fetch(url)).rejects.toThrow(TypeError)
  })
})
