import { createPlexVerifier, toHttpError } from '@plexauth/core'
import { generateEd25519Key, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import {
  advance,
  CLIENT,
  expectCode,
  keyRequests,
  plexVerifier,
  recordEvents,
  startPlex,
  T0,
  useFakeDate,
} from './helpers.js'

/**
 * Wraps the real fetch to count calls, and holds every answer after the first `free` until the test
 * calls `release()`: a refresh the test controls, with no timing involved.
 */
function gatedFetch(free = 1) {
  const state = { calls: 0, pending: 0 }
  let release!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const fetch: typeof globalThis.fetch = async (input, init) => {
    state.calls++
    state.pending++
    try {
      if (state.calls > free) await gate
      return await globalThis.fetch(input, init)
    } finally {
      state.pending--
    }
  }
  return { fetch, state, release }
}

describe('cold start', () => {
  test('a 100-concurrent cold start makes exactly one key fetch', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const tokens = Array.from({ length: 100 }, (_, i) => plex.issueToken({ user: { id: i + 1 } }))
    const identities = await Promise.all(tokens.map((token) => verifier.verify(token)))
    expect(identities.map((identity) => identity.user.id)).toEqual(tokens.map((_, i) => i + 1))
    expect(keyRequests(plex)).toBe(1)
    expect(verifier.stats()).toMatchObject({ verified: 100, keyFetches: 1, keyFetchFailures: 0 })
  })

  test('a 100-concurrent cold start against a dead endpoint makes one fetch and 100 KEYS_UNAVAILABLE', async () => {
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, 'down')
    const verifier = plexVerifier(plex)
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => verifier.verify(plex.issueToken())),
    )
    for (const result of results) {
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: 'KEYS_UNAVAILABLE',
        status: 503,
      })
    }
    expect(keyRequests(plex)).toBe(1)
  })

  test('ready() fetches once, then answers from the cache', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    await Promise.all([verifier.ready(), verifier.ready(), verifier.ready()])
    await verifier.ready()
    expect(keyRequests(plex)).toBe(1)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex)).toBe(1)
  })

  test('ready() on keys past maxAge (still usable) refreshes them once, and resolves although that refresh fails', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex, { jwks: { maxAge: 100 } })
    await verifier.ready()
    advance(101)
    await verifier.ready()
    expect(keyRequests(plex)).toBe(2)
    advance(101)
    plex.fail(PLEX_PATHS.keys, { status: 500 })
    await expect(verifier.ready()).resolves.toBeUndefined()
    expect(keyRequests(plex)).toBe(3)
    // The stale keys still verify (within staleIfError).
    plex.recover()
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
  })

  test('ready() on keys past maxAge honours the backoff of a failed refresh: resolved at once, no fetch', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex, { jwks: { maxAge: 100 } })
    await verifier.ready()
    plex.fail(PLEX_PATHS.keys, { status: 500 })
    // At maxAge on the dot, the keys are no longer fresh: refreshed.
    advance(100)
    await verifier.ready()
    expect(keyRequests(plex)).toBe(2)
    // A readiness probe during the outage: the keys are usable, the failed refresh backs off for 1 s.
    for (let i = 0; i < 20; i++) await expect(verifier.ready()).resolves.toBeUndefined()
    expect(keyRequests(plex)).toBe(2)
    advance(1)
    await expect(verifier.ready()).resolves.toBeUndefined()
    expect(keyRequests(plex)).toBe(3)
  })

  test('ready() rejects with KEYS_UNAVAILABLE when no keys can be had', async () => {
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, { status: 500 })
    const verifier = plexVerifier(plex)
    const err = await expectCode(verifier.ready(), 'KEYS_UNAVAILABLE')
    expect(err.retryAfter).toBeGreaterThanOrEqual(1)
  })
})

