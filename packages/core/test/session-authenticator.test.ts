import { createPlexVerifier, type PlexIdentity } from '@plexauth/core'
import { createSessionAuthenticator } from '@plexauth/core/adapter'
import { type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { createSessionChecks, type SessionChecksConfig } from '../src/session/session-checks.js'
import { sessionManagerFor } from '../src/session/session-manager.js'
import { advance, CLIENT, expectCode, keyRequests, recordEvents, startPlex, useFakeDate } from './helpers.js'
import { loginHandler } from './login-helpers.js'

const SECRET = 'a-session-secret-of-at-least-32-chars'
const LOOPBACK = { host: '127.0.0.1:3000' }

/** A request carrying `cookie`, collecting the cookies the authenticator sets. */
function request(cookie: string | undefined, extra: Record<string, unknown> = {}) {
  const set: string[] = []
  const headers: Record<string, string> = { ...LOOPBACK, ...(cookie === undefined ? {} : { cookie }) }
  return {
    set,
    request: { method: 'GET', url: '/me', headers, setCookie: (value: string) => set.push(value), ...extra },
  }
}

/** A fake plex.tv, a session object due for a check after 60 s, and a legacy identity verified for CLIENT. */
async function legacySession() {
  useFakeDate(Date.now())
  const plex = await startPlex()
  const session = { secret: SECRET, revalidateAfter: 60 }
  const legacy = await createPlexVerifier({
    clientIdentifier: CLIENT,
    plexTvUrl: plex.url,
    legacyTokens: true,
  }).verify(plex.createLegacyToken())
  return { plex, session, legacy }
}

describe('plexAuth with a session object no plexLogin shares: checks of its own', () => {
  test('a due JWT session is verified against the key endpoint and re-sealed', async () => {
    useFakeDate(Date.now())
    const plex = await startPlex()
    const session = { secret: SECRET, revalidateAfter: 60 }
    const events = recordEvents()
    const auth = createSessionAuthenticator({
      clientIdentifier: [CLIENT, 'other-app'],
      jwksUrl: plex.jwksUrl,
      onEvent: events.onEvent,
      session,
    })
    const identity = await createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT }).verify(
      plex.issueToken(),
    )
    const { value } = await sessionManagerFor(session).create(identity, undefined, false, undefined)
    plex.resetCounters()
    const fresh = request(`plexauth_session=${value}`)
    expect((await auth.authenticate(fresh.request))?.user.id).toBe(plex.account.id)
    expect(keyRequests(plex)).toBe(0)
    advance(61)
    const due = request(`plexauth_session=${value}`)
    expect((await auth.authenticate(due.request))?.user.id).toBe(plex.account.id)
    expect(keyRequests(plex)).toBe(1)
    expect(due.set).toEqual([
      expect.stringMatching(/^plexauth_session=ey[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/),
    ])
    expect(events.ofType('keys_fetched')).toHaveLength(1)
  })

  test('a due legacy session is confirmed by plex.tv’s /api/v2/user, for the clientIdentifier it was sealed with when plexAuth has none', async () => {
    const { plex, session, legacy } = await legacySession()
    const { value } = await sessionManagerFor(session).create(legacy, undefined, false, undefined)
    advance(61)
    plex.resetCounters()
    const auth = createSessionAuthenticator({ clientIdentifier: CLIENT, plexTvUrl: plex.url, session })
    const due = request(`plexauth_session=${value}`)
    expect((await auth.authenticate(due.request))?.kind).toBe('legacy')
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
    expect(due.set).toHaveLength(1)

    // A plexAuth without a clientIdentifier (a shared verifier, or any audience) that does not share
    // plexLogin's session object, as in another process: it asks for the identifier the token was checked for.
    const other = { secret: SECRET, revalidateAfter: 60 }
    const anyAudience = createSessionAuthenticator({
      acceptAnyAudience: true,
      jwksUrl: plex.jwksUrl,
      plexTvUrl: plex.url,
      session: other,
    })
    const again = request(`plexauth_session=${value}`)
    expect(await anyAudience.authenticate(again.request)).toMatchObject({
      kind: 'legacy',
      user: { id: plex.account.id },
      clientIdentifier: CLIENT,
    })
    expect(plex.requests(PLEX_PATHS.user)).toBe(2)
    expect(again.set).toHaveLength(1)
  })

  test('a due legacy session sealed without a client identifier cannot be checked again: it ends, plex.tv not asked', async () => {
    const { plex, session, legacy } = await legacySession()
    // The token is not enumerable: a spread leaves it out.
    const { clientIdentifier: _dropped, ...unnamed } = legacy
    const { value } = await sessionManagerFor(session).create(
      { ...unnamed, token: legacy.token },
      undefined,
      false,
      undefined,
    )
    const auth = createSessionAuthenticator({ acceptAnyAudience: true, plexTvUrl: plex.url, session })
    const fresh = await auth.authenticate(request(`plexauth_session=${value}`).request)
    expect(fresh).toMatchObject({ kind: 'legacy', user: { id: plex.account.id } })
    expect(fresh).not.toHaveProperty('clientIdentifier')
    advance(61)
    plex.resetCounters()
    const due = request(`plexauth_session=${value}`)
    await expectCode(auth.authenticate(due.request), 'TOKEN_MISSING')
    expect(due.set).toEqual([expect.stringMatching(/^plexauth_session=; .*Max-Age=0/)])
    expect(plex.requests(PLEX_PATHS.user)).toBe(0)
  })
})

