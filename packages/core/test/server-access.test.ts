import {
  type CacheStore,
  createMemoryCacheStore,
  type PlexIdentity,
  type ServerAccessOptions,
  toHttpError,
} from '@plexauth/core'
import { createServerAccessGuard } from '@plexauth/core/adapter'
import { type FakePlex, type FakeServer, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { ServerAccessChecker } from '../src/plex-tv/server-access.js'
import {
  advance,
  CLIENT,
  expectCode,
  nowSeconds,
  plexVerifier,
  recordEvents,
  startPlex,
  useFakeDate,
} from './helpers.js'

interface Setup {
  plex: FakePlex
  server: FakeServer
  owner: PlexIdentity
  friend: PlexIdentity
  stranger: PlexIdentity
  identityOf: (accountId: number) => Promise<PlexIdentity>
  guard: (options?: Partial<ServerAccessOptions>, mode?: 'access' | 'owner') => Check
}

/** A guard as an async function resolving to the identity it hands back. */
type Check = (identity: PlexIdentity | undefined | null) => Promise<PlexIdentity | undefined>

function asCheck(guard: ReturnType<typeof createServerAccessGuard>): Check {
  return async (identity) => (await guard(identity)) || undefined
}

/** A fake with an owner, a friend the server is shared with, and a stranger; identities are verified JWTs. */
async function setup(): Promise<Setup> {
  const plex = await startPlex()
  const friendAccount = plex.addAccount({ username: 'friend' })
  const strangerAccount = plex.addAccount({ username: 'stranger' })
  const server = plex.addServer({ name: 'Basement', sharedWith: [friendAccount.id] })
  const verifier = plexVerifier(plex)
  const identityOf = (accountId: number) => verifier.verify(plex.issueToken({ user: { id: accountId } }))
  return {
    plex,
    server,
    owner: await identityOf(plex.account.id),
    friend: await identityOf(friendAccount.id),
    stranger: await identityOf(strangerAccount.id),
    identityOf,
    guard: (options = {}, mode = 'access') =>
      asCheck(
        createServerAccessGuard(
          {
            machineIdentifier: server.machineIdentifier,
            plexTvUrl: plex.url,
            ownerId: plex.account.id,
            ...options,
          },
          mode,
        ),
      ),
  }
}

const resourceCalls = (plex: FakePlex) => plex.requests(PLEX_PATHS.resources)
const friendsCalls = (plex: FakePlex) => plex.requests(PLEX_PATHS.users)

describe('requireServerAccess: who may use the server', () => {
  test('the owner: a new frozen identity with access { owner: true }; the shared one is untouched', async () => {
    const { owner, guard, server } = await setup()
    const result = await guard()(owner)
    expect(result).not.toBe(owner)
    expect(result?.access).toEqual({
      machineIdentifier: server.machineIdentifier,
      owner: true,
      source: 'resources',
      stale: false,
    })
    expect(owner.access).toBeUndefined()
    expect(Object.isFrozen(result)).toBe(true)
    expect(Object.isFrozen(result?.access)).toBe(true)
    // Everything else carries over; the token stays hidden.
    expect(result).toMatchObject({ kind: 'jwt', user: owner.user, scopes: owner.scopes })
    if (result?.kind !== 'jwt' || owner.kind !== 'jwt') throw new Error('expected JWT identities')
    expect(result.thumbprint).toBe(owner.thumbprint)
    expect(result.claims).toBe(owner.claims)
    expect(result.token).toBe(owner.token)
    expect(Object.keys(result)).not.toContain('token')
    expect(JSON.stringify(result)).not.toContain(owner.token)
  })

  test('a user the server is shared with: access { owner: false }', async () => {
    const { friend, guard } = await setup()
    expect((await guard()(friend))?.access).toMatchObject({ owner: false, source: 'resources', stale: false })
  })

  test('a stranger: 403 ACCESS_DENIED', async () => {
    const { stranger, guard } = await setup()
    const err = await expectCode(guard()(stranger), 'ACCESS_DENIED')
    expect(toHttpError(err).status).toBe(403)
  })

  test('anonymous: 401 TOKEN_MISSING, and plex.tv is not asked', async () => {
    const { plex, guard } = await setup()
    await expectCode(guard()(undefined), 'TOKEN_MISSING')
    await expectCode(guard()(null), 'TOKEN_MISSING')
    expect(resourceCalls(plex)).toBe(0)
  })

  test('a server the user can see but that is not a server (provides "client"): denied', async () => {
    const { plex, guard } = await setup()
    const player = plex.addServer({ provides: 'client,player' })
    const identity = await plexVerifier(plex).verify(plex.issueToken())
    await expectCode(guard({ machineIdentifier: player.machineIdentifier })(identity), 'ACCESS_DENIED')
  })

  test("plex.tv rejects the user's token (e.g. a revoked device): 401 TOKEN_INVALID", async () => {
    const { plex, guard } = await setup()
    const key = plex.addKey()
    const identity = await plexVerifier(plex).verify(plex.issueToken({ kid: key.kid }))
    plex.removeKey(key.kid)
    const check = guard()
    await expectCode(check(identity), 'TOKEN_INVALID')
    // Refused again for a minute without asking plex.tv: a revoked token cannot make it call per request.
    await expectCode(check(identity), 'TOKEN_INVALID')
    expect(resourceCalls(plex)).toBe(1)
  })

  test('plex.tv reports the token expired (498) while it still verifies within clockTolerance: 401 TOKEN_EXPIRED, nobody else waits', async () => {
    const { plex, friend, owner, guard } = await setup()
    const { onEvent, ofType } = recordEvents()
    const expiredAgo = 30
    const expired = await plexVerifier(plex).verify(
      plex.issueToken({ user: { id: friend.user.id }, issuedAt: nowSeconds() - 7 * 86_400 - expiredAgo }),
    )
    const check = guard({ onEvent })
    const err = await expectCode(check(expired), 'TOKEN_EXPIRED')
    expect(toHttpError(err).status).toBe(401)
    // An answer about one token: no backoff for the endpoint, the next user is asked at once.
    expect((await check(owner))?.access?.owner).toBe(true)
    expect(resourceCalls(plex)).toBe(2)
    expect(ofType('plex_request_failed')).toEqual([])
    // Refused again for a minute without asking plex.tv.
    await expectCode(check(expired), 'TOKEN_EXPIRED')
    expect(resourceCalls(plex)).toBe(2)
  })

  test.each([
    ['a body that is not JSON', 'garbage', 'invalid_body'],
    ['a 200 that is not a device list', { body: { errors: [] } }, 'invalid_body'],
    ['an oversized body', { hugeBytes: 8192 }, 'too_large'],
    ['an unexpected 4xx', { status: 403 }, 'status'],
  ] as const)(
    "one user's unusable answer (%s): 503 for that user, backing off that token only",
    async (_name, mode, reason) => {
      useFakeDate()
      const { plex, friend, owner, guard } = await setup()
      const { onEvent, ofType } = recordEvents()
      const check = guard({ onEvent, maxBytes: 4096 })
      plex.fail(PLEX_PATHS.resources, mode, { times: 1 })
      const err = await expectCode(check(friend), 'PLEX_UNAVAILABLE')
      expect(err.retryAfter).toBe(1)
      expect(ofType('plex_request_failed')).toMatchObject([{ url: `${plex.url}/api/v2/resources`, reason }])
      // Another user is asked at once and answered.
      expect((await check(owner))?.access?.owner).toBe(true)
      expect(resourceCalls(plex)).toBe(2)
      // That user's token is not sent again before its backoff ends; then it is.
      await expectCode(check(friend), 'PLEX_UNAVAILABLE')
      expect(resourceCalls(plex)).toBe(2)
      advance(1)
      expect((await check(friend))?.access?.owner).toBe(false)
      expect(resourceCalls(plex)).toBe(3)
    },
  )

  test('transport failures, 5xx and 429 still back off the endpoint for every user', async () => {
    const { plex, friend, owner, guard } = await setup()
    const check = guard()
    plex.fail(PLEX_PATHS.resources, { status: 502 }, { times: 1 })
    await expectCode(check(friend), 'PLEX_UNAVAILABLE')
    await expectCode(check(owner), 'PLEX_UNAVAILABLE')
    expect(resourceCalls(plex)).toBe(1)
  })

  test('the lookup: the user token in a header, JSON, includeHttps=1, the identity’s client identifier', async () => {
    const { plex, friend, server } = await setup()
    const urls: string[] = []
    const fetch: typeof globalThis.fetch = (input, init) => {
      urls.push(String(input))
      return globalThis.fetch(input, init)
    }
    await asCheck(
      createServerAccessGuard({
        machineIdentifier: server.machineIdentifier,
        plexTvUrl: plex.url,
        ownerId: plex.account.id,
        fetch,
      }),
    )(friend)
    expect(urls).toEqual([`${plex.url}/api/v2/resources?includeHttps=1`])
    expect(plex.log.at(-1)?.headers).toMatchObject({
      accept: 'application/json',
      'x-plex-client-identifier': CLIENT,
    })
  })

  test('legacy identities are checked with their legacy token', async () => {
    const { plex, server } = await setup()
    const account = plex.addAccount({ username: 'legacy-friend' })
    server.share(account.id)
    const verifier = plexVerifier(plex, { legacyTokens: true, plexTvUrl: plex.url })
    const identity = await verifier.verify(plex.createLegacyToken({ accountId: account.id }))
    const guard = createServerAccessGuard({
      machineIdentifier: server.machineIdentifier,
      plexTvUrl: plex.url,
      ownerId: plex.account.id,
    })
    expect(await asCheck(guard)(identity)).toMatchObject({ kind: 'legacy', access: { owner: false } })
  })

  test("the clientIdentifier option is sent rather than the identity's", async () => {
    const { plex, friend, guard } = await setup()
    expect((await guard({ clientIdentifier: 'guard-app' })(friend))?.access?.owner).toBe(false)
    expect(plex.log.at(-1)?.headers).toMatchObject({ 'x-plex-client-identifier': 'guard-app' })
  })
})

describe('requireServerOwner', () => {
  test('the owner passes; a friend and a stranger get 403', async () => {
    const { owner, friend, stranger, guard } = await setup()
    const ownerOnly = guard({}, 'owner')
    expect((await ownerOnly(owner))?.access?.owner).toBe(true)
    await expectCode(ownerOnly(friend), 'ACCESS_DENIED')
    await expectCode(ownerOnly(stranger), 'ACCESS_DENIED')
  })

  test('one shared cache serves requireServerAccess and requireServerOwner: one lookup per user', async () => {
    const { plex, owner, guard } = await setup()
    const cache = createMemoryCacheStore()
    await guard({ cache })(owner)
    await guard({ cache }, 'owner')(owner)
    expect(resourceCalls(plex)).toBe(1)
  })
})

describe("who decides ownership (issue 11): never the user's own device list", () => {
  /** A device list as plex.tv would show it to an account that registered a device under the server's identifier. */
  const forged = (machineIdentifier: string, entry: Record<string, unknown>) => [
    { name: 'Basement', clientIdentifier: machineIdentifier, provides: 'server', ...entry },
  ]

  test('without ownerId or ownerToken, requireServerAccess and requireServerOwner throw TypeError when built', async () => {
    const { plex, server } = await setup()
    for (const mode of ['access', 'owner'] as const) {
      expect(() =>
        createServerAccessGuard({ machineIdentifier: server.machineIdentifier, plexTvUrl: plex.url }, mode),
      ).toThrow(TypeError)
    }
    expect(() =>
      createServerAccessGuard({ machineIdentifier: server.machineIdentifier, ownerId: 0 }),
    ).toThrow(TypeError)
    expect(() =>
      createServerAccessGuard({ machineIdentifier: server.machineIdentifier, ownerId: '1' as never }),
    ).toThrow(TypeError)
  })

  test.each(['access', 'owner'] as const)(
    'a stranger who registered a device under the server identifier (owned: true) is refused (%s)',
    async (mode) => {
      const { plex, server, stranger, guard } = await setup()
      plex.fail(PLEX_PATHS.resources, {
        body: forged(server.machineIdentifier, { owned: true, ownerId: null }),
      })
      await expectCode(guard({}, mode)(stranger), 'ACCESS_DENIED')
      // Nor when that device names the owner's account: an entry the user owns is shared by nobody.
      plex.fail(PLEX_PATHS.resources, {
        body: forged(server.machineIdentifier, { owned: true, ownerId: plex.account.id }),
      })
      await expectCode(guard({ accessTtl: 0 }, mode)(stranger), 'ACCESS_DENIED')
    },
  )

  test('a device shared by another account than the owner does not count; one the owner shared does', async () => {
    const { plex, server, stranger, friend, guard } = await setup()
    const check = guard({ accessTtl: 0 })
    plex.fail(PLEX_PATHS.resources, {
      body: forged(server.machineIdentifier, { owned: false, ownerId: stranger.user.id }),
    })
    await expectCode(check(friend), 'ACCESS_DENIED')
    plex.recover(PLEX_PATHS.resources)
    expect((await check(friend))?.access).toMatchObject({ owner: false, source: 'resources' })
  })

  test("the owner is the account with the owner's id, read once with ownerToken when ownerId is not given", async () => {
    const { plex, server, owner, friend, stranger } = await setup()
    const ownerToken = plex.createLegacyToken({ accountId: plex.account.id })
    const guard = (mode: 'access' | 'owner') =>
      asCheck(
        createServerAccessGuard(
          { machineIdentifier: server.machineIdentifier, plexTvUrl: plex.url, ownerToken },
          mode,
        ),
      )
    const ownerOnly = guard('owner')
    expect((await ownerOnly(owner))?.access).toMatchObject({ owner: true })
    await expectCode(ownerOnly(friend), 'ACCESS_DENIED')
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
    // The stranger's forged device: refused by the owner's id, whatever the list says.
    plex.fail(PLEX_PATHS.resources, { body: forged(server.machineIdentifier, { owned: true }) })
    await expectCode(ownerOnly(stranger), 'ACCESS_DENIED')
    await expectCode(guard('access')(stranger), 'ACCESS_DENIED')
  })

  test('an owner token plex.tv refuses, and no ownerId: an event, and 503 rather than a guess', async () => {
    const { plex, server, friend } = await setup()
    const { onEvent, ofType } = recordEvents()
    const check = asCheck(
      createServerAccessGuard({
        machineIdentifier: server.machineIdentifier,
        plexTvUrl: plex.url,
        ownerToken: 'RevokedOwnerToken000',
        onEvent,
      }),
    )
    await expectCode(check(friend), 'PLEX_UNAVAILABLE')
    expect(ofType('plex_request_failed').map((event) => event.url)).toContain(`${plex.url}${PLEX_PATHS.user}`)
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
    // The refused token is not sent again for a minute: 503 at once, for every user.
    const err = await expectCode(check(friend), 'PLEX_UNAVAILABLE')
    expect(err.retryAfter).toBeGreaterThan(1)
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
  })

  test("without owner information (plexLogin's plain access), a listed server grants access, never ownership", async () => {
    const { plex, server, owner, stranger } = await setup()
    const checker = new ServerAccessChecker({
      machineIdentifier: server.machineIdentifier,
      plexTvUrl: plex.url,
    })
    expect(await checker.ownerAccountIdFor(owner)).toBeUndefined()
    // Even the owner's own list (owned: true) proves nothing without the owner's id.
    expect(await checker.check(owner)).toMatchObject({ owner: false, source: 'resources' })
    plex.fail(PLEX_PATHS.resources, { body: forged(server.machineIdentifier, { owned: true }) })
    expect(await checker.check(stranger)).toMatchObject({ owner: false, source: 'resources' })
    // With the owner's id, the owner is the owner, and the id is known for the session to seal.
    const knowing = new ServerAccessChecker({
      machineIdentifier: server.machineIdentifier,
      plexTvUrl: plex.url,
      ownerId: plex.account.id,
    })
    plex.recover(PLEX_PATHS.resources)
    expect(await knowing.check(owner)).toMatchObject({ owner: true })
    expect(await knowing.ownerAccountIdFor(owner)).toBe(plex.account.id)
  })

  test("with ownerToken alone, the owner's id is read once, by a check or when asked for", async () => {
    const { plex, server, friend } = await setup()
    const checker = new ServerAccessChecker({
      machineIdentifier: server.machineIdentifier,
      plexTvUrl: plex.url,
      ownerToken: plex.createLegacyToken({ accountId: plex.account.id }),
    })
    expect(await checker.check(friend)).toMatchObject({ owner: false })
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
    expect(await checker.ownerAccountIdFor(friend)).toBe(plex.account.id)
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
    const asked = new ServerAccessChecker({
      machineIdentifier: server.machineIdentifier,
      plexTvUrl: plex.url,
      ownerToken: plex.createLegacyToken({ accountId: plex.account.id }),
    })
    expect(await asked.ownerAccountIdFor(friend)).toBe(plex.account.id)
    expect(plex.requests(PLEX_PATHS.user)).toBe(2)
  })

  test("the owner is the account with the owner's id, whatever the owned flag of its own list says", async () => {
    const { plex, server, owner, guard } = await setup()
    plex.fail(PLEX_PATHS.resources, {
      body: forged(server.machineIdentifier, { owned: false, ownerId: plex.account.id }),
    })
    expect((await guard({}, 'owner')(owner))?.access).toMatchObject({ owner: true, source: 'resources' })
  })
})

describe('how often plex.tv is asked', () => {
  test('100 concurrent requests of one user: one lookup; then none within accessTtl; one after', async () => {
    useFakeDate()
    const { plex, friend, guard } = await setup()
    const check = guard({ accessTtl: 600 })
    const results = await Promise.all(Array.from({ length: 100 }, () => check(friend)))
    expect(results.every((result) => result?.access?.owner === false)).toBe(true)
    expect(resourceCalls(plex)).toBe(1)
    advance(599)
    await check(friend)
    expect(resourceCalls(plex)).toBe(1)
    advance(2)
    await check(friend)
    expect(resourceCalls(plex)).toBe(2)
  })

  test('each user is looked up once', async () => {
    const { plex, owner, friend, stranger, guard } = await setup()
    const check = guard()
    for (let i = 0; i < 5; i++) {
      await check(owner)
      await check(friend)
      await expectCode(check(stranger), 'ACCESS_DENIED')
    }
    expect(resourceCalls(plex)).toBe(3)
  })

  test('a "no access" answer is re-checked after at most 60 s: a new share works within a minute', async () => {
    useFakeDate()
    const { plex, server, stranger, guard } = await setup()
    const check = guard({ accessTtl: 600 })
    await expectCode(check(stranger), 'ACCESS_DENIED')
    server.share(stranger.user.id)
    advance(59)
    await expectCode(check(stranger), 'ACCESS_DENIED')
    advance(2)
    expect((await check(stranger))?.access?.owner).toBe(false)
    expect(resourceCalls(plex)).toBe(2)
  })

  test('an ended share ends access once accessTtl has passed', async () => {
    useFakeDate()
    const { server, friend, guard } = await setup()
    const check = guard({ accessTtl: 120 })
    await check(friend)
    server.unshare(friend.user.id)
    advance(119)
    await expect(check(friend)).resolves.toBeDefined()
    advance(2)
    await expectCode(check(friend), 'ACCESS_DENIED')
  })
})

describe("revocation: a token plex.tv refuses never rides its user's cached answer (issue 11)", () => {
  // The attack of issue 11: accessTtl 1 s, the user's good token asks every 0.4 s and keeps the user's answer
  // fresh; a second token of the same user, whose device is revoked, must not pass on that answer.
  test("refused at most accessTtl after plex.tv stops accepting it, and from plex.tv's first refusal on, always", async () => {
    useFakeDate()
    const { plex, friend, guard } = await setup()
    const revokedKey = plex.addKey()
    const revoked = await plexVerifier(plex).verify(
      plex.issueToken({ user: { id: friend.user.id }, kid: revokedKey.kid }),
    )
    const check = guard({ accessTtl: 1 })
    await check(friend)
    expect((await check(revoked))?.access?.owner).toBe(false)
    // The device is revoked: plex.tv refuses its token from now on.
    plex.removeKey(revokedKey.kid)
    const revokedAt = Date.now()
    const passes: number[] = []
    const refusals: string[] = []
    for (let step = 0; step < 300; step++) {
      advance(0.4)
      expect((await check(friend))?.access?.owner, 'the good token always passes').toBe(false)
      try {
        await check(revoked)
        passes.push(Date.now() - revokedAt)
      } catch (err) {
        refusals.push((err as { code: string }).code)
      }
    }
    // Before plex.tv was asked about the revoked token again it could still pass, for accessTtl at most…
    expect(passes.every((ms) => ms <= 1000)).toBe(true)
    // …and never after: 2 minutes of requests, every one refused.
    expect(refusals).toHaveLength(300 - passes.length)
    expect(new Set(refusals)).toEqual(new Set(['TOKEN_INVALID']))
    // plex.tv is asked about the revoked token about once a minute, not on each of its requests.
    const lookups = resourceCalls(plex)
    expect(lookups).toBeLessThan(2 + 120 / 1 + 4)
  })

  test("a token plex.tv refused is refused although its user's answer is cached and fresh", async () => {
    useFakeDate()
    const { plex, friend, guard } = await setup()
    const revokedKey = plex.addKey()
    const revoked = await plexVerifier(plex).verify(
      plex.issueToken({ user: { id: friend.user.id }, kid: revokedKey.kid }),
    )
    plex.removeKey(revokedKey.kid)
    const check = guard({ accessTtl: 600 })
    await expectCode(check(revoked), 'TOKEN_INVALID')
    // The good token fills the user's cache; the refused token still gets 401 for the next minute…
    expect((await check(friend))?.access?.owner).toBe(false)
    for (let i = 0; i < 5; i++) {
      advance(10)
      await expectCode(check(revoked), 'TOKEN_INVALID')
    }
    expect(resourceCalls(plex)).toBe(2)
    // …and once the minute is over it is asked about again (and refused), not let in on the cached answer.
    advance(15)
    await expectCode(check(revoked), 'TOKEN_INVALID')
    expect(resourceCalls(plex)).toBe(3)
  })

  test('a good and a refused token of one user asked at once: each token gets its own lookup and answer', async () => {
    const { plex, friend, guard } = await setup()
    const revokedKey = plex.addKey()
    const revoked = await plexVerifier(plex).verify(
      plex.issueToken({ user: { id: friend.user.id }, kid: revokedKey.kid }),
    )
    plex.removeKey(revokedKey.kid)
    const check = guard()
    const [good, refused] = await Promise.allSettled([check(friend), check(revoked)])
    expect(good).toMatchObject({ status: 'fulfilled', value: { access: { owner: false } } })
    expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'TOKEN_INVALID' } })
    expect(resourceCalls(plex)).toBe(2)
  })
})

