import { randomBytes } from 'node:crypto'
import {
  type CacheStore,
  createPlexVerifier,
  isPlexAuthError,
  PlexAuthError,
  type PlexVerifierOptions,
  toHttpError,
} from '@plexauth/core'
import { type FailureMode, type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { isLegacyToken } from '../src/plex-tv/legacy-tokens.js'
import { advance, CLIENT, expectCode, plexVerifier, recordEvents, startPlex, useFakeDate } from './helpers.js'

/** A verifier accepting legacy tokens, asking the fake. */
function legacyVerifier(plex: FakePlex, options: PlexVerifierOptions = {}) {
  return plexVerifier(plex, { legacyTokens: true, plexTvUrl: plex.url, ...options })
}

const userCalls = (plex: FakePlex) => plex.requests(PLEX_PATHS.user)

/** A token of the legacy shape that plex.tv does not know: 20 random characters. */
function randomLegacyToken(): string {
  return randomBytes(15).toString('base64url')
}

describe('legacy tokens: off by default', () => {
  test('without legacyTokens, an opaque token is malformed and plex.tv is never asked', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex, { plexTvUrl: plex.url })
    await expectCode(verifier.verify(plex.createLegacyToken()), 'TOKEN_MALFORMED')
    expect(userCalls(plex)).toBe(0)
  })

  test('legacy settings without legacyTokens: true do not turn legacy tokens on', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex, {
      plexTvUrl: plex.url,
      legacyTokenTtl: 60,
      legacyLookupsPerSecond: 5,
    })
    await expectCode(verifier.verify(plex.createLegacyToken()), 'TOKEN_MALFORMED')
    expect(userCalls(plex)).toBe(0)
    expect(verifier.stats().legacyLookups).toBe(0)
  })

  test('options are validated at construction, even while legacy tokens are off', () => {
    const bad: [string, Record<string, unknown>][] = [
      ['legacyTokens not a boolean', { legacyTokens: 'yes' }],
      ['legacyTokens without clientIdentifier', { legacyTokens: true, clientIdentifier: undefined }],
      ['legacyTokenTtl negative', { legacyTokenTtl: -1 }],
      ['legacyTokenTtl zero', { legacyTokenTtl: 0 }],
      ['legacyTokenNegativeTtl not a number', { legacyTokenNegativeTtl: '30' }],
      ['legacyTokenNegativeTtl above legacyTokenTtl', { legacyTokenTtl: 60, legacyTokenNegativeTtl: 61 }],
      ['legacyLookupsPerSecond zero', { legacyLookupsPerSecond: 0 }],
      ['legacyLookupsPerSecond infinite', { legacyLookupsPerSecond: Number.POSITIVE_INFINITY }],
      ['legacyTokenCache without methods', { legacyTokenCache: {} }],
      ['plexTvUrl over plain http', { plexTvUrl: 'http://plex.example' }],
      ['plexTvUrl with a query', { plexTvUrl: 'https://plex.tv/?a=1' }],
      ['plexTvUrl with credentials', { plexTvUrl: 'https://u:p@plex.tv' }],
      ['plexTvTimeout zero', { plexTvTimeout: 0 }],
      ['a misspelt option', { legacyToken: true }],
    ]
    for (const [name, options] of bad) {
      expect(() => createPlexVerifier({ clientIdentifier: CLIENT, ...options }), name).toThrow(TypeError)
    }
    expect(() =>
      createPlexVerifier({ legacyTokens: true, clientIdentifier: CLIENT, plexTvUrl: 'http://127.0.0.1:1/' }),
    ).not.toThrow()
    // The default negative TTL (30) follows a shorter legacyTokenTtl down; equal TTLs are allowed.
    expect(() => createPlexVerifier({ clientIdentifier: CLIENT, legacyTokenTtl: 10 })).not.toThrow()
    expect(() =>
      createPlexVerifier({ clientIdentifier: CLIENT, legacyTokenTtl: 60, legacyTokenNegativeTtl: 60 }),
    ).not.toThrow()
  })
})