describe('plexAuth beside a plexLogin: whose checks a due session goes through', () => {
  test('sharing plexLogin’s session object, plexAuth re-checks with plexLogin’s checks: its owner token reads who owns the server', async () => {
    useFakeDate(Date.now())
    const plex = await startPlex()
    const friend = plex.addAccount({ username: 'friend' })
    const server = plex.addServer({ sharedWith: [friend.id] })
    const session = { secret: SECRET, revalidateAfter: 60 }
    loginHandler(plex, {
      clientIdentifier: CLIENT,
      session,
      access: { machineIdentifier: server.machineIdentifier, ownerToken: plex.createLegacyToken() },
    })
    const auth = createSessionAuthenticator({
      clientIdentifier: CLIENT,
      jwksUrl: plex.jwksUrl,
      plexTvUrl: plex.url,
      session,
    })
    const identity = await createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT }).verify(
      plex.issueToken({ user: { id: friend.id } }),
    )
    const access = {
      machineIdentifier: server.machineIdentifier,
      owner: false,
      source: 'resources',
      stale: false,
    } as const
    const { value } = await sessionManagerFor(session).create(identity, access, false, undefined)
    advance(61)
    plex.resetCounters()
    const due = request(`plexauth_session=${value}`)
    expect((await auth.authenticate(due.request))?.access).toMatchObject({ owner: false })
    expect(plex.requests(PLEX_PATHS.resources)).toBe(1)
    // Checks of plexAuth's own know no owner token: they would not ask /api/v2/user who owns the server.
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
    expect(due.set).toHaveLength(1)
  })

  /**
   * A friend the server is shared with, sessions sealed as a plexLogin in another process seals them (`seal`,
   * due for a check after 60 s), and a plexAuth that shares no plexLogin's session object: checks of its own,
   * with no owner configured.
   */
  async function ownChecks() {
    useFakeDate(Date.now())
    const plex = await startPlex()
    const friend = plex.addAccount({ username: 'friend' })
    const server = plex.addServer({ sharedWith: [friend.id] })
    const verifier = createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT })
    const sessions = sessionManagerFor({ secret: SECRET, revalidateAfter: 60 })
    const seal = async (userId: number, access: { owner: boolean; ownerId?: number }, ownerOnly = false) => {
      const identity = await verifier.verify(plex.issueToken({ user: { id: userId } }))
      const decided = {
        machineIdentifier: server.machineIdentifier,
        source: 'resources',
        stale: false,
        ...access,
      } as const
      return `plexauth_session=${(await sessions.create(identity, decided, ownerOnly, undefined)).value}`
    }
    const auth = createSessionAuthenticator({
      clientIdentifier: CLIENT,
      jwksUrl: plex.jwksUrl,
      plexTvUrl: plex.url,
      credentialsRequired: false,
      session: { secret: SECRET, revalidateAfter: 60 },
    })
    // A device the user registered under the server's identifier: plex.tv lists it as a server they own.
    const forgeDevice = (entries: Record<string, unknown>[] = []) =>
      plex.fail(PLEX_PATHS.resources, {
        body: [
          ...entries,
          { name: 'Basement', clientIdentifier: server.machineIdentifier, provides: 'server', owned: true },
        ],
      })
    /** The owner unshares the friend, who forges a device; the session, due, is refused and cleared. */
    const expectEndedOnceUnshared = async (cookie: string) => {
      server.unshare(friend.id)
      forgeDevice()
      advance(61)
      const due = request(cookie)
      expect(await auth.authenticate(due.request)).toBeUndefined()
      expect(due.set).toEqual([expect.stringMatching(/^plexauth_session=; .*Max-Age=0/)])
    }
    return { plex, friend, server, seal, auth, forgeDevice, expectEndedOnceUnshared }
  }

  test('a plexAuth of its own (no owner known) never makes a friend the owner, though their device list claims the server', async () => {
    const { plex, friend, server, seal, auth, forgeDevice } = await ownChecks()
    // Sealed with the owner's id, by an earlier version without it: either way a friend, not the owner.
    for (const cookie of [
      await seal(friend.id, { owner: false, ownerId: plex.account.id }),
      await seal(friend.id, { owner: false }),
    ]) {
      forgeDevice([
        {
          name: 'Shared',
          clientIdentifier: server.machineIdentifier,
          provides: 'server',
          owned: false,
          ownerId: plex.account.id,
        },
      ])
      advance(61)
      const due = request(cookie)
      expect((await auth.authenticate(due.request))?.access).toMatchObject({ owner: false })
      expect(due.set).toHaveLength(1)
    }
  })

  test('a plexAuth of its own checks a due session by the owner sealed in it: a friend the owner unshared is refused, whatever their device list claims', async () => {
    const { plex, friend, seal, expectEndedOnceUnshared } = await ownChecks()
    await expectEndedOnceUnshared(await seal(friend.id, { owner: false, ownerId: plex.account.id }))
  })

  test("a plexAuth of its own keeps the owner's session the owner's (ownerOnly too) by the owner's id sealed in it; a session sealed without one is no longer the owner's", async () => {
    const { plex, seal, auth } = await ownChecks()
    const sealedWithId = await seal(plex.account.id, { owner: true, ownerId: plex.account.id }, true)
    const sealedWithout = await seal(plex.account.id, { owner: true }, true)
    advance(61)
    // Without an owner's id, only the user's own device list is left, which decides no ownership.
    const ended = request(sealedWithout)
    expect(await auth.authenticate(ended.request)).toBeUndefined()
    expect(ended.set).toEqual([expect.stringMatching(/^plexauth_session=; .*Max-Age=0/)])
    // The same server, checked by the owner's id this time (not by the checker that knew none).
    const kept = request(sealedWithId)
    expect((await auth.authenticate(kept.request))?.access).toMatchObject({ owner: true })
    expect(kept.set).toEqual([expect.stringMatching(/^plexauth_session=ey/)])
    // Re-sealed with the owner's id: the next check decides by it again.
    advance(61)
    const again = request(kept.set[0]!.split(';')[0])
    expect((await auth.authenticate(again.request))?.access).toMatchObject({ owner: true })
  })

  test("a friend let in by the owner's friends list (their own resources unanswered) is sealed with the owner's id: a plexAuth of its own refuses them once unshared, whatever their device list claims", async () => {
    const { plex, friend, server, seal, expectEndedOnceUnshared } = await ownChecks()
    // The checks of a plexLogin in another process, given the owner's token only.
    const login = createSessionChecks({
      verifier: createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT }),
      clientIdentifier: CLIENT,
      plexTvUrl: plex.url,
      fetch: undefined,
      onEvent: undefined,
      owner: { machineIdentifier: server.machineIdentifier, token: plex.createLegacyToken(), id: undefined },
      revalidateAfterMs: 60_000,
    })
    const identity = await login.verify('jwt', plex.issueToken({ user: { id: friend.id } }))
    plex.fail(PLEX_PATHS.resources, 'down')
    const decided = await login.access(identity, server.machineIdentifier)
    plex.recover(PLEX_PATHS.resources)
    expect(decided).toMatchObject({ owner: false, source: 'friends', ownerId: plex.account.id })
    await expectEndedOnceUnshared(await seal(friend.id, decided))
  })

  test('a plexAuth of its own asks plex.tv about a due legacy session with its own clientIdentifier, not the sealed one', async () => {
    const { plex, session, legacy } = await legacySession()
    const { value } = await sessionManagerFor(session).create(legacy, undefined, false, undefined)
    advance(61)
    plex.resetCounters()
    const auth = createSessionAuthenticator({
      clientIdentifier: ['other-app', CLIENT],
      plexTvUrl: plex.url,
      session,
    })
    expect((await auth.authenticate(request(`plexauth_session=${value}`).request))?.kind).toBe('legacy')
    const lookups = plex.log.filter((entry) => entry.path === PLEX_PATHS.user)
    expect(lookups.map((entry) => entry.headers['x-plex-client-identifier'])).toEqual(['other-app'])
  })
})

