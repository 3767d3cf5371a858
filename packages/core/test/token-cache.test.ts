import { PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import {
  advance,
  expectCode,
  keyRequests,
  plexClaims,
  plexVerifier,
  recordEvents,
  startPlex,
  staticSetup,
  useFakeDate,
} from './helpers.js'

describe('verified-token cache', () => {
  test('a repeated token is a cache hit, counted in stats()', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const token = plex.issueToken()
    const first = await verifier.verify(token)
    expect(verifier.stats()).toMatchObject({ verified: 1, cacheHits: 0 })
    const again = await verifier.verify(token)
    await verifier.verify(token)
    expect(again).toBe(first)
    expect(verifier.stats()).toEqual({
      verified: 3,
      cacheHits: 2,
      rejected: {},
      keyFetches: 1,
      keyFetchFailures: 0,
      legacyLookups: 0,
    })
  })

  test('expiry is re-checked on a hit: past exp (plus tolerance) → TOKEN_EXPIRED', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const token = plex.issueToken({ expiresIn: 120 })
    await verifier.verify(token)
    advance(120 + 59)
    await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'jwt' })
    expect(verifier.stats().cacheHits).toBe(1)
    advance(1)
    await expectCode(verifier.verify(token), 'TOKEN_EXPIRED')
    await expectCode(verifier.verify(token), 'TOKEN_EXPIRED')
    expect(verifier.stats()).toMatchObject({ verified: 2, cacheHits: 1, rejected: { TOKEN_EXPIRED: 2 } })
  })

  test('a key removed from the served set invalidates its cached tokens after the next refresh', async () => {
    useFakeDate()
    const plex = await startPlex({ keyCount: 2 })
    const { onEvent, next } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent })
    const removedKid = plex.signingKey.kid
    const token = plex.issueToken()
    await verifier.verify(token)
    plex.removeKey(removedKid)
    plex.rotateKeys()
    // Until a refresh, the cached entry stands.
    await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'jwt' })
    advance(490)
    const refreshed = next('keys_fetched')
    await verifier.verify(plex.issueToken())
    await refreshed
    expect(keyRequests(plex)).toBe(2)
    const hits = verifier.stats().cacheHits
    await expectCode(verifier.verify(token), 'TOKEN_KEY_UNKNOWN')
    expect(verifier.stats().cacheHits).toBe(hits)
  })

  test('a refresh that brings the same keys keeps verified tokens cached (their key objects are reused)', async () => {
    useFakeDate()
    const plex = await startPlex({ keyCount: 2 })
    const { onEvent, next } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent })
    const token = plex.issueToken()
    await verifier.verify(token)
    advance(490)
    const refreshed = next('keys_fetched')
    await verifier.verify(plex.issueToken())
    await refreshed
    expect(keyRequests(plex)).toBe(2)
    const { cacheHits, verified } = verifier.stats()
    await verifier.verify(token)
    expect(verifier.stats()).toMatchObject({ cacheHits: cacheHits + 1, verified: verified + 1 })
  })

  test('a cached token does not outlive the usable key set', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex, { jwks: { staleIfError: 60 } })
    const token = plex.issueToken()
    await verifier.verify(token)
    plex.fail(PLEX_PATHS.keys, 'down')
    advance(600 + 61)
    await expectCode(verifier.verify(token), 'KEYS_UNAVAILABLE')
  })

  test('tokenCacheSize bounds the cache (least recently used goes first); 0 disables it', async () => {
    const { verifier, sign } = staticSetup({ tokenCacheSize: 2 })
    const [a, b, c] = [1, 2, 3].map((id) => sign(plexClaims({ user: { id, uuid: `u${id}` } }))) as [
      string,
      string,
      string,
    ]
    await verifier.verify(a)
    await verifier.verify(b)
    await verifier.verify(a) // hit: a is now the most recent
    await verifier.verify(c) // evicts b
    expect(verifier.stats().cacheHits).toBe(1)
    await verifier.verify(a)
    await verifier.verify(c)
    expect(verifier.stats().cacheHits).toBe(3)
    await verifier.verify(b)
    expect(verifier.stats().cacheHits).toBe(3)

    const uncached = staticSetup({ tokenCacheSize: 0 })
    const token = uncached.sign(plexClaims())
    for (let i = 0; i < 3; i++) await uncached.verifier.verify(token)
    expect(uncached.verifier.stats()).toMatchObject({ verified: 3, cacheHits: 0 })
  })

  test('rejected tokens are never cached', async () => {
    const { verifier, sign } = staticSetup()
    const bad = sign(plexClaims({ iss: 'evil' }))
    for (let i = 0; i < 3; i++) await expectCode(verifier.verify(bad), 'TOKEN_CLAIMS_INVALID')
    expect(verifier.stats()).toMatchObject({
      verified: 0,
      cacheHits: 0,
      rejected: { TOKEN_CLAIMS_INVALID: 3 },
    })
  })
})