describe('legacy tokens: what plex.tv answers', () => {
  test('200: a frozen legacy identity from the account, scopes for the fields present', async () => {
    const plex = await startPlex()
    const friend = plex.addAccount({ username: 'friend', restricted: true })
    const verifier = legacyVerifier(plex)
    const token = plex.createLegacyToken({ accountId: friend.id })
    const identity = await verifier.verify(token)
    expect(identity.kind).toBe('legacy')
    expect(identity.user).toEqual({
      id: friend.id,
      uuid: friend.uuid,
      username: 'friend',
      email: friend.email,
      friendlyName: friend.friendly_name,
      restricted: true,
      anonymous: false,
      home: false,
      joinedAt: friend.joinedAt,
    })
    expect(identity.scopes).toEqual([
      'username',
      'email',
      'friendly_name',
      'restricted',
      'anonymous',
      'joinedAt',
    ])
    expect(identity.clientIdentifier).toBe(CLIENT)
    expect(identity.claims).toBeUndefined()
    expect(identity.token).toBe(token)
    expect(Object.keys(identity)).not.toContain('token')
    expect(JSON.stringify(identity)).not.toContain(token)
    for (const part of [identity, identity.user, identity.scopes]) expect(Object.isFrozen(part)).toBe(true)
    // The lookup: JSON, this app's client identifier, the token in a header (the log leaves it out).
    const entry = plex.log.find((logged) => logged.path === PLEX_PATHS.user)
    expect(entry?.headers).toMatchObject({ accept: 'application/json', 'x-plex-client-identifier': CLIENT })
    expect(verifier.stats()).toMatchObject({ verified: 1, legacyLookups: 1 })
  })

  test('with several client identifiers, the lookup sends the first, and the identity names it', async () => {
    const plex = await startPlex()
    const verifier = legacyVerifier(plex, { clientIdentifier: ['first-app', 'second-app'] })
    const identity = await verifier.verify(plex.createLegacyToken())
    expect(identity.clientIdentifier).toBe('first-app')
    const entry = plex.log.find((logged) => logged.path === PLEX_PATHS.user)
    expect(entry?.headers).toMatchObject({ 'x-plex-client-identifier': 'first-app' })
  })

  test('fields plex.tv leaves empty are absent, and so are their scopes', async () => {
    const plex = await startPlex()
    const account = plex.addAccount({ username: undefined, email: undefined, friendly_name: undefined })
    const identity = await legacyVerifier(plex).verify(plex.createLegacyToken({ accountId: account.id }))
    // `home` is no scope: plex.tv always says whether the account belongs to a Plex Home.
    expect(Object.keys(identity.user).sort()).toEqual([
      'anonymous',
      'home',
      'id',
      'joinedAt',
      'restricted',
      'uuid',
    ])
    expect(identity.scopes).toEqual(['restricted', 'anonymous', 'joinedAt'])
  })

  test('401: TOKEN_INVALID (401, invalid_token), remembered for legacyTokenNegativeTtl', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = legacyVerifier(plex, { legacyTokenNegativeTtl: 30 })
    const token = randomLegacyToken()
    const err = await expectCode(verifier.verify(token), 'TOKEN_INVALID')
    expect(toHttpError(err)).toEqual({
      status: 401,
      headers: {
        'www-authenticate':
          'Bearer realm="plex", error="invalid_token", error_description="The token was rejected by Plex"',
      },
      body: {
        error: 'invalid_token',
        error_description: 'The token was rejected by Plex',
        code: 'TOKEN_INVALID',
      },
    })
    advance(29)
    await expectCode(verifier.verify(token), 'TOKEN_INVALID')
    expect(userCalls(plex)).toBe(1)
    advance(2)
    await expectCode(verifier.verify(token), 'TOKEN_INVALID')
    expect(userCalls(plex)).toBe(2)
  })

  const unavailable: [string, FailureMode][] = [
    ['500', { status: 500 }],
    ['503', { status: 503 }],
    ['498', { status: 498 }],
    ['403', { status: 403 }],
    ['a redirect', { redirect: 'https://plex.tv/elsewhere' }],
    ['a dropped connection', 'down'],
    ['a body that is not JSON', 'garbage'],
    ['a 200 that is not an account', { body: { errors: [] } }],
    ['an oversized body', { body: 'x'.repeat(70_000) }],
  ]
  test.each(unavailable)('%s: PLEX_UNAVAILABLE (503 with Retry-After), never 401', async (_name, mode) => {
    const plex = await startPlex()
    const { onEvent, ofType } = recordEvents()
    const verifier = legacyVerifier(plex, { onEvent })
    plex.fail(PLEX_PATHS.user, mode)
    const err = await expectCode(verifier.verify(plex.createLegacyToken()), 'PLEX_UNAVAILABLE')
    expect(err.retryAfter).toBeGreaterThanOrEqual(1)
    const { status, headers } = toHttpError(err)
    expect(status).toBe(503)
    expect(headers['retry-after']).toBe(String(err.retryAfter))
    expect(ofType('plex_request_failed')).toHaveLength(1)
    expect(JSON.stringify(ofType('plex_request_failed'))).not.toMatch(/x-plex-token/i)
  })

  test('a timeout: PLEX_UNAVAILABLE after plexTvTimeout', async () => {
    const plex = await startPlex()
    const verifier = legacyVerifier(plex, { plexTvTimeout: 0.2 })
    plex.fail(PLEX_PATHS.user, 'hang')
    const err = await expectCode(verifier.verify(plex.createLegacyToken()), 'PLEX_UNAVAILABLE')
    expect(err.cause).toMatchObject({ reason: 'timeout' })
  })

  test("429: plex.tv's Retry-After is honoured: no lookup before it ends", async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = legacyVerifier(plex)
    plex.fail(PLEX_PATHS.user, { status: 429, headers: { 'retry-after': '30' } }, { times: 1 })
    const first = await expectCode(verifier.verify(plex.createLegacyToken()), 'PLEX_UNAVAILABLE')
    expect(first.retryAfter).toBe(30)
    advance(20)
    const token = plex.createLegacyToken()
    const second = await expectCode(verifier.verify(token), 'PLEX_UNAVAILABLE')
    expect(second.retryAfter).toBe(10)
    expect(userCalls(plex)).toBe(1)
    advance(11)
    await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'legacy' })
    expect(userCalls(plex)).toBe(2)
  })

  test('a failure backs off, and cached answers keep serving meanwhile', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = legacyVerifier(plex)
    const known = plex.createLegacyToken()
    await verifier.verify(known)
    plex.fail(PLEX_PATHS.user, { status: 502 })
    await expectCode(verifier.verify(plex.createLegacyToken()), 'PLEX_UNAVAILABLE')
    await expectCode(verifier.verify(plex.createLegacyToken()), 'PLEX_UNAVAILABLE')
    expect(userCalls(plex)).toBe(2)
    await expect(verifier.verify(known)).resolves.toMatchObject({ kind: 'legacy' })
    plex.recover()
    advance(1)
    await expect(verifier.verify(plex.createLegacyToken())).resolves.toMatchObject({ kind: 'legacy' })
  })

  test("one token's unusable answer (bad body, 498, 403) backs off that token only, not every user", async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = legacyVerifier(plex)
    for (const mode of ['garbage', { status: 498 }, { status: 403 }] as const) {
      const unlucky = plex.createLegacyToken()
      plex.fail(PLEX_PATHS.user, mode, { times: 1 })
      await expectCode(verifier.verify(unlucky), 'PLEX_UNAVAILABLE')
      const calls = userCalls(plex)
      await expect(verifier.verify(plex.createLegacyToken())).resolves.toMatchObject({ kind: 'legacy' })
      await expectCode(verifier.verify(unlucky), 'PLEX_UNAVAILABLE')
      expect(userCalls(plex), JSON.stringify(mode)).toBe(calls + 1)
      advance(1)
      await expect(verifier.verify(unlucky)).resolves.toMatchObject({ kind: 'legacy' })
    }
  })
})

