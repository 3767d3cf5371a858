import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PLEX_PATHS } from '@plexauth/testing'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { describe, expect, test, vi } from 'vitest'
import { createPlexClient, fileStore } from '../src/index.js'
import {
  advance,
  clientFor,
  DAY,
  errorCode,
  login,
  spyStore,
  startFake,
  tempDir,
  useFakeDate,
  verifyAsServer,
} from './helpers.js'

describe('first login', () => {
  test('first login by PIN: startLogin, approval while waitForLogin polls, token verified and stored', async () => {
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    const pin = await client.startLogin()
    const { clientIdentifier, device } = store.state()!
    expect(device?.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(pin.authUrl).toBe(
      `https://app.plex.tv/auth#?clientID=${clientIdentifier}&code=${pin.code}&context%5Bdevice%5D%5Bproduct%5D=Client%20Test`,
    )
    expect(pin.expiresAt.getTime()).toBeGreaterThan(Date.now() + 800_000)

    const waiting = client.waitForLogin(pin)
    await expect.poll(() => plex.requests(PLEX_PATHS.pin), { interval: 5 }).toBeGreaterThanOrEqual(2)
    plex.approvePin(pin.code)
    const token = await waiting

    const identity = await verifyAsServer(plex, token, clientIdentifier)
    expect(identity.thumbprint).toBe(device!.kid)
    expect(identity.user).toMatchObject({ id: plex.account.id, username: plex.account.username })
    expect(identity.scopes).toEqual(['username', 'email', 'friendly_name'])
    expect(store.state()?.token).toBe(token)
    expect(await client.getToken()).toBe(token)
    expect(plex.requests(PLEX_PATHS.token)).toBe(0)

    for (const entry of plex.log.filter((e) => e.path !== PLEX_PATHS.keys)) {
      expect(entry.headers).toMatchObject({
        accept: 'application/json',
        'x-plex-client-identifier': clientIdentifier,
        'x-plex-product': 'Client Test',
        'x-plex-platform': 'Node.js',
      })
    }
  })

  test('registerDevice(legacyToken): the key is registered, the first JWT stored, the legacy token retired', async () => {
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    const legacy = plex.createLegacyToken()
    const token = await client.registerDevice(legacy)
    const { clientIdentifier, device } = store.state()!
    expect((await verifyAsServer(plex, token, clientIdentifier)).thumbprint).toBe(device!.kid)
    expect(store.state()?.token).toBe(token)
    expect([
      plex.requests(PLEX_PATHS.jwk),
      plex.requests(PLEX_PATHS.nonce),
      plex.requests(PLEX_PATHS.token),
    ]).toEqual([1, 1, 1])
    const user = await fetch(`${plex.url}${PLEX_PATHS.user}`, {
      headers: { accept: 'application/json', 'x-plex-client-identifier': 'x', 'x-plex-token': legacy },
    })
    expect(user.status).toBe(401)
    expect(await errorCode(clientFor(plex).registerDevice(legacy))).toBe('UNAUTHORIZED')
  })

  test("the device's public JWK sent with the PIN and to /auth/jwk: an Ed25519 signing key (use sig, alg EdDSA)", async () => {
    const plex = await startFake()
    const sent: { path: string; body: { jwk?: Record<string, unknown> } }[] = []
    const recordingFetch: typeof fetch = (input, init) => {
      const { pathname } = new URL(String(input))
      if (typeof init?.body === 'string') sent.push({ path: pathname, body: JSON.parse(init.body) })
      return fetch(input, init)
    }
    const store = spyStore()
    const client = clientFor(plex, { store, fetch: recordingFetch })
    await client.startLogin()
    await client.registerDevice(plex.createLegacyToken())
    const { device } = store.state()!
    const jwks = sent.filter((request) => request.body.jwk !== undefined)
    expect(jwks.map((request) => request.path)).toEqual([PLEX_PATHS.pins, PLEX_PATHS.jwk])
    for (const { body } of jwks) {
      expect(body.jwk).toEqual({
        kty: 'OKP',
        crv: 'Ed25519',
        x: device!.privateJwk.x,
        kid: device!.kid,
        use: 'sig',
        alg: 'EdDSA',
      })
    }
  })

  test('registerDevice with a key another device registered: THUMBPRINT_TAKEN, nothing stored', async () => {
    const plex = await startFake()
    const first = spyStore()
    await login(clientFor(plex, { store: first }), plex)
    const copied = spyStore({
      version: 1,
      clientIdentifier: 'another-install',
      device: first.state()!.device!,
    })
    const second = clientFor(plex, { store: copied })
    expect(await errorCode(second.registerDevice(plex.createLegacyToken()))).toBe('THUMBPRINT_TAKEN')
    expect(copied.state()?.token).toBeUndefined()
  })
})

describe('refresh', () => {
  test('refresh ahead of expiry: a fresh token is served as is, one within refreshWithin is replaced', async () => {
    useFakeDate()
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    const first = await login(client, plex)
    advance(5 * DAY)
    expect(await client.getToken()).toBe(first)
    expect(plex.requests(PLEX_PATHS.token)).toBe(0)

    advance(1 * DAY + 60)
    const second = await client.getToken()
    expect(second).not.toBe(first)
    expect(decodeJwt(second).exp).toBeGreaterThan(decodeJwt(first).exp!)
    expect([plex.requests(PLEX_PATHS.nonce), plex.requests(PLEX_PATHS.token)]).toEqual([1, 1])
    expect(store.state()?.token).toBe(second)
    expect(decodeJwt(second).thumbprint).toBe(store.state()?.device?.kid)
    expect(await client.getToken()).toBe(second)
  })

  test('refresh after expiry: an expired token is exchanged for a valid one', async () => {
    useFakeDate()
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    const first = await login(client, plex)
    advance(8 * DAY)
    const second = await client.getToken()
    expect(second).not.toBe(first)
    const identity = await verifyAsServer(plex, second, store.state()!.clientIdentifier)
    expect(identity.expiresAt).toBeGreaterThan(Date.now() / 1000 + 6 * DAY)
  })

  test('a refresh ahead of expiry that fails (5xx, 429, network, timeout) serves the still-valid stored token', async () => {
    useFakeDate()
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store, maxRetries: 0, timeout: 0.2 })
    const first = await login(client, plex)
    advance(6 * DAY)
    const transient = [
      { status: 503 },
      { status: 429 },
      'down',
      'hang',
      'garbage',
      { hugeBytes: 2 * 1024 * 1024 },
    ] as const
    for (const mode of transient) {
      plex.fail(PLEX_PATHS.nonce, mode, { times: 1 })
      expect(await client.getToken(), JSON.stringify(mode)).toBe(first)
      expect(store.state()?.token).toBe(first)
      // The next try waits a minute, so that a failing plex.tv is not asked on every call.
      advance(61)
    }
    // A refusal (4xx) is no passing trouble: it surfaces, ahead of expiry too.
    plex.fail(PLEX_PATHS.nonce, { status: 400 }, { times: 1 })
    expect(await errorCode(client.getToken())).toBe('HTTP_ERROR')
    plex.fail(PLEX_PATHS.nonce, { status: 500 })
    const nonceCalls = plex.requests(PLEX_PATHS.nonce)
    expect(await client.getToken()).toBe(first)
    expect(await client.getToken()).toBe(first)
    expect(plex.requests(PLEX_PATHS.nonce)).toBe(nonceCalls + 1)
    // Tried again once a minute has passed on the clock since the failure, not a moment before.
    vi.setSystemTime(Date.now() + 59_999)
    expect(await client.getToken()).toBe(first)
    expect(plex.requests(PLEX_PATHS.nonce)).toBe(nonceCalls + 1)
    vi.setSystemTime(Date.now() + 1)
    expect(await client.getToken()).toBe(first)
    expect(plex.requests(PLEX_PATHS.nonce)).toBe(nonceCalls + 2)
    // Asked for explicitly, a refresh reports its failure.
    expect(await errorCode(client.getToken({ forceRefresh: true }))).toBe('HTTP_ERROR')
    // Once the stored token has expired, nothing is left to serve: the failure surfaces.
    advance(1 * DAY)
    expect(await errorCode(client.getToken())).toBe('HTTP_ERROR')
    plex.recover()
    const second = await client.getToken()
    expect(second).not.toBe(first)
    expect(store.state()?.token).toBe(second)
  })

  test('a refresh ahead of expiry whose new token cannot be checked (KEYS_UNAVAILABLE) serves the stored token', async () => {
    useFakeDate()
    const plex = await startFake()
    let jumpDuringNonce = false
    const slowFetch: typeof fetch = (input, init) => {
      // The cached key set (fetched at login, usable for 10 min + 1 day) goes past its use while plex.tv
      // is asked for a nonce: the refreshed token finds no usable key, and the key set is unreachable.
      if (jumpDuringNonce && String(input).includes(PLEX_PATHS.nonce)) {
        jumpDuringNonce = false
        advance(10 * 60)
      }
      return fetch(input, init)
    }
    const store = spyStore()
    const client = clientFor(plex, { store, refreshWithin: 6 * DAY, fetch: slowFetch })
    const first = await login(client, plex)
    plex.fail(PLEX_PATHS.keys, { status: 503 })
    advance(1 * DAY + 5 * 60)
    jumpDuringNonce = true
    expect(await client.getToken()).toBe(first)
    expect([plex.requests(PLEX_PATHS.nonce), plex.requests(PLEX_PATHS.token)]).toEqual([1, 1])
    expect(store.state()?.token).toBe(first)
    plex.recover()
    advance(10 * 60)
    const second = await client.getToken()
    expect(second).not.toBe(first)
    expect(store.state()?.token).toBe(second)
  })

  test('served as it is while more than refreshWithin is left; refreshed from exactly refreshWithin on', async () => {
    useFakeDate()
    const plex = await startFake()
    const client = clientFor(plex, { refreshWithin: 3600 })
    const first = await login(client, plex)
    const refreshFrom = decodeJwt(first).exp! * 1000 - 3_600_000
    vi.setSystemTime(refreshFrom - 1)
    expect(await client.getToken()).toBe(first)
    expect(plex.requests(PLEX_PATHS.nonce)).toBe(0)
    vi.setSystemTime(refreshFrom)
    expect(await client.getToken()).not.toBe(first)
    expect(plex.requests(PLEX_PATHS.nonce)).toBe(1)
  })

  test('a token that expires while its refresh fails is not served: the failure surfaces', async () => {
    useFakeDate()
    const plex = await startFake()
    let expireDuringNonce = false
    const slowFetch: typeof fetch = (input, init) => {
      // The clock passes the token's expiry while plex.tv is asked for a nonce (which then fails).
      if (expireDuringNonce && String(input).includes(PLEX_PATHS.nonce)) advance(2 * DAY)
      return fetch(input, init)
    }
    const store = spyStore()
    const client = clientFor(plex, { store, maxRetries: 0, fetch: slowFetch })
    const first = await login(client, plex)
    advance(6 * DAY + 60)
    expireDuringNonce = true
    plex.fail(PLEX_PATHS.nonce, { status: 503 }, { times: 1 })
    expect(await errorCode(client.getToken())).toBe('HTTP_ERROR')
    expect(store.state()?.token).toBe(first)
  })

  test('a token that expires within the minute after a failed refresh is refreshed once expired, not served', async () => {
    useFakeDate()
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store, maxRetries: 0 })
    const first = await login(client, plex)
    vi.setSystemTime(decodeJwt(first).exp! * 1000 - 30_000)
    plex.fail(PLEX_PATHS.nonce, { status: 503 }, { times: 1 })
    expect(await client.getToken()).toBe(first)
    // Within the minute the failed refresh waits, but past the expiry: nothing valid is left to serve.
    advance(31)
    const second = await client.getToken()
    expect(second).not.toBe(first)
    expect(store.state()?.token).toBe(second)
  })

  test('a rotated Plex key: a token signed by a new key verifies; one whose key was retired is replaced', async () => {
    useFakeDate()
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    const first = await login(client, plex)
    const rotated = plex.rotateKeys()
    advance(6 * DAY + 60)
    const second = await client.getToken()
    expect(decodeProtectedHeader(second).kid).toBe(rotated.kid)
    expect(decodeProtectedHeader(first).kid).not.toBe(rotated.kid)
    expect(plex.requests(PLEX_PATHS.keys)).toBe(2)

    const retiring = plex.rotateKeys({ keep: false })
    const nextRun = clientFor(plex, { store })
    const third = await nextRun.getToken()
    expect(third).not.toBe(second)
    expect(decodeProtectedHeader(third).kid).toBe(retiring.kid)
    expect(store.state()?.token).toBe(third)
    expect(plex.requests(PLEX_PATHS.token)).toBe(2)
  })

  test('a thumbprint mismatch is refused: the token is not stored nor returned', async () => {
    useFakeDate()
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    const first = await login(client, plex)
    advance(6 * DAY + 60)
    const foreign = plex.issueToken({
      clientIdentifier: store.state()!.clientIdentifier,
      claims: { thumbprint: 'another-devices-kid' },
    })
    plex.fail(PLEX_PATHS.token, { body: { auth_token: foreign } }, { times: 1 })
    expect(await errorCode(client.getToken())).toBe('THUMBPRINT_MISMATCH')
    expect(store.state()?.token).toBe(first)
    expect(await client.getToken()).not.toBe(first)
  })

  test('a token issued to another app is refused (TOKEN_INVALID)', async () => {
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    const first = await login(client, plex)
    const otherApp = plex.issueToken({
      clientIdentifier: 'other-app',
      claims: { thumbprint: store.state()!.device!.kid },
    })
    plex.fail(PLEX_PATHS.token, { body: { auth_token: otherApp } }, { times: 1 })
    expect(await errorCode(client.getToken({ forceRefresh: true }))).toBe('TOKEN_INVALID')
    expect(store.state()?.token).toBe(first)
  })

  test('nonce reuse is refused by plex.tv and surfaces as SIGNATURE_REJECTED', async () => {
    const plex = await startFake()
    let replayed: string | undefined
    const replayingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (!String(input).endsWith(PLEX_PATHS.nonce)) return response
      const { nonce } = (await response.json()) as { nonce: string }
      replayed ??= nonce
      return Response.json({ nonce: replayed })
    }
    const store = spyStore()
    const client = clientFor(plex, { store, fetch: replayingFetch })
    await login(client, plex)
    const refreshed = await client.getToken({ forceRefresh: true })
    const failure = client.getToken({ forceRefresh: true })
    expect(await errorCode(failure)).toBe('SIGNATURE_REJECTED')
    await expect(failure).rejects.toMatchObject({ status: 422 })
    expect(store.state()?.token).toBe(refreshed)
    expect(plex.requests(PLEX_PATHS.token)).toBe(2)
  })

  test('429 backoff: waits Retry-After, then succeeds; gives up after maxRetries with RATE_LIMITED', async () => {
    useFakeDate()
    const plex = await startFake({ nonceRateLimit: { requests: 1, perSeconds: 30 } })
    const sleeps: number[] = []
    const sleep = async (ms: number) => {
      sleeps.push(ms)
      advance(ms / 1000)
    }
    const client = clientFor(plex, { sleep, maxRetries: 2 })
    await login(client, plex)
    await client.getToken({ forceRefresh: true })
    expect(sleeps).toEqual([])
    advance(5)
    await client.getToken({ forceRefresh: true })
    expect(sleeps).toEqual([25_000])
    expect(plex.requests(PLEX_PATHS.nonce)).toBe(3)

    plex.fail(PLEX_PATHS.nonce, { status: 429, headers: { 'retry-after': '2' } })
    const limited = client.getToken({ forceRefresh: true })
    expect(await errorCode(limited)).toBe('RATE_LIMITED')
    await expect(limited).rejects.toMatchObject({ status: 429, retryAfter: 2 })
    expect(sleeps).toEqual([25_000, 2000, 2000])
    expect(plex.requests(PLEX_PATHS.nonce)).toBe(6)

    plex.fail(PLEX_PATHS.nonce, { status: 429, headers: { 'retry-after': '3600' } })
    expect(await errorCode(client.getToken({ forceRefresh: true }))).toBe('RATE_LIMITED')
    expect(sleeps).toHaveLength(3)
  })

  test('concurrent forced refreshes share one refresh: one nonce, one exchange, one token', async () => {
    const plex = await startFake()
    const client = clientFor(plex)
    await login(client, plex)
    const tokens = await Promise.all([
      client.getToken({ forceRefresh: true }),
      client.getToken({ forceRefresh: true }),
    ])
    expect(tokens[1]).toBe(tokens[0])
    expect([plex.requests(PLEX_PATHS.nonce), plex.requests(PLEX_PATHS.token)]).toEqual([1, 1])
  })

  test('concurrent getToken() calls share one refresh: one nonce, one exchange', async () => {
    useFakeDate()
    const plex = await startFake()
    const store = spyStore()
    const client = clientFor(plex, { store })
    const first = await login(client, plex)
    const savesAfterLogin = store.saves
    advance(6 * DAY + 60)
    const tokens = await Promise.all(Array.from({ length: 8 }, () => client.getToken()))
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(first)
    expect([plex.requests(PLEX_PATHS.nonce), plex.requests(PLEX_PATHS.token)]).toEqual([1, 1])
    expect(store.saves).toBe(savesAfterLogin + 1)
  })
})

