import { randomBytes } from 'node:crypto'
import {
  backoffMs,
  createPlexVerifier,
  type PlexVerifierOptions,
  type RateBudget,
  type SharedKeySet,
  type SharingKeyStore,
} from '@plexauth/core'
import { type FakePlex, generateEd25519Key, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test, vi } from 'vitest'
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

const userCalls = (plex: FakePlex) => plex.requests(PLEX_PATHS.user)
const randomLegacyToken = () => randomBytes(15).toString('base64url')

function legacyVerifier(plex: FakePlex, options: PlexVerifierOptions = {}) {
  return plexVerifier(plex, { legacyTokens: true, plexTvUrl: plex.url, ...options })
}

/** A budget answering from a list, recording each take. */
function scriptedBudget(...answers: (number | undefined | Error)[]): RateBudget & { takes: number } {
  const budget = {
    takes: 0,
    take: async () => {
      const answer = answers[Math.min(budget.takes++, answers.length - 1)]
      if (answer instanceof Error) throw answer
      return answer
    },
  }
  return budget
}

/** A key store with nothing of its own to load or save: only `share`, whose calls it counts. */
function sharingOnly(share: SharingKeyStore['share']) {
  let calls = 0
  const store: SharingKeyStore = {
    load: () => undefined,
    save: () => {},
    share: (newerThan, fetchKeys) => {
      calls++
      return share(newerThan, fetchKeys)
    },
  }
  return { store, calls: () => calls }
}

/** A sharing key store over one in-memory slot, recording each `share` call's `newerThan`. */
function sharingStore(initial?: SharedKeySet) {
  let slot = initial
  const asked: (number | undefined)[] = []
  const store: SharingKeyStore & { asked: typeof asked; slot: () => SharedKeySet | undefined } = {
    asked,
    slot: () => slot,
    load: () => {
      throw new Error('a sharing store is never loaded')
    },
    save: () => {
      throw new Error('a sharing store is never saved to')
    },
    share: async (newerThan, fetchKeys) => {
      asked.push(newerThan)
      if (slot !== undefined && (newerThan === undefined || slot.fetchedAt > newerThan)) return slot
      slot = await fetchKeys()
      return slot
    },
  }
  return store
}

describe('backoffMs: exported, the one backoff', () => {
  test('1 s, doubling, capped at 60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((failures) => backoffMs(failures))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ])
  })
})

describe('legacyLookupBudget: a pluggable budget for legacy lookups', () => {
  test('a budget that grants sends the lookup; one that refuses answers 503 without asking plex.tv', async () => {
    const plex = await startPlex()
    const budget = scriptedBudget(0, 1500)
    const verifier = legacyVerifier(plex, { legacyLookupBudget: budget })
    await expect(verifier.verify(plex.createLegacyToken())).resolves.toMatchObject({ kind: 'legacy' })
    await expectCode(verifier.verify(plex.createLegacyToken()), 'PLEX_UNAVAILABLE')
    expect(budget.takes).toBe(2)
    expect(userCalls(plex)).toBe(1)
  })

  test('a budget that grants replaces the in-process bucket', async () => {
    const plex = await startPlex()
    const verifier = legacyVerifier(plex, {
      legacyLookupsPerSecond: 1,
      legacyLookupBudget: scriptedBudget(0),
    })
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, () => verifier.verify(randomLegacyToken())),
    )
    expect(outcomes.map((outcome) => outcome.status === 'rejected' && outcome.reason.code)).toEqual(
      Array(5).fill('TOKEN_INVALID'),
    )
    expect(userCalls(plex)).toBe(5)
  })

  test('a budget that cannot tell (undefined, or throwing) leaves the decision to the in-process bucket', async () => {
    const plex = await startPlex()
    for (const budget of [scriptedBudget(undefined), scriptedBudget(new Error('store down'))]) {
      plex.resetCounters()
      const verifier = legacyVerifier(plex, { legacyLookupsPerSecond: 2, legacyLookupBudget: budget })
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, () => verifier.verify(randomLegacyToken())),
      )
      const codes = outcomes.map((outcome) => outcome.status === 'rejected' && outcome.reason.code)
      expect(codes.filter((code) => code === 'TOKEN_INVALID')).toHaveLength(2)
      expect(codes.filter((code) => code === 'PLEX_UNAVAILABLE')).toHaveLength(4)
      expect(userCalls(plex)).toBe(2)
    }
  })

  test('concurrent requests with one token take from the budget once', async () => {
    const plex = await startPlex()
    const budget = scriptedBudget(0)
    const verifier = legacyVerifier(plex, { legacyLookupBudget: budget })
    const token = plex.createLegacyToken()
    await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)))
    expect(budget.takes).toBe(1)
    expect(userCalls(plex)).toBe(1)
  })

  test('a budget without take() is a TypeError at construction', () => {
    for (const legacyLookupBudget of [{}, null, 5, { take: 1 }]) {
      expect(() =>
        createPlexVerifier({
          clientIdentifier: CLIENT,
          legacyLookupBudget,
        } as unknown as PlexVerifierOptions),
      ).toThrow(new TypeError('plexauth: legacyLookupBudget must have a take() method'))
    }
  })
})