describe('legacy tokens: JWTs are untouched', () => {
  test('a JWT is verified locally as before, with legacyTokens on', async () => {
    const plex = await startPlex()
    const verifier = legacyVerifier(plex)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    await expectCode(verifier.verify('abc.def.ghi'), 'TOKEN_MALFORMED')
    await expectCode(verifier.verify('a'.repeat(65)), 'TOKEN_MALFORMED')
    await expectCode(verifier.verify('short'), 'TOKEN_MALFORMED')
    await expectCode(verifier.verify('has~tilde0123456789'), 'TOKEN_MALFORMED')
    await expectCode(verifier.verify(''), 'TOKEN_MISSING')
    expect(userCalls(plex)).toBe(0)
  })
})

describe('legacy tokens: how often plex.tv is asked', () => {
  test('100 concurrent requests with one token: one plex.tv call', async () => {
    const plex = await startPlex()
    const verifier = legacyVerifier(plex)
    const token = plex.createLegacyToken()
    const identities = await Promise.all(Array.from({ length: 100 }, () => verifier.verify(token)))
    expect(identities.every((identity) => identity.user.id === plex.account.id)).toBe(true)
    expect(userCalls(plex)).toBe(1)
  })

  test('100 concurrent requests with one unknown token: one plex.tv call, 100 TOKEN_INVALID', async () => {
    const plex = await startPlex()
    const verifier = legacyVerifier(plex)
    const token = randomLegacyToken()
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => verifier.verify(token)))
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason.code === 'TOKEN_INVALID')).toBe(true)
    expect(userCalls(plex)).toBe(1)
  })

  test('repeated requests within legacyTokenTtl: no call; after it, one', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = legacyVerifier(plex, { legacyTokenTtl: 300 })
    const token = plex.createLegacyToken()
    await verifier.verify(token)
    for (let i = 0; i < 10; i++) {
      advance(29)
      await verifier.verify(token)
    }
    expect(userCalls(plex)).toBe(1)
    expect(verifier.stats()).toMatchObject({ verified: 11, cacheHits: 10, legacyLookups: 1 })
    advance(11)
    await verifier.verify(token)
    expect(userCalls(plex)).toBe(2)
  })

  test('legacyTokenTtl defaults to 300 s', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = legacyVerifier(plex)
    const token = plex.createLegacyToken()
    await verifier.verify(token)
    advance(299)
    await verifier.verify(token)
    expect(userCalls(plex)).toBe(1)
    advance(2)
    await verifier.verify(token)
    expect(userCalls(plex)).toBe(2)
  })

  test('a flood of 10,000 random tokens stays within legacyLookupsPerSecond; beyond it, 503', async () => {
    useFakeDate()
    const plex = await startPlex()
    const rate = 5
    const verifier = legacyVerifier(plex, { legacyLookupsPerSecond: rate })
    const codes: Record<string, number> = {}
    const seconds = 4
    for (let second = 0; second < seconds; second++) {
      if (second > 0) advance(1)
      const batch = Array.from({ length: 10_000 / seconds }, () => verifier.verify(randomLegacyToken()))
      for (const outcome of await Promise.allSettled(batch)) {
        const code =
          outcome.status === 'rejected' && isPlexAuthError(outcome.reason) ? outcome.reason.code : 'ok'
        codes[code] = (codes[code] ?? 0) + 1
      }
    }
    // A full bucket at the start, then `rate` a second: never more (the clock moved seconds - 1 times).
    expect(userCalls(plex)).toBe(rate * seconds)
    expect(codes).toEqual({ TOKEN_INVALID: rate * seconds, PLEX_UNAVAILABLE: 10_000 - rate * seconds })
    const refused = await expectCode(verifier.verify(randomLegacyToken()), 'PLEX_UNAVAILABLE')
    expect(toHttpError(refused).headers['retry-after']).toBe('1')
    expect(verifier.stats().rejected.PLEX_UNAVAILABLE).toBe(10_000 - rate * seconds + 1)
  })

  test('the rate limit spends nothing on cached tokens', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = legacyVerifier(plex, { legacyLookupsPerSecond: 1 })
    const token = plex.createLegacyToken()
    await verifier.verify(token)
    await expectCode(verifier.verify(randomLegacyToken()), 'PLEX_UNAVAILABLE')
    for (let i = 0; i < 50; i++)
      await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'legacy' })
  })
})