describe('plex.tv unavailable', () => {
  test('nothing known about the user: 503 PLEX_UNAVAILABLE with Retry-After, never 401/403', async () => {
    const { plex, friend, guard } = await setup()
    const { onEvent, ofType } = recordEvents()
    plex.fail(PLEX_PATHS.resources, 'down')
    const err = await expectCode(guard({ onEvent })(friend), 'PLEX_UNAVAILABLE')
    expect(toHttpError(err).headers['retry-after']).toBe('1')
    expect(ofType('plex_request_failed')).toEqual([
      { type: 'plex_request_failed', url: `${plex.url}/api/v2/resources`, reason: 'network', retryIn: 1 },
    ])
  })

  test("429: plex.tv's Retry-After is passed on, and no lookup is made before it ends", async () => {
    useFakeDate()
    const { plex, friend, owner, guard } = await setup()
    const check = guard()
    plex.fail(PLEX_PATHS.resources, { status: 429, headers: { 'retry-after': '45' } }, { times: 1 })
    const err = await expectCode(check(friend), 'PLEX_UNAVAILABLE')
    expect(err.retryAfter).toBe(45)
    advance(40)
    expect((await expectCode(check(owner), 'PLEX_UNAVAILABLE')).retryAfter).toBe(5)
    expect(resourceCalls(plex)).toBe(1)
    advance(6)
    await expect(check(owner)).resolves.toBeDefined()
  })

  test('within staleIfError the last known answer serves (stale: true); after it, 503', async () => {
    useFakeDate()
    const { plex, friend, stranger, guard } = await setup()
    const { onEvent, ofType } = recordEvents()
    const check = guard({ accessTtl: 600, staleIfError: 3600, onEvent })
    await check(friend)
    await expectCode(check(stranger), 'ACCESS_DENIED')
    plex.fail(PLEX_PATHS.resources, { status: 500 })
    advance(601)
    expect((await check(friend))?.access).toMatchObject({ owner: false, stale: true })
    // A stale "no" is still a no.
    await expectCode(check(stranger), 'ACCESS_DENIED')
    expect(ofType('access_stale')[0]).toMatchObject({ type: 'access_stale', age: 601 })
    // Stale until accessTtl + staleIfError after the last answer.
    advance(3598)
    expect((await check(friend))?.access?.stale).toBe(true)
    advance(2)
    await expectCode(check(friend), 'PLEX_UNAVAILABLE')
  })

  test('staleIfError: 0 turns stale answers off', async () => {
    useFakeDate()
    const { plex, friend, guard } = await setup()
    const check = guard({ accessTtl: 60, staleIfError: 0 })
    await check(friend)
    plex.fail(PLEX_PATHS.resources, 'down')
    advance(61)
    await expectCode(check(friend), 'PLEX_UNAVAILABLE')
  })
})