describe('SharingKeyStore: one key fetch for the fleet', () => {
  test('a cold verifier asks the store first, and its fetch is what the store shares', async () => {
    const plex = await startPlex()
    const store = sharingStore()
    const { onEvent, ofType } = recordEvents()
    await plexVerifier(plex, { keyStore: store, onEvent }).verify(plex.issueToken())
    expect(store.asked).toEqual([undefined])
    expect(keyRequests(plex)).toBe(1)
    expect(ofType('keys_fetched')).toHaveLength(1)
    expect(store.slot()?.jwks.keys.map((key) => key.kid)).toEqual(plex.keys.keys.map((key) => key.kid))
  })

  test("the set fetched for the fleet carries the clamped maxAge, not the header's", async () => {
    for (const [cacheControl, maxAge] of [
      ['max-age=999999', 86_400],
      ['max-age=5', 60],
    ] as const) {
      const plex = await startPlex({ cacheControl })
      const store = sharingStore()
      await plexVerifier(plex, { keyStore: store }).ready()
      expect(store.slot(), cacheControl).toMatchObject({ maxAge })
    }
  })

  test('a second verifier on the same store verifies without fetching', async () => {
    const plex = await startPlex()
    const store = sharingStore()
    await plexVerifier(plex, { keyStore: store }).ready()
    const { onEvent, ofType } = recordEvents()
    const second = plexVerifier(plex, { keyStore: store, onEvent })
    await expect(second.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex)).toBe(1)
    expect(ofType('keys_loaded')).toEqual([
      { type: 'keys_loaded', source: 'keyStore', keyCount: plex.keys.keys.length },
    ])
    expect(ofType('keys_fetched')).toEqual([])
  })

  test('what the store hands out passes the member filter of a fresh fetch', async () => {
    const plex = await startPlex({ keyCount: 1 })
    const planted = generateEd25519Key()
    const good = plex.keys.keys[0]!
    const store = sharingStore({
      jwks: {
        keys: [
          good,
          { ...planted.publicJwk, d: planted.privateKey.export({ format: 'jwk' }).d },
          { ...planted.publicJwk, kid: 'dup' },
          { ...generateEd25519Key().publicJwk, kid: 'dup' },
          { kty: 'RSA', kid: 'rsa', n: 'AQAB', e: 'AQAB' },
        ],
      },
      fetchedAt: Date.now(),
      maxAge: 600,
    })
    const verifier = plexVerifier(plex, { keyStore: store })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    const forged = plex.sign(
      { alg: 'EdDSA', kid: planted.publicJwk.kid, typ: 'JWT' },
      { iss: 'plex.tv', aud: [CLIENT], sub: 'x' },
      { signWith: planted.privateKey },
    )
    await expectCode(verifier.verify(forged), 'TOKEN_KEY_UNKNOWN')
    expect(keyRequests(plex)).toBe(0)
  })

  test('a stale shared set serves at once, and its refresh asks for a newer one, fetched once', async () => {
    const plex = await startPlex()
    const fetchedAt = Date.now() - 700_000
    const store = sharingStore({ jwks: plex.keys, fetchedAt, maxAge: 600 })
    const verifier = plexVerifier(plex, { keyStore: store })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    await vi.waitFor(() => expect(store.asked).toEqual([undefined, fetchedAt]))
    await vi.waitFor(() => expect(store.slot()?.fetchedAt).toBeGreaterThan(fetchedAt))
    expect(keyRequests(plex)).toBe(1)
  })

  test('a sharing store is never loaded nor saved to', async () => {
    const plex = await startPlex()
    const store = sharingStore()
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { keyStore: store, onEvent })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    await new Promise((resolve) => setImmediate(resolve))
    expect(ofType('keys_fetched')).toHaveLength(1)
    expect(ofType('key_store_failed')).toEqual([])
  })

  test("a store that runs this instance's fetch but hands out another set installs the set it hands out", async () => {
    const plex = await startPlex({ keyCount: 1 })
    const other = generateEd25519Key()
    const handedOut: SharedKeySet = { jwks: { keys: [other.publicJwk] }, fetchedAt: Date.now(), maxAge: 600 }
    const { store } = sharingOnly(async (_newerThan, fetchKeys) => {
      await fetchKeys()
      return handedOut
    })
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { keyStore: store, onEvent })
    await expect(
      verifier.verify(plex.issueToken({ kid: other.kid, signWith: other.privateKey })),
    ).resolves.toMatchObject({ kind: 'jwt' })
    await expectCode(verifier.verify(plex.issueToken()), 'TOKEN_KEY_UNKNOWN')
    expect(keyRequests(plex)).toBe(1)
    expect(ofType('keys_loaded')).toEqual([{ type: 'keys_loaded', source: 'keyStore', keyCount: 1 }])
    expect(ofType('keys_fetched')).toEqual([])
  })

  test.each([
    ['a fetch time in the future counts from now', { fetchedAt: T0 + 86_400_000, maxAge: 600 }, 480],
    ['a maxAge over a day counts as a day', { fetchedAt: T0, maxAge: 10 * 86_400 }, 86_400 * 0.8],
  ])('a shared set: %s', async (_name, times, refreshAfter) => {
    useFakeDate()
    const plex = await startPlex()
    const { store, calls } = sharingOnly(async () => ({ jwks: plex.keys as never, ...times }))
    const verifier = plexVerifier(plex, { keyStore: store })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    advance(refreshAfter - 1)
    await expect(verifier.verify(plex.issueToken({ user: { id: 2 } }))).resolves.toMatchObject({
      kind: 'jwt',
    })
    expect(calls()).toBe(1)
    advance(1)
    await expect(verifier.verify(plex.issueToken({ user: { id: 3 } }))).resolves.toMatchObject({
      kind: 'jwt',
    })
    await vi.waitFor(() => expect(calls()).toBe(2))
    expect(keyRequests(plex)).toBe(0)
  })

  test('a shared set already past its usable time answers 503, never 401, and the next request asks for a newer one', async () => {
    useFakeDate()
    const plex = await startPlex()
    const fetchedAt = Date.now() - 700_000
    const store = sharingStore({ jwks: plex.keys, fetchedAt, maxAge: 600 })
    const verifier = plexVerifier(plex, { keyStore: store, jwks: { staleIfError: 0 } })
    const expired = await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    // No failed fetch, so no backoff: Retry-After is the least it can be, never 0.
    expect(expired.retryAfter).toBe(1)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(store.asked).toEqual([undefined, fetchedAt])
    expect(keyRequests(plex)).toBe(1)
  })

  test('a store that cannot tell (undefined) leaves the fetch to the verifier', async () => {
    const plex = await startPlex()
    const { store } = sharingOnly(async () => undefined)
    await expect(plexVerifier(plex, { keyStore: store }).verify(plex.issueToken())).resolves.toMatchObject({
      kind: 'jwt',
    })
    expect(keyRequests(plex)).toBe(1)
  })

  test.each([
    ['no usable key', () => ({ jwks: { keys: [] }, fetchedAt: Date.now(), maxAge: 600 }), 'no_usable_keys'],
    [
      'no maxAge',
      (plex: FakePlex) => ({ jwks: plex.keys as never, fetchedAt: Date.now(), maxAge: 0 }),
      'invalid_jwks',
    ],
    [
      'no fetch time',
      (plex: FakePlex) => ({ jwks: plex.keys as never, fetchedAt: Number.NaN, maxAge: 600 }),
      'invalid_jwks',
    ],
    [
      'more than jwks.maxKeys keys',
      (plex: FakePlex) => ({
        jwks: {
          keys: [...Array.from({ length: 32 }, () => generateEd25519Key().publicJwk), ...plex.keys.keys],
        },
        fetchedAt: Date.now(),
        maxAge: 600,
      }),
      'too_many_keys',
    ],
  ])('a shared set with %s is a failed fetch: nothing installed, no download', async (_name, set, reason) => {
    const plex = await startPlex()
    const { store } = sharingOnly(async () => set(plex) as SharedKeySet)
    const { onEvent, ofType } = recordEvents()
    await expectCode(
      plexVerifier(plex, { keyStore: store, onEvent }).verify(plex.issueToken()),
      'KEYS_UNAVAILABLE',
    )
    expect(ofType('keys_fetch_failed')).toMatchObject([{ reason }])
    expect(ofType('keys_loaded')).toEqual([])
    expect(keyRequests(plex)).toBe(0)
  })

  test('the same shared set with its fetch time and maxAge is installed as is', async () => {
    const plex = await startPlex()
    const set = { jwks: plex.keys as never, fetchedAt: Date.now(), maxAge: 600 }
    const { store } = sharingOnly(async () => set)
    const { onEvent, ofType } = recordEvents()
    await expect(
      plexVerifier(plex, { keyStore: store, onEvent }).verify(plex.issueToken()),
    ).resolves.toMatchObject({
      kind: 'jwt',
    })
    expect(ofType('keys_loaded')).toHaveLength(1)
    expect(keyRequests(plex)).toBe(0)
  })

  test('a store that rejects counts as a failed fetch and backs off', async () => {
    const plex = await startPlex()
    const { store, calls } = sharingOnly(async () => {
      throw new Error('another instance failed')
    })
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { keyStore: store, onEvent })
    await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
    expect(calls()).toBe(1)
    expect(ofType('keys_fetch_failed')).toMatchObject([{ reason: 'network', retryIn: 1 }])
    expect(keyRequests(plex)).toBe(0)
  })
})