describe('Cache-Control max-age', () => {
  test.each([
    ['max-age=120', 120],
    ['public, max-age=300, must-revalidate', 300],
    ['max-age=5 (clamped up)', 60],
    ['max-age=0 (clamped up)', 60],
    ['no-store (clamped up)', 60],
    ['max-age=999999 (clamped down)', 86_400],
    ['s-maxage=5 (not max-age: the default)', 600],
    ['no-cache (clamped up)', 60],
    ['x-max-age=5 (another directive: the default)', 600],
    ['max-age=120x (unreadable: the default)', 600],
    ['No-Store (in any case: clamped up)', 60],
    ['private, no-store (after another directive: clamped up)', 60],
    ['no-cache="set-cookie", max-age=300 (no-cache of one field only)', 300],
    ['max-age="120" (quoted)', 120],
    ['max-age = 120 (spaces around =)', 120],
    ['max-age=99999999999 (eleven digits: unreadable, the default)', 600],
    [undefined, 600],
  ])('%s → keys are fresh for %i s, refreshed from 80%% of that', async (cacheControl, maxAge) => {
    useFakeDate()
    const plex = await startPlex(
      cacheControl === undefined ? {} : { cacheControl: cacheControl.split(' (')[0]! },
    )
    const { onEvent, ofType, next } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent })
    await verifier.ready()
    expect(ofType('keys_fetched')).toEqual([expect.objectContaining({ maxAge })])
    advance(maxAge * 0.8 - 1)
    await verifier.verify(plex.issueToken())
    expect(keyRequests(plex)).toBe(1)
    advance(2)
    const fetched = next('keys_fetched')
    await verifier.verify(plex.issueToken())
    await fetched
    expect(keyRequests(plex)).toBe(2)
  })

  test('jwks.maxAge overrides the header', async () => {
    useFakeDate()
    const plex = await startPlex({ cacheControl: 'max-age=86400' })
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent, jwks: { maxAge: 100 } })
    await verifier.ready()
    expect(ofType('keys_fetched')).toEqual([expect.objectContaining({ maxAge: 100 })])
  })
})

describe('refresh ahead of expiry', () => {
  test('a request at 85% of maxAge does not wait for the refresh, and triggers exactly one fetch', async () => {
    useFakeDate()
    const plex = await startPlex()
    const { fetch, state, release } = gatedFetch()
    const { onEvent, next } = recordEvents()
    const verifier = plexVerifier(plex, { fetch, onEvent })
    await verifier.ready()
    expect(state.calls).toBe(1)
    advance(600 * 0.85)
    const refreshed = next('keys_fetched')
    const identities = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(plex.issueToken())))
    expect(identities).toHaveLength(20)
    // Every request was answered while the refresh was still held back.
    expect(state.calls).toBe(2)
    expect(state.pending).toBe(1)
    release()
    await refreshed
    expect(state.pending).toBe(0)
    await verifier.verify(plex.issueToken())
    expect(state.calls).toBe(2)
    expect(keyRequests(plex)).toBe(2)
  })

  test('a refresh started before maxAge and still under way past it is joined: no keys_stale, no second fetch', async () => {
    useFakeDate()
    const plex = await startPlex()
    const { fetch, state, release } = gatedFetch()
    const { onEvent, ofType, next } = recordEvents()
    const verifier = plexVerifier(plex, { fetch, onEvent })
    await verifier.ready()
    advance(600 * 0.85)
    await verifier.verify(plex.issueToken())
    expect(state.pending).toBe(1)
    advance(600 * 0.2)
    const refreshed = next('keys_fetched')
    await verifier.verify(plex.issueToken({ user: { id: 2 } }))
    release()
    await refreshed
    expect(ofType('keys_stale')).toEqual([])
    expect(state.calls).toBe(2)
  })

  test('before 80% of maxAge nothing is fetched', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    await verifier.ready()
    for (let t = 0; t < 470; t += 47) {
      advance(47)
      await verifier.verify(plex.issueToken())
    }
    expect(keyRequests(plex)).toBe(1)
  })
})