describe("ownerToken: the owner's friends list as a second source", () => {
  test('with /api/v2/resources down, a friend is let in from /api/users (source: friends), one call for all', async () => {
    const { plex, friend, server, guard } = await setup()
    const second = plex.addAccount({ username: 'second' })
    server.share(second.id)
    const secondIdentity = await plexVerifier(plex).verify(plex.issueToken({ user: { id: second.id } }))
    plex.fail(PLEX_PATHS.resources, { status: 503 })
    const check = guard({ ownerToken: plex.createLegacyToken() })
    expect((await check(friend))?.access).toMatchObject({ owner: false, source: 'friends' })
    expect((await check(secondIdentity))?.access).toMatchObject({ source: 'friends' })
    expect(friendsCalls(plex)).toBe(1)
    expect(plex.log.find((entry) => entry.path === PLEX_PATHS.users)?.headers).toMatchObject({
      accept: 'application/xml',
      'x-plex-client-identifier': CLIENT,
    })
  })

  test('not in the friends list while resources is down: 503, since the owner is never listed', async () => {
    const { plex, owner, stranger, guard } = await setup()
    plex.fail(PLEX_PATHS.resources, 'down')
    const check = guard({ ownerToken: plex.createLegacyToken() })
    await expectCode(check(stranger), 'PLEX_UNAVAILABLE')
    await expectCode(check(owner), 'PLEX_UNAVAILABLE')
  })

  test('resources says no and the friends list says yes: access (source: friends)', async () => {
    const { plex, stranger, guard, server } = await setup()
    const check = guard({ ownerToken: plex.createLegacyToken() })
    // The user's own view lacks the server (e.g. an invitation plex.tv lists only to the owner).
    plex.fail(PLEX_PATHS.resources, { body: [] }, { times: 1 })
    server.share(stranger.user.id)
    expect((await check(stranger))?.access).toMatchObject({ source: 'friends', owner: false })
  })

  test('both sources down: the 503 of /api/v2/resources, with its Retry-After', async () => {
    const { plex, friend, guard } = await setup()
    plex.fail(PLEX_PATHS.resources, { status: 429, headers: { 'retry-after': '45' } })
    plex.fail(PLEX_PATHS.users, 'down')
    const err = await expectCode(guard({ ownerToken: plex.createLegacyToken() })(friend), 'PLEX_UNAVAILABLE')
    expect(err.retryAfter).toBe(45)
    expect(friendsCalls(plex)).toBe(1)
  })

  test('both sources say no: 403; the friends list down while resources says no: 503', async () => {
    const { plex, stranger, guard } = await setup()
    await expectCode(guard({ ownerToken: plex.createLegacyToken() })(stranger), 'ACCESS_DENIED')
    plex.fail(PLEX_PATHS.users, 'down')
    await expectCode(guard({ ownerToken: plex.createLegacyToken() })(stranger), 'PLEX_UNAVAILABLE')
  })

  test('an owner token plex.tv rejects: an event, and /api/v2/resources decides (403 for a stranger)', async () => {
    const { plex, stranger, friend, guard } = await setup()
    const { onEvent, ofType, events } = recordEvents()
    const ownerToken = 'not-a-valid-token-000'
    const check = guard({ ownerToken, onEvent })
    await expectCode(check(stranger), 'ACCESS_DENIED')
    expect(ofType('plex_request_failed')).toEqual([
      {
        type: 'plex_request_failed',
        url: `${plex.url}/api/users`,
        reason: 'status',
        status: 401,
        retryIn: 60,
      },
    ])
    expect(JSON.stringify(events)).not.toContain(ownerToken)
    // The friends list is not asked again with that token for a minute; resources still answers.
    await expectCode(check(stranger), 'ACCESS_DENIED')
    const another = await plexVerifier(plex).verify(
      plex.issueToken({ user: { id: plex.addAccount({ username: 'another' }).id } }),
    )
    await expectCode(check(another), 'ACCESS_DENIED')
    expect(resourceCalls(plex)).toBe(2)
    expect(friendsCalls(plex)).toBe(1)
    expect((await check(friend))?.access).toMatchObject({ owner: false, source: 'resources' })
  })

  test('an owner token plex.tv rejects: a removed share ends once accessTtl has passed, not staleIfError later', async () => {
    useFakeDate()
    const { plex, server, friend, guard } = await setup()
    const check = guard({ ownerToken: plex.createLegacyToken(), accessTtl: 60, staleIfError: 3600 })
    plex.fail(PLEX_PATHS.resources, { body: [] }, { times: 1 })
    expect((await check(friend))?.access?.source).toBe('friends')
    server.unshare(friend.user.id)
    plex.fail(PLEX_PATHS.users, { status: 401 })
    advance(61)
    await expectCode(check(friend), 'ACCESS_DENIED')
  })
})