describe('the session authenticator’s request handling', () => {
  test('options that are no object are a TypeError', () => {
    for (const bad of [null, 'my-app']) {
      expect(() => createSessionAuthenticator(bad as never)).toThrow(TypeError)
    }
  })

  test('no cookie: TOKEN_MISSING, or anonymous when credentials are not required', async () => {
    const auth = createSessionAuthenticator({ clientIdentifier: CLIENT, session: { secret: SECRET } })
    await expectCode(auth.authenticate(request(undefined).request), 'TOKEN_MISSING')
    expect(
      await auth.authenticate(request(undefined).request, { credentialsRequired: false }),
    ).toBeUndefined()
    // A cookie that opens to nothing is cleared, and counts as no credentials.
    const garbage = request('plexauth_session=garbage')
    await expectCode(auth.authenticate(garbage.request), 'TOKEN_MISSING')
    expect(garbage.set).toEqual([expect.stringMatching(/^plexauth_session=; Path=\/; Max-Age=0/)])
  })

  test('publicUrl: the __Host- cookie, and its origin allowed for unsafe methods besides the request’s own', async () => {
    const session = { secret: SECRET }
    const auth = createSessionAuthenticator({
      clientIdentifier: CLIENT,
      publicUrl: 'https://app.example.com',
      session,
    })
    const { value } = await sessionManagerFor(session).create(legacyIdentity(), undefined, false, undefined)
    // Behind an https publicUrl the unprefixed cookie is not read, even on a loopback host.
    await expectCode(auth.authenticate(request(`plexauth_session=${value}`).request), 'TOKEN_MISSING')
    const cookie = `__Host-plexauth_session=${value}`
    const post = (origin: string) =>
      auth.authenticate(request(cookie, { method: 'POST', headers: { ...LOOPBACK, cookie, origin } }).request)
    expect((await post('https://app.example.com'))?.user.id).toBe(42)
    await expectCode(post('https://evil.example'), 'CSRF_REJECTED')
    expect(auth.peek?.(request(cookie).request)?.user.id).toBe(42)
  })

  test('POST, PUT, PATCH and DELETE, in any case, need the app’s origin; GET, HEAD and OPTIONS do not', async () => {
    const session = { secret: SECRET }
    const auth = createSessionAuthenticator({ clientIdentifier: CLIENT, session })
    const { value } = await sessionManagerFor(session).create(legacyIdentity(), undefined, false, undefined)
    const cookie = `plexauth_session=${value}`
    const send = (method: string, origin: string) =>
      auth.authenticate(request(cookie, { method, headers: { ...LOOPBACK, cookie, origin } }).request)
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'delete', 'Patch']) {
      await expectCode(send(method, 'https://evil.example'), 'CSRF_REJECTED')
      expect((await send(method, 'http://127.0.0.1:3000'))?.user.id).toBe(42)
    }
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'get']) {
      expect((await send(method, 'https://evil.example'))?.user.id).toBe(42)
    }
  })

  test('a request carrying a token is authenticated by the token, not by its session cookie', async () => {
    const plex = await startPlex()
    const session = { secret: SECRET }
    const auth = createSessionAuthenticator({ clientIdentifier: CLIENT, jwksUrl: plex.jwksUrl, session })
    const { value } = await sessionManagerFor(session).create(legacyIdentity(), undefined, false, undefined)
    const cookie = `plexauth_session=${value}`
    const withToken = (authorization: string) =>
      auth.authenticate(request(cookie, { headers: { ...LOOPBACK, cookie, authorization } }).request)
    const identity = await withToken(`Bearer ${plex.issueToken()}`)
    expect(identity?.user.id).toBe(plex.account.id)
    expect(identity?.user.id).not.toBe(42)
    // A bad token is refused, never made good by the cookie beside it.
    await expectCode(withToken('Bearer a.b.c'), 'TOKEN_MALFORMED')
  })

  test('the session cookie is HttpOnly, SameSite=Lax and Path=/; Secure with __Host- except on plain loopback http', async () => {
    const auth = createSessionAuthenticator({ clientIdentifier: CLIENT, session: { secret: SECRET } })
    const plain = request('plexauth_session=garbage')
    await expectCode(auth.authenticate(plain.request), 'TOKEN_MISSING')
    expect(plain.set).toEqual(['plexauth_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax'])
    const cookie = '__Host-plexauth_session=garbage'
    const tls = request(cookie, { encrypted: true, headers: { host: 'app.example.com', cookie } })
    await expectCode(auth.authenticate(tls.request), 'TOKEN_MISSING')
    expect(tls.set).toEqual(['__Host-plexauth_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure'])
  })

  test('with the query named as a token source, peek leaves a request with a query string to the token path', async () => {
    const session = { secret: SECRET }
    const auth = createSessionAuthenticator({
      clientIdentifier: CLIENT,
      tokenSources: ['authorization', 'query'],
      session,
    })
    const { value } = await sessionManagerFor(session).create(legacyIdentity(), undefined, false, undefined)
    const cookie = `plexauth_session=${value}`
    expect(auth.peek?.(request(cookie).request)?.user.id).toBe(42)
    expect(auth.peek?.(request(cookie, { url: '/me?page=2' }).request)).toBeUndefined()
    // authenticate still reads the cookie when the query holds no token.
    expect((await auth.authenticate(request(cookie, { url: '/me?page=2' }).request))?.user.id).toBe(42)
  })

  test('an http publicUrl: the plain cookie is read and cleared without Secure, whatever the Host', async () => {
    const session = { secret: SECRET }
    const auth = createSessionAuthenticator({
      clientIdentifier: CLIENT,
      publicUrl: 'http://localhost:3000',
      session,
    })
    const { value } = await sessionManagerFor(session).create(legacyIdentity(), undefined, false, undefined)
    const behindProxy = (cookie: string) =>
      request(cookie, { headers: { host: 'app.internal:8080', cookie } })
    expect((await auth.authenticate(behindProxy(`plexauth_session=${value}`).request))?.user.id).toBe(42)
    const garbage = behindProxy('plexauth_session=garbage')
    await expectCode(auth.authenticate(garbage.request), 'TOKEN_MISSING')
    expect(garbage.set).toEqual(['plexauth_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax'])
  })

  test('peek: a cross-origin unsafe request gets no identity; a request with an X-Plex-Token header is left to the token path', async () => {
    const session = { secret: SECRET }
    const auth = createSessionAuthenticator({ clientIdentifier: CLIENT, session })
    const { value } = await sessionManagerFor(session).create(legacyIdentity(), undefined, false, undefined)
    const cookie = `plexauth_session=${value}`
    const post = (origin: string) =>
      auth.peek?.(request(cookie, { method: 'POST', headers: { ...LOOPBACK, cookie, origin } }).request)
    expect(post('http://127.0.0.1:3000')?.user.id).toBe(42)
    expect(post('https://evil.example')).toBeUndefined()
    const withToken = request(cookie, { headers: { ...LOOPBACK, cookie, 'x-plex-token': 'not-a-token' } })
    expect(auth.peek?.(withToken.request)).toBeUndefined()
  })
})

