import { toHttpError } from '@plexauth/core'
import { type FailureMode, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import {
  advance,
  expectCode,
  keyRequests,
  plexVerifier,
  recordEvents,
  startPlex,
  useFakeDate,
} from './helpers.js'

/** The real fetch, and a way to wait for every call it started (background refreshes included) to finish. */
function settledFetch() {
  const inflight = new Set<Promise<unknown>>()
  const fetch: typeof globalThis.fetch = (input, init) => {
    const call = globalThis.fetch(input, init)
    inflight.add(call)
    return call
  }
  const settle = async () => {
    await Promise.allSettled(inflight)
    inflight.clear()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { fetch, settle }
}

/** A verifier warmed on the fake plex.tv, whose key endpoint then fails as `mode` says; fake time. */
async function warmThenFailing(mode: FailureMode = { status: 500 }) {
  useFakeDate()
  const plex = await startPlex()
  const { onEvent, ofType } = recordEvents()
  const { fetch, settle } = settledFetch()
  const verifier = plexVerifier(plex, { onEvent, fetch })
  await verifier.ready()
  plex.fail(PLEX_PATHS.keys, mode)
  return { plex, verifier, ofType, settle }
}

describe('key endpoint outages after a warm start', () => {
  test('a 10-minute simulated outage after a warm start keeps verifying', async () => {
    // settle lets the test wait for background refreshes to finish, so each step sees their outcome.
    const { plex, verifier, ofType, settle } = await warmThenFailing('down')
    for (let elapsed = 0; elapsed <= 600; elapsed += 15) {
      const identity = await verifier.verify(plex.issueToken({ user: { id: 1000 + elapsed } }))
      expect(identity.user.id).toBe(1000 + elapsed)
      await settle()
      advance(15)
    }
    // It did try to refresh (from 80% of maxAge on), and kept serving the keys it had.
    expect(verifier.stats().keyFetchFailures).toBeGreaterThanOrEqual(1)
    expect(keyRequests(plex)).toBe(1 + verifier.stats().keyFetchFailures)
    expect(ofType('keys_fetch_failed').length).toBe(verifier.stats().keyFetchFailures)
    expect(verifier.stats().rejected).toEqual({})
  })

  test('the outage never makes requests wait for a hanging refresh', async () => {
    useFakeDate()
    const plex = await startPlex()
    const state = { calls: 0, settled: 0 }
    const fetch: typeof globalThis.fetch = async (input, init) => {
      state.calls++
      try {
        return await globalThis.fetch(input, init)
      } finally {
        state.settled++
      }
    }
    const verifier = plexVerifier(plex, { fetch, jwks: { timeout: 10 } })
    await verifier.ready()
    plex.fail(PLEX_PATHS.keys, 'hang')
    advance(700)
    await Promise.all(Array.from({ length: 50 }, () => verifier.verify(plex.issueToken())))
    // One refresh was started and is still hanging; nobody waited for it.
    expect(state.calls).toBe(2)
    expect(state.settled).toBe(1)
  })

  test('beyond maxAge, stale keys serve up to staleIfError, then KEYS_UNAVAILABLE 503 with Retry-After', async () => {
    useFakeDate()
    const plex = await startPlex()
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent, jwks: { staleIfError: 3600 } })
    await verifier.ready()
    plex.fail(PLEX_PATHS.keys, { status: 500 })

    advance(600 + 1)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(ofType('keys_stale')).toEqual([{ type: 'keys_stale', age: 601 }])

    advance(3600 - 2)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })

    advance(1)
    const err = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(err.retryAfter).toBeGreaterThanOrEqual(1)
    const http = toHttpError(err)
    expect(http.status).toBe(503)
    expect(http.headers['retry-after']).toBe(String(err.retryAfter))
    expect(http.body.code).toBe('KEYS_UNAVAILABLE')

    // Once plex.tv is back, the first request after the backoff fetches and verifies.
    plex.recover()
    advance(err.retryAfter!)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
  })

  test('a failed background refresh backs off: requests during the backoff start no fetch', async () => {
    const { plex, verifier, ofType, settle } = await warmThenFailing()
    advance(600 * 0.8)
    let user = 1
    const verifyAndSettle = async () => {
      await expect(verifier.verify(plex.issueToken({ user: { id: user++ } }))).resolves.toMatchObject({
        kind: 'jwt',
      })
      await settle()
    }
    await verifyAndSettle()
    expect(keyRequests(plex)).toBe(2)
    for (let i = 0; i < 20; i++) await verifyAndSettle()
    expect(keyRequests(plex)).toBe(2)
    advance(1)
    await verifyAndSettle()
    expect(keyRequests(plex)).toBe(3)
    advance(1)
    await verifyAndSettle()
    expect(keyRequests(plex)).toBe(3)
    expect(ofType('keys_fetch_failed').map((event) => event.retryIn)).toEqual([1, 2])
  })

  test('keys_stale is reported once per key set, once past maxAge: not at the refresh from 80%, not on each retry', async () => {
    const { plex, verifier, ofType, settle } = await warmThenFailing()
    let user = 1
    const verifyAfter = async (seconds: number) => {
      advance(seconds)
      await expect(verifier.verify(plex.issueToken({ user: { id: user++ } }))).resolves.toMatchObject({
        kind: 'jwt',
      })
      await settle()
    }
    await verifyAfter(480)
    expect(ofType('keys_stale')).toEqual([])
    await verifyAfter(121)
    await verifyAfter(2)
    await verifyAfter(4)
    expect(ofType('keys_fetch_failed')).toHaveLength(4)
    expect(ofType('keys_stale')).toEqual([{ type: 'keys_stale', age: 601 }])
    // A new set, stale in its turn, is reported again.
    plex.recover()
    await verifyAfter(8)
    expect(ofType('keys_fetched')).toHaveLength(2)
    plex.fail(PLEX_PATHS.keys, { status: 500 })
    await verifyAfter(601)
    expect(ofType('keys_stale')).toEqual([
      { type: 'keys_stale', age: 601 },
      { type: 'keys_stale', age: 601 },
    ])
  })

  test('keys_stale is reported from exactly maxAge on, its age rounded to the nearest second', async () => {
    useFakeDate()
    const plex = await startPlex()
    const atMaxAge = recordEvents()
    const later = recordEvents()
    const first = plexVerifier(plex, { onEvent: atMaxAge.onEvent })
    const second = plexVerifier(plex, { onEvent: later.onEvent })
    await first.ready()
    await second.ready()
    plex.fail(PLEX_PATHS.keys, { status: 500 })
    advance(600)
    await expect(first.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(atMaxAge.ofType('keys_stale')).toEqual([{ type: 'keys_stale', age: 600 }])
    advance(0.6)
    await expect(second.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(later.ofType('keys_stale')).toEqual([{ type: 'keys_stale', age: 601 }])
  })

  test('the default staleIfError is 24 hours', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    await verifier.ready()
    plex.fail(PLEX_PATHS.keys, 'down')
    advance(600 + 86_400 - 1)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    advance(61)
    await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
  })

  test('staleIfError 0 stops at maxAge', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex, { jwks: { staleIfError: 0 } })
    await verifier.ready()
    plex.fail(PLEX_PATHS.keys, 'down')
    advance(599)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    advance(61)
    await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
  })

  test('a refresh that succeeds during stale service restores fresh keys', async () => {
    useFakeDate()
    const plex = await startPlex()
    const { onEvent, next } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent, jwks: { staleIfError: 3600 } })
    await verifier.ready()
    plex.fail(PLEX_PATHS.keys, 'down')
    advance(1800)
    await verifier.verify(plex.issueToken())
    plex.recover()
    advance(60)
    const fetched = next('keys_fetched')
    await verifier.verify(plex.issueToken())
    await fetched
    // Now well past the old staleIfError horizon, the new keys still serve.
    advance(3000)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
  })
})