describe('options and stores', () => {
  test('misconfiguration throws TypeError at construction', () => {
    const bad: unknown[] = [
      undefined,
      {},
      { machineIdentifier: '' },
      { machineIdentifier: 'has space' },
      { machineIdentifier: 'abc', plexTvUrl: 'http://plex.example' },
      { machineIdentifier: 'abc', accessTtl: -1 },
      { machineIdentifier: 'abc', staleIfError: Number.NaN },
      { machineIdentifier: 'abc', ownerToken: 'two\nlines' },
      { machineIdentifier: 'abc', clientIdentifier: '' },
      { machineIdentifier: 'abc', cache: {} },
      { machineIdentifier: 'abc', fetch: 'fetch' },
      { machineIdentifier: 'abc', maxBytes: 10 },
      { machineIdentifier: 'abc', machineIdentifer: 'typo' },
    ]
    for (const options of bad) {
      expect(() => createServerAccessGuard(options as ServerAccessOptions), JSON.stringify(options)).toThrow(
        TypeError,
      )
    }
    expect(() => createServerAccessGuard({ machineIdentifier: 'abc' }, 'admin' as 'owner')).toThrow(TypeError)
  })

  test('no client identifier anywhere: a plain error (a fail-closed 500), and plex.tv is not asked', async () => {
    const { plex, guard } = await setup()
    const identity = Object.freeze({ kind: 'legacy', user: { id: 5, uuid: 'u' }, scopes: [], token: 'tok' })
    const err = await guard()(identity as unknown as PlexIdentity).catch((caught: unknown) => caught)
    expect(err).toBeInstanceOf(Error)
    expect(toHttpError(err).status).toBe(500)
    expect(resourceCalls(plex)).toBe(0)
  })

  test('the store holds ids and decisions, never a token', async () => {
    const { plex, friend, guard } = await setup()
    const written: string[] = []
    const memory = createMemoryCacheStore()
    const cache: CacheStore = {
      get: (key) => memory.get(key),
      set: (key, value, ttl) => {
        written.push(key, JSON.stringify(value))
        return memory.set(key, value, ttl)
      },
    }
    const ownerToken = plex.createLegacyToken()
    plex.fail(PLEX_PATHS.resources, { body: [] }, { times: 1 })
    expect((await guard({ cache, ownerToken })(friend))?.access?.source).toBe('friends')
    for (const text of written) {
      expect(text).not.toContain(friend.token)
      expect(text).not.toContain(ownerToken)
    }
    expect(written.filter((_, i) => i % 2 === 0)).toEqual([
      // plex.tv accepted the user's token (a hash): this token may use the user's cached answer.
      expect.stringMatching(/^accepted:[A-Za-z0-9_-]{43}$/),
      expect.stringMatching(/^friends:[^:]+:[A-Za-z0-9_-]{43}$/),
      expect.stringMatching(new RegExp(`^access:[^:]+:${friend.user.id}$`)),
    ])
  })
})