describe('a store corrupted on disk', () => {
  test('is reported as STORE_CORRUPT and never overwritten, by login or refresh', async () => {
    const plex = await startFake()
    const dir = await tempDir()
    const path = join(dir, 'plex.json')
    const client = createPlexClient({ product: 'Client Test', baseUrl: plex.url, store: fileStore(path) })
    await login(client, plex)
    const good = JSON.parse(await readFile(path, 'utf8'))
    expect([good.baseUrl, good.clientsBaseUrl]).toEqual([plex.url, plex.url])
    const variants = [
      '{"version":1,"clientIdentifier":"abc","device":{"kid":',
      JSON.stringify({ ...good, version: 2 }),
      JSON.stringify({ ...good, device: { ...good.device, kid: 'not-the-thumbprint' } }),
      JSON.stringify({
        ...good,
        device: { ...good.device, privateJwk: { ...good.device.privateJwk, d: good.device.privateJwk.x } },
      }),
      JSON.stringify({ version: 1, clientIdentifier: 'abc', token: good.token }),
      JSON.stringify({ ...good, baseUrl: 'http://plex.example.com' }),
      JSON.stringify({ ...good, clientsBaseUrl: 'https://user:secret@clients.plex.tv' }),
      JSON.stringify({ version: 1, clientIdentifier: 'abc', device: good.device, baseUrl: plex.url }),
    ]
    for (const corrupted of variants) {
      await writeFile(path, corrupted)
      const fresh = createPlexClient({ product: 'Client Test', baseUrl: plex.url, store: fileStore(path) })
      expect(await errorCode(fresh.getToken())).toBe('STORE_CORRUPT')
      expect(await errorCode(fresh.startLogin())).toBe('STORE_CORRUPT')
      expect(await errorCode(fresh.logout())).toBe('STORE_CORRUPT')
      expect(await readFile(path, 'utf8')).toBe(corrupted)
    }
    expect(plex.requests(PLEX_PATHS.pins)).toBe(1)
  })
})