describe('legacy tokens: what is a legacy token, and the budgets of lookups', () => {
  test('8 to 64 characters of A-Z a-z 0-9 _ -', () => {
    expect(isLegacyToken('a'.repeat(7))).toBe(false)
    expect(isLegacyToken('a'.repeat(8))).toBe(true)
    expect(isLegacyToken('a'.repeat(64))).toBe(true)
    expect(isLegacyToken('a'.repeat(65))).toBe(false)
  })

  test('an account answer of 64 KiB is read; one byte more is PLEX_UNAVAILABLE, never an identity', async () => {
    const plex = await startPlex()
    const verifier = legacyVerifier(plex)
    plex.fail(PLEX_PATHS.user, { hugeBytes: 64 * 1024 }, { times: 1 })
    await expect(verifier.verify(plex.createLegacyToken())).resolves.toMatchObject({ kind: 'legacy' })
    plex.fail(PLEX_PATHS.user, { hugeBytes: 64 * 1024 + 1 }, { times: 1 })
    await expectCode(verifier.verify(plex.createLegacyToken()), 'PLEX_UNAVAILABLE')
  })

  test('a client may spend its legacyLookupsPerClient at once (at least 3); then it waits as long as its bucket says', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = legacyVerifier(plex, { legacyLookupsPerSecond: 1000, legacyLookupsPerClient: 10 })
    for (let i = 0; i < 10; i++)
      await expectCode(verifier.verify(randomLegacyToken(), { client: 'a' }), 'TOKEN_INVALID')
    await expectCode(verifier.verify(randomLegacyToken(), { client: 'a' }), 'PLEX_UNAVAILABLE')
    const slow = legacyVerifier(plex, { legacyLookupsPerSecond: 1000, legacyLookupsPerClient: 0.25 })
    for (let i = 0; i < 3; i++)
      await expectCode(slow.verify(randomLegacyToken(), { client: 'b' }), 'TOKEN_INVALID')
    const waiting = await expectCode(slow.verify(randomLegacyToken(), { client: 'b' }), 'PLEX_UNAVAILABLE')
    expect(waiting.retryAfter).toBe(4)
    expect(userCalls(plex)).toBe(13)
  })

  test('with a shared budget, each client still has its own: beyond it, the budget is not asked', async () => {
    useFakeDate()
    const plex = await startPlex()
    let taken = 0
    const budget = {
      take: () => {
        taken++
        return 0
      },
    }
    const verifier = legacyVerifier(plex, { legacyLookupBudget: budget, legacyLookupsPerClient: 1 })
    for (let i = 0; i < 3; i++)
      await expectCode(verifier.verify(randomLegacyToken(), { client: 'a' }), 'TOKEN_INVALID')
    await expectCode(verifier.verify(randomLegacyToken(), { client: 'a' }), 'PLEX_UNAVAILABLE')
    expect(taken).toBe(3)
    expect(userCalls(plex)).toBe(3)
  })

  // The per-client buckets are an LRU of 10,000 clients: a flood of addresses cannot grow it without bound,
  // and what it forgets is the least recent client, whose bucket starts full again.
  test.each([
    // Still remembered: refused by its own bucket, before the shared budget or plex.tv is asked.
    [9_999, 'PLEX_UNAVAILABLE', 0],
    // Forgotten: a full bucket again, so the budget is asked and plex.tv with it.
    [10_000, 'TOKEN_INVALID', 1],
  ] as const)(
    "a client's spent budget, after %i other clients: its next request is %s",
    async (others, code, lookups) => {
      useFakeDate()
      const plex = await startPlex()
      // The shared budget is asked only once a client's own bucket let the request through.
      let open = true
      let asked = 0
      const budget = {
        take: () => {
          asked++
          return open ? 0 : 60_000
        },
      }
      const verifier = legacyVerifier(plex, { legacyLookupBudget: budget, legacyLookupsPerClient: 1 })
      for (let i = 0; i < 3; i++)
        await expectCode(verifier.verify(randomLegacyToken(), { client: 'first' }), 'TOKEN_INVALID')
      await expectCode(verifier.verify(randomLegacyToken(), { client: 'first' }), 'PLEX_UNAVAILABLE')
      expect(asked).toBe(3)
      // The others each get past their own (new) bucket, and the shared budget refuses them: plex.tv is not asked.
      open = false
      for (let i = 0; i < others; i++)
        await expectCode(verifier.verify(randomLegacyToken(), { client: `other-${i}` }), 'PLEX_UNAVAILABLE')
      expect(asked).toBe(3 + others)
      expect(userCalls(plex)).toBe(3)
      open = true
      await expectCode(verifier.verify(randomLegacyToken(), { client: 'first' }), code)
      expect(asked).toBe(3 + others + lookups)
      expect(userCalls(plex)).toBe(3 + lookups)
    },
  )

  test('a token plex.tv backs off from costs no budget while it waits: the other users keep theirs', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = legacyVerifier(plex, { legacyLookupsPerSecond: 2 })
    const unlucky = plex.createLegacyToken()
    plex.fail(PLEX_PATHS.user, 'garbage', { times: 1 })
    await expectCode(verifier.verify(unlucky), 'PLEX_UNAVAILABLE')
    for (let i = 0; i < 5; i++) await expectCode(verifier.verify(unlucky), 'PLEX_UNAVAILABLE')
    // The clock has not moved: one lookup is left in the bucket of two, for somebody else.
    await expect(verifier.verify(plex.createLegacyToken())).resolves.toMatchObject({ kind: 'legacy' })
    expect(userCalls(plex)).toBe(2)
  })
})