describe('a store that keeps entries longer than asked (e.g. one rounding TTLs up): the recorded times decide', () => {
  /** Keeps every entry forever, whatever TTL it is given. */
  function keepingStore(): CacheStore {
    const entries = new Map<string, unknown>()
    return {
      get: (key) => entries.get(key),
      set: (key, value) => {
        entries.set(key, value)
      },
    }
  }

  test('the friends list is read again once accessTtl has passed: an ended share ends', async () => {
    useFakeDate()
    const { plex, server, friend, guard } = await setup()
    const check = guard({ cache: keepingStore(), ownerToken: plex.createLegacyToken(), accessTtl: 60 })
    plex.fail(PLEX_PATHS.resources, { body: [] })
    expect((await check(friend))?.access?.source).toBe('friends')
    server.unshare(friend.user.id)
    advance(61)
    await expectCode(check(friend), 'ACCESS_DENIED')
    expect(friendsCalls(plex)).toBe(2)
  })

  test("a token plex.tv accepted more than accessTtl ago does not ride its user's fresh answer", async () => {
    useFakeDate()
    const { plex, friend, guard } = await setup()
    const revokedKey = plex.addKey()
    const revoked = await plexVerifier(plex).verify(
      plex.issueToken({ user: { id: friend.user.id }, kid: revokedKey.kid }),
    )
    const check = guard({ cache: keepingStore(), accessTtl: 60 })
    expect((await check(revoked))?.access?.owner).toBe(false)
    plex.removeKey(revokedKey.kid)
    // The good token refreshes the user's answer 50 s later…
    advance(50)
    expect((await check(friend))?.access?.owner).toBe(false)
    // …which is fresh 70 s after the revoked token was last accepted: plex.tv is asked again, and refuses it.
    advance(20)
    await expectCode(check(revoked), 'TOKEN_INVALID')
    expect(resourceCalls(plex)).toBe(3)
  })

  test('a stale answer serves until exactly accessTtl + staleIfError after it was obtained, not at that instant', async () => {
    useFakeDate()
    const { plex, friend, guard } = await setup()
    const check = guard({ cache: keepingStore(), accessTtl: 60, staleIfError: 100 })
    await check(friend)
    plex.fail(PLEX_PATHS.resources, { status: 500 })
    advance(159)
    expect((await check(friend))?.access?.stale).toBe(true)
    advance(1)
    await expectCode(check(friend), 'PLEX_UNAVAILABLE')
  })
})