describe('backoff after a failed fetch', () => {
  test('retryIn rounds the backoff left up: a millisecond passing while the failure is reported never makes it 0', async () => {
    let now = T0
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now++)
    onTestFinished(() => clock.mockRestore())
    const { onEvent, ofType } = recordEvents()
    const verifier = createPlexVerifier({
      jwksUrl: 'http://127.0.0.1:9/keys',
      clientIdentifier: CLIENT,
      onEvent,
      fetch: async () => new Response('', { status: 500 }),
    })
    await expectCode(verifier.ready(), 'KEYS_UNAVAILABLE')
    expect(ofType('keys_fetch_failed')).toEqual([expect.objectContaining({ reason: 'status', retryIn: 1 })])
  })

  test('on a cold cache, requests during the backoff get 503 at once with Retry-After, without a fetch', async () => {
    useFakeDate()
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, 'down')
    const verifier = plexVerifier(plex)
    const first = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(first.retryAfter).toBe(1)
    expect(keyRequests(plex)).toBe(1)

    for (let i = 0; i < 50; i++) {
      const err = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
      expect(err.retryAfter).toBe(1)
      const http = toHttpError(err)
      expect(http.status).toBe(503)
      expect(http.headers['retry-after']).toBe('1')
    }
    await expectCode(verifier.ready(), 'KEYS_UNAVAILABLE')
    expect(keyRequests(plex)).toBe(1)

    // The backoff doubles: 1 s, 2 s, 4 s...
    advance(1)
    const second = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(keyRequests(plex)).toBe(2)
    expect(second.retryAfter).toBe(2)
    advance(1)
    const waiting = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(waiting.retryAfter).toBe(1)
    expect(keyRequests(plex)).toBe(2)
    advance(1)
    const third = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(third.retryAfter).toBe(4)
    expect(keyRequests(plex)).toBe(3)

    // Recovery: the first request after the backoff fetches and verifies.
    plex.recover()
    advance(4)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex)).toBe(4)
    expect(verifier.stats()).toMatchObject({ keyFetches: 4, keyFetchFailures: 3 })
  })

  test('Retry-After rounds the backoff left up, and KEYS_UNAVAILABLE carries the failed fetch as its cause', async () => {
    useFakeDate()
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, { status: 500 })
    const verifier = plexVerifier(plex)
    const first = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(first.cause).toMatchObject({ reason: 'status' })
    advance(1)
    const second = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(second.retryAfter).toBe(2)
    expect(second.cause).toMatchObject({ reason: 'status' })
    // 1.5 s of the 2 s backoff left: Retry-After says 2, never a second too early.
    vi.setSystemTime(Date.now() + 500)
    const waiting = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(waiting.retryAfter).toBe(2)
    expect(keyRequests(plex)).toBe(2)
  })

  test('a success resets the backoff: the next failure backs off 1 s again', async () => {
    useFakeDate()
    const plex = await startPlex()
    const { onEvent, ofType, next } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent, jwks: { maxAge: 100 } })
    plex.fail(PLEX_PATHS.keys, { status: 500 })
    await expectCode(verifier.ready(), 'KEYS_UNAVAILABLE')
    advance(1)
    await expectCode(verifier.ready(), 'KEYS_UNAVAILABLE')
    advance(2)
    await expectCode(verifier.ready(), 'KEYS_UNAVAILABLE')
    plex.recover()
    advance(4)
    await verifier.ready()
    plex.fail(PLEX_PATHS.keys, { status: 500 })
    advance(80)
    const failed = next('keys_fetch_failed')
    await verifier.verify(plex.issueToken())
    await failed
    expect(ofType('keys_fetch_failed').map((event) => event.retryIn)).toEqual([1, 2, 4, 1])
    expect(keyRequests(plex)).toBe(5)
  })

  test('the backoff is capped at 60 s', async () => {
    useFakeDate()
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, { status: 503 })
    const verifier = plexVerifier(plex)
    let last = 0
    for (let i = 0; i < 10; i++) {
      const err = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
      last = err.retryAfter!
      advance(last)
    }
    expect(last).toBe(60)
    expect(keyRequests(plex)).toBe(10)
  })
})

