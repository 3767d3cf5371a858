import { createPlexVerifier, type KeyFetchFailure } from '@plexauth/core'
import { type FailureMode, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import {
  expectCode,
  expectSettledAt,
  fetchOnFakeTimers,
  keyRequests,
  plexVerifier,
  recordEvents,
  startPlex,
} from './helpers.js'

type Case = [string, FailureMode | ((url: string) => FailureMode), KeyFetchFailure]

const cases: Case[] = [
  ['a connection cut without an answer', 'down', 'network'],
  ['an endpoint that never answers', 'hang', 'timeout'],
  ['headers slower than jwks.timeout', { delayMs: 2000 }, 'timeout'],
  ['a body dripped a byte at a time', { dripMs: 50 }, 'timeout'],
  ['a 500', { status: 500 }, 'status'],
  ['a 404', { status: 404 }, 'status'],
  ['a 429', { status: 429, headers: { 'retry-after': '1' } }, 'status'],
  ['a 204 without a body', { status: 204, body: '' }, 'status'],
  ['a 302 to the key endpoint itself', (url) => ({ redirect: `${url}?again=1` }), 'redirect'],
  ['a 301 elsewhere', () => ({ redirect: 'https://evil.example/keys', status: 301 }), 'redirect'],
  ['a 307', (url) => ({ redirect: url, status: 307 }), 'redirect'],
  ['a 308', (url) => ({ redirect: url, status: 308 }), 'redirect'],
  ['a body that is not JSON', 'garbage', 'invalid_json'],
  ['an empty 200 body', { status: 200, body: '' }, 'invalid_json'],
  ['truncated JSON', { status: 200, body: '{"keys":[{"kty":"OKP"' }, 'invalid_json'],
  ['a huge streamed body (no Content-Length)', { hugeBytes: 1024 * 1024 }, 'too_large'],
  [
    'a huge body with a Content-Length',
    { status: 200, body: `{"keys":[],"pad":"${'x'.repeat(300_000)}"}` },
    'too_large',
  ],
  ['a gzip bomb', { gzipBomb: 8 * 1024 * 1024 }, 'too_large'],
]

describe('hostile key endpoint responses are failed fetches: KEYS_UNAVAILABLE on a cold cache, never 401/500', () => {
  test.each(cases)('%s', async (_name, mode, reason) => {
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, typeof mode === 'function' ? mode(plex.jwksUrl) : mode)
    const { onEvent, ofType } = recordEvents()
    // A short timeout only where the endpoint is meant to be slow: elsewhere a loaded machine must not
    // turn the expected reason into a timeout.
    const verifier = plexVerifier(plex, { onEvent, jwks: { timeout: reason === 'timeout' ? 0.2 : 5 } })
    const err = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(err.status).toBe(503)
    expect(err.retryAfter).toBeGreaterThanOrEqual(1)
    expect(ofType('keys_fetch_failed')).toEqual([
      { type: 'keys_fetch_failed', url: plex.jwksUrl, reason, retryIn: expect.any(Number) },
    ])
    // Exactly one request: redirects are not followed, failures are not retried in a loop.
    expect(keyRequests(plex)).toBe(1)
    expect(verifier.stats()).toMatchObject({
      keyFetches: 1,
      keyFetchFailures: 1,
      rejected: { KEYS_UNAVAILABLE: 1 },
    })
  })

  test('maxBytes is counted on the body read: a padded but valid key set passes or fails on the limit', async () => {
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, { hugeBytes: 4096 })
    const small = plexVerifier(plex, { jwks: { maxBytes: 2048 } })
    await expectCode(small.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    plex.fail(PLEX_PATHS.keys, { hugeBytes: 4096 })
    const large = plexVerifier(plex, { jwks: { maxBytes: 8192 } })
    await expect(large.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex)).toBe(2)
  })

  test('the default maxBytes is 256 KiB', async () => {
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, { hugeBytes: 256 * 1024 })
    await expect(plexVerifier(plex).verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    plex.fail(PLEX_PATHS.keys, { hugeBytes: 256 * 1024 + 1 })
    await expectCode(plexVerifier(plex).verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
  })

  test.each([
    ['jwks.timeout (2 s)', { timeout: 2 }, 2000],
    ['the default timeout (5 s)', {}, 5000],
  ])(
    'an endpoint that never answers fails at %s on the clock, not a millisecond before',
    async (_name, jwks, ms) => {
      const plex = await startPlex()
      plex.fail(PLEX_PATHS.keys, 'hang')
      const { fetch, sent } = fetchOnFakeTimers()
      const { onEvent, ofType } = recordEvents()
      const verifier = plexVerifier(plex, { onEvent, jwks, fetch })
      const verifying = verifier.verify(plex.issueToken())
      verifying.catch(() => {})
      await sent
      await expectSettledAt(verifying, ms, () => {
        expect(ofType('keys_fetch_failed')).toEqual([])
      })
      await expectCode(verifying, 'KEYS_UNAVAILABLE')
      expect(ofType('keys_fetch_failed')).toEqual([expect.objectContaining({ reason: 'timeout' })])
    },
  )

  test('a key set whose Content-Length is exactly jwks.maxBytes is read; one byte more is refused (too_large)', async () => {
    const plex = await startPlex()
    const keySet = JSON.parse(await (await fetch(plex.jwksUrl)).text()) as object
    /** The fake's key set, padded to exactly `bytes` bytes of JSON. */
    const padded = (bytes: number) => {
      const shell = Buffer.byteLength(JSON.stringify({ ...keySet, pad: '' }))
      const body = JSON.stringify({ ...keySet, pad: 'x'.repeat(bytes - shell) })
      expect(Buffer.byteLength(body)).toBe(bytes)
      return body
    }
    plex.fail(PLEX_PATHS.keys, { status: 200, body: padded(2048) }, { times: 1 })
    const atLimit = plexVerifier(plex, { jwks: { maxBytes: 2048 } })
    await expect(atLimit.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })

    plex.fail(PLEX_PATHS.keys, { status: 200, body: padded(2049) }, { times: 1 })
    const { onEvent, ofType } = recordEvents()
    const over = plexVerifier(plex, { onEvent, jwks: { maxBytes: 2048 } })
    await expectCode(over.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(ofType('keys_fetch_failed')).toEqual([expect.objectContaining({ reason: 'too_large' })])

    // A Content-Length one byte over is refused on the headers, without waiting for a body that never
    // comes (a read would end in a timeout instead).
    plex.fail(
      PLEX_PATHS.keys,
      { status: 200, headers: { 'content-length': '2049' }, body: '{' },
      { times: 1 },
    )
    const declared = recordEvents()
    const unread = plexVerifier(plex, { onEvent: declared.onEvent, jwks: { maxBytes: 2048, timeout: 1 } })
    await expectCode(unread.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(declared.ofType('keys_fetch_failed')).toEqual([expect.objectContaining({ reason: 'too_large' })])
  })

  test('the fetch asks for JSON', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    await verifier.ready()
    expect(plex.log).toEqual([expect.objectContaining({ method: 'GET', path: PLEX_PATHS.keys })])
    expect(plex.log[0]!.headers.accept).toBe('application/json')
  })

  test('KEYS_UNAVAILABLE carries the failure down to its source: the JSON error of a garbage body, the TypeError of a fetch without a response', async () => {
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, 'garbage')
    const quiet = { onEvent: () => {} }
    const garbage = await expectCode(plexVerifier(plex, quiet).verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(garbage.cause).toMatchObject({ name: 'KeyFetchError', reason: 'invalid_json' })
    const unparsed = (garbage.cause as Error).cause
    expect(unparsed).toMatchObject({ name: 'KeyFetchError', reason: 'invalid_json' })
    expect((unparsed as Error).cause).toBeInstanceOf(SyntaxError)

    const verifier = createPlexVerifier({
      jwksUrl: 'http://127.0.0.1:9/keys',
      clientIdentifier: 'plexauth-test-app',
      ...quiet,
      fetch: async () => undefined as unknown as Response,
    })
    const empty = await expectCode(verifier.ready(), 'KEYS_UNAVAILABLE')
    const unanswered = (empty.cause as Error).cause
    expect(unanswered).toMatchObject({ name: 'KeyFetchError', reason: 'network' })
    expect((unanswered as Error).cause).toBeInstanceOf(TypeError)
  })

  test('a thrown fetch implementation is a failed fetch too', async () => {
    const { onEvent, ofType } = recordEvents()
    const verifier = createPlexVerifier({
      jwksUrl: 'http://127.0.0.1:9/keys',
      clientIdentifier: 'plexauth-test-app',
      onEvent,
      fetch: async () => {
        throw new Error('ECONNREFUSED')
      },
    })
    await expectCode(verifier.ready(), 'KEYS_UNAVAILABLE')
    expect(ofType('keys_fetch_failed')).toEqual([expect.objectContaining({ reason: 'network' })])
  })

  test('a fetch implementation that resolves to no response is a failed fetch (network)', async () => {
    const { onEvent, ofType } = recordEvents()
    const verifier = createPlexVerifier({
      jwksUrl: 'http://127.0.0.1:9/keys',
      clientIdentifier: 'plexauth-test-app',
      onEvent,
      fetch: async () => undefined as unknown as Response,
    })
    await expectCode(verifier.ready(), 'KEYS_UNAVAILABLE')
    expect(ofType('keys_fetch_failed')).toEqual([expect.objectContaining({ reason: 'network' })])
  })
})