describe('legacy tokens: the cache store', () => {
  /** A store that keeps JSON, like Redis would, and records what it was given. */
  function jsonStore(): CacheStore & { keys: string[]; values: string[] } {
    const data = new Map<string, string>()
    const keys: string[] = []
    const values: string[] = []
    return {
      keys,
      values,
      get: async (key) => {
        const value = data.get(key)
        return value === undefined ? undefined : JSON.parse(value)
      },
      set: async (key, value, ttlSeconds) => {
        expect(ttlSeconds).toBeGreaterThan(0)
        keys.push(key)
        values.push(JSON.stringify(value))
        data.set(key, JSON.stringify(value))
      },
    }
  }

  test('keys are SHA-256 hashes: the store never holds a token, and another instance reuses the answers', async () => {
    const plex = await startPlex()
    const store = jsonStore()
    const token = plex.createLegacyToken()
    const unknown = randomLegacyToken()
    const first = legacyVerifier(plex, { legacyTokenCache: store })
    await first.verify(token)
    await expectCode(first.verify(unknown), 'TOKEN_INVALID')
    expect(store.keys).toHaveLength(2)
    for (const key of store.keys) expect(key).toMatch(/^legacy:[A-Za-z0-9_-]{43}$/)
    for (const text of [...store.keys, ...store.values]) {
      expect(text).not.toContain(token)
      expect(text).not.toContain(unknown)
    }
    const second = legacyVerifier(plex, { legacyTokenCache: store })
    await expect(second.verify(token)).resolves.toMatchObject({
      kind: 'legacy',
      user: { id: plex.account.id },
    })
    await expectCode(second.verify(unknown), 'TOKEN_INVALID')
    expect(userCalls(plex)).toBe(2)
  })

  test('a corrupted entry is a miss, not an identity', async () => {
    const plex = await startPlex()
    const token = plex.createLegacyToken()
    const bogus = { valid: true, user: { id: 'admin' }, scopes: [] }
    const store: CacheStore = { get: () => bogus, set: () => {} }
    const identity = await legacyVerifier(plex, { legacyTokenCache: store }).verify(token)
    expect(identity.user.id).toBe(plex.account.id)
    expect(userCalls(plex)).toBe(1)
  })

  test.each([
    ['no object', 'valid'],
    ['null', null],
    ['scopes that are no list', { valid: true, user: { id: 1, uuid: 'u' }, scopes: 'all' }],
    ['no user', { valid: true, user: null, scopes: [] }],
    ['a user that is no object', { valid: true, user: 'admin', scopes: [] }],
    ['a user that is no Plex account', { valid: true, user: { id: 1 }, scopes: [] }],
    [
      'a frozen record whose user is not frozen (not what this process stores)',
      Object.freeze({ valid: true, user: { id: 1, uuid: 5 }, scopes: Object.freeze([]) }),
    ],
    [
      'a frozen record (as this process stores them) with a bad id',
      Object.freeze({ valid: true, user: Object.freeze({ id: 'admin' }), scopes: Object.freeze([]) }),
    ],
  ])('a stored entry with %s is a miss: plex.tv is asked', async (_name, bogus) => {
    const plex = await startPlex()
    const token = plex.createLegacyToken()
    const store: CacheStore = { get: () => bogus, set: () => {} }
    const identity = await legacyVerifier(plex, { legacyTokenCache: store }).verify(token)
    expect(identity.user.id).toBe(plex.account.id)
    expect(userCalls(plex)).toBe(1)
  })

  test('a stored account without joinedAt or other optional fields is read back as such', async () => {
    const plex = await startPlex()
    const store: CacheStore = {
      get: () => ({ valid: true, user: { id: 5, uuid: 'u-5' }, scopes: [] }),
      set: () => {},
    }
    const identity = await legacyVerifier(plex, { legacyTokenCache: store }).verify(plex.createLegacyToken())
    expect(identity.user).toEqual({ id: 5, uuid: 'u-5' })
    expect(identity.scopes).toEqual([])
    expect(userCalls(plex)).toBe(0)
  })

  test('a failing store is a miss: the lookup still answers, and the failure is an event', async () => {
    const plex = await startPlex()
    const { onEvent, ofType } = recordEvents()
    const store: CacheStore = {
      get: async () => {
        throw new Error('redis down')
      },
      set: () => {
        throw new Error('redis down')
      },
    }
    const verifier = legacyVerifier(plex, { legacyTokenCache: store, onEvent })
    await expect(verifier.verify(plex.createLegacyToken())).resolves.toMatchObject({ kind: 'legacy' })
    expect(ofType('cache_store_failed').map((event) => event.operation)).toEqual(['get', 'set'])
  })
})

test('PLEX_UNAVAILABLE maps to 503 temporarily_unavailable with Retry-After', () => {
  expect(toHttpError(new PlexAuthError('PLEX_UNAVAILABLE', { retryAfter: 12 }))).toEqual({
    status: 503,
    headers: { 'www-authenticate': 'Bearer realm="plex"', 'retry-after': '12' },
    body: {
      error: 'temporarily_unavailable',
      error_description: 'Plex is unavailable, try again later',
      code: 'PLEX_UNAVAILABLE',
    },
  })
})

test('a fetch that resolves to no response is PLEX_UNAVAILABLE, reported as a network failure', async () => {
  const plex = await startPlex()
  const { onEvent, ofType } = recordEvents()
  const verifier = legacyVerifier(plex, { fetch: async () => undefined as unknown as Response, onEvent })
  await expectCode(verifier.verify(plex.createLegacyToken()), 'PLEX_UNAVAILABLE')
  expect(ofType('plex_request_failed')).toEqual([expect.objectContaining({ reason: 'network' })])
})