describe('rotation', () => {
  test('a new kid causes one refetch, then verifies; old tokens keep verifying', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const old = plex.issueToken()
    await verifier.verify(old)
    expect(keyRequests(plex)).toBe(1)
    advance(31)
    const rotated = plex.rotateKeys()
    const fresh = plex.issueToken()
    await expect(verifier.verify(fresh)).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex)).toBe(2)
    await Promise.all(
      Array.from({ length: 10 }, () => verifier.verify(plex.issueToken({ kid: rotated.kid }))),
    )
    await expect(verifier.verify(old)).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex)).toBe(2)
  })

  test('a rotation within the cooldown is refused until the cooldown ends, then one refetch', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    await verifier.ready()
    plex.rotateKeys()
    const fresh = plex.issueToken()
    await expectCode(verifier.verify(fresh), 'TOKEN_KEY_UNKNOWN')
    advance(29)
    await expectCode(verifier.verify(fresh), 'TOKEN_KEY_UNKNOWN')
    expect(keyRequests(plex)).toBe(1)
    advance(1)
    await expect(verifier.verify(fresh)).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex)).toBe(2)
  })

  test('a key withdrawn by a rotation stops verifying after the next refresh', async () => {
    useFakeDate()
    const plex = await startPlex({ keyCount: 1 })
    const verifier = plexVerifier(plex, { tokenCacheSize: 0 })
    const old = plex.issueToken()
    await verifier.verify(old)
    advance(31)
    plex.rotateKeys({ keep: false })
    await verifier.verify(plex.issueToken())
    expect(keyRequests(plex)).toBe(2)
    await expectCode(verifier.verify(old), 'TOKEN_KEY_UNKNOWN')
  })

  test('a kid republished with another key verifies with the new key only', async () => {
    useFakeDate()
    const plex = await startPlex({ keyCount: 1 })
    const verifier = plexVerifier(plex, { tokenCacheSize: 0 })
    const kid = plex.signingKey.kid
    const before = plex.issueToken()
    await verifier.verify(before)
    const replacement = generateEd25519Key({ kid })
    plex.setKeysResponse({ keys: [replacement.publicJwk] })
    advance(481)
    await verifier.verify(before)
    // Wait for the background refresh started at 80% of maxAge.
    await vi.waitFor(() => expect(keyRequests(plex)).toBe(2))
    await vi.waitFor(() => expectCode(verifier.verify(before), 'TOKEN_SIGNATURE_INVALID'))
    await expect(verifier.verify(plex.issueToken({ signWith: replacement }))).resolves.toMatchObject({
      kind: 'jwt',
    })
  })

  test('the signing key need not be first in the set', async () => {
    const plex = await startPlex({ keyCount: 4 })
    plex.setKeysResponse({ keys: [...plex.keys.keys].reverse() })
    const verifier = plexVerifier(plex)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    for (const key of plex.keys.keys) {
      await expect(verifier.verify(plex.issueToken({ kid: key.kid }))).resolves.toMatchObject({ kind: 'jwt' })
    }
    expect(keyRequests(plex)).toBe(1)
  })
})

describe('a refresh that brings nothing usable keeps the good keys', () => {
  test.each([
    ['an empty key set', { keys: [] }],
    ['a set of private keys only', 'private'],
  ])('%s does not wipe them', async (_name, response) => {
    useFakeDate()
    const plex = await startPlex()
    const { onEvent, next } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent })
    await verifier.verify(plex.issueToken())
    const hostile =
      response === 'private'
        ? { keys: plex.keys.keys.map((jwk) => ({ ...jwk, d: 'A'.repeat(43) })) }
        : (response as { keys: [] })
    plex.setKeysResponse(hostile)
    advance(601)
    const failed = next('keys_fetch_failed')
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(await failed).toMatchObject({ reason: 'no_usable_keys' })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex)).toBe(2)
  })
})