function legacyIdentity(): PlexIdentity {
  const identity = { kind: 'legacy', user: { id: 42, uuid: 'u-42', username: 'ann' }, scopes: [] }
  Object.defineProperty(identity, 'token', { value: 'legacy-token-0001', enumerable: false })
  return identity as unknown as PlexIdentity
}

describe('createSessionChecks: one access checker per server, owner details for the configured one only', () => {
  /** Session checks against the fake plex.tv, revalidateAfter 60 s, for CLIENT unless `extra` says otherwise. */
  function checksOf(plex: FakePlex, extra: Partial<SessionChecksConfig> = {}) {
    return createSessionChecks({
      verifier: createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT }),
      clientIdentifier: CLIENT,
      plexTvUrl: plex.url,
      fetch: undefined,
      onEvent: undefined,
      revalidateAfterMs: 60_000,
      ...extra,
    })
  }

  test('at most 16 servers keep a checker (and its cache); a 17th is asked of plex.tv every time', async () => {
    const plex = await startPlex()
    const servers = Array.from({ length: 17 }, () => plex.addServer())
    const checks = checksOf(plex, { clientIdentifier: undefined })
    const identity = await checks.verify('jwt', plex.issueToken())
    for (const server of servers) {
      // No owner configured: access, never ownership.
      expect(await checks.access(identity, server.machineIdentifier)).toMatchObject({
        machineIdentifier: server.machineIdentifier,
        owner: false,
      })
    }
    plex.resetCounters()
    await checks.access(identity, servers[0]!.machineIdentifier)
    await checks.access(identity, servers[15]!.machineIdentifier)
    expect(plex.requests(PLEX_PATHS.resources)).toBe(0)
    await checks.access(identity, servers[16]!.machineIdentifier)
    await checks.access(identity, servers[16]!.machineIdentifier)
    expect(plex.requests(PLEX_PATHS.resources)).toBe(2)
  })

  test('an access answer is kept for revalidateAfter and no longer: a friend unshared is refused once it has passed', async () => {
    useFakeDate(Date.now())
    const plex = await startPlex()
    const friend = plex.addAccount({ username: 'friend' })
    const server = plex.addServer({ sharedWith: [friend.id] })
    const checks = checksOf(plex)
    const identity = await checks.verify('jwt', plex.issueToken({ user: { id: friend.id } }))
    expect(await checks.access(identity, server.machineIdentifier)).toMatchObject({ owner: false })
    server.unshare(friend.id)
    advance(59)
    plex.resetCounters()
    expect(await checks.access(identity, server.machineIdentifier)).toMatchObject({ owner: false })
    expect(plex.requests(PLEX_PATHS.resources)).toBe(0)
    advance(1)
    await expectCode(checks.access(identity, server.machineIdentifier), 'ACCESS_DENIED')
    expect(plex.requests(PLEX_PATHS.resources)).toBe(1)
  })

  test("the owner's id sealed in a session decides when these checks know no owner, a plain access option's included", async () => {
    const plex = await startPlex()
    const server = plex.addServer()
    const plain = { machineIdentifier: server.machineIdentifier, token: undefined, id: undefined }
    for (const checks of [checksOf(plex), checksOf(plex, { owner: plain })]) {
      const identity = await checks.verify('jwt', plex.issueToken())
      expect(await checks.access(identity, server.machineIdentifier)).toMatchObject({ owner: false })
      expect(await checks.access(identity, server.machineIdentifier, plex.account.id)).toMatchObject({
        owner: true,
        ownerId: plex.account.id,
      })
    }
  })

  test('the owner token is used for its own server only', async () => {
    const plex = await startPlex()
    const friend = plex.addAccount({ username: 'friend' })
    const owned = plex.addServer({ sharedWith: [friend.id] })
    const elsewhere = plex.addServer({ sharedWith: [friend.id] })
    const checks = checksOf(plex, {
      owner: { machineIdentifier: owned.machineIdentifier, token: plex.createLegacyToken(), id: undefined },
    })
    const identity = await checks.verify('jwt', plex.issueToken({ user: { id: friend.id } }))
    plex.resetCounters()
    expect(await checks.access(identity, elsewhere.machineIdentifier)).toMatchObject({ owner: false })
    expect(plex.requests(PLEX_PATHS.resources)).toBe(1)
    expect(plex.requests(PLEX_PATHS.user)).toBe(0)
    // The configured server's checker reads who owns it with the owner's token (once).
    expect(await checks.access(identity, owned.machineIdentifier)).toMatchObject({ owner: false })
    expect(plex.requests(PLEX_PATHS.resources)).toBe(2)
    expect(plex.requests(PLEX_PATHS.user)).toBe(1)
  })
})
