import { readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { PLEX_PATHS } from '@plexauth/testing'
import { decodeJwt } from 'jose'
import { describe, expect, test } from 'vitest'
import {
  type FileStore,
  fileStore,
  memoryStore,
  type PlexClientState,
  type PlexClientStore,
} from '../src/index.js'
import {
  advance,
  clientFor,
  DAY,
  errorCode,
  lockAttempt,
  login,
  startFake,
  tempDir,
  useFakeDate,
} from './helpers.js'

/** A promise and the function that settles it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {}
  const promise = new Promise<void>((settle) => {
    resolve = settle
  })
  return { promise, resolve }
}

const storedAt = async (path: string): Promise<PlexClientState> => JSON.parse(await readFile(path, 'utf8'))

describe('a logout stays a logout for every client sharing the store (plexauth logout beside a running app)', () => {
  test('one logs out, the other then refreshes: it is told NOT_LOGGED_IN, plex.tv is not asked, the file stays logged out', async () => {
    useFakeDate()
    const plex = await startFake()
    const path = join(await tempDir(), 'plex.json')
    const app = clientFor(plex, { store: fileStore(path) })
    const token = await login(app, plex)
    expect(await app.getToken()).toBe(token)
    const { clientIdentifier } = await storedAt(path)

    const cli = clientFor(plex, { store: fileStore(path) })
    await cli.logout()
    expect(await storedAt(path)).toEqual({ version: 1, clientIdentifier })

    expect(await errorCode(app.getToken({ forceRefresh: true }))).toBe('NOT_LOGGED_IN')
    advance(6 * DAY + 60)
    expect(await errorCode(app.getToken())).toBe('NOT_LOGGED_IN')
    expect(await errorCode(app.getIdentity())).toBe('NOT_LOGGED_IN')
    expect([plex.requests(PLEX_PATHS.nonce), plex.requests(PLEX_PATHS.token)]).toEqual([0, 0])
    expect(await storedAt(path)).toEqual({ version: 1, clientIdentifier })
  })

  test('a refresh already under way when the other logs out: its token is not written back', async () => {
    const plex = await startFake()
    const path = join(await tempDir(), 'plex.json')
    const exchanging = signal()
    const loggedOut = signal()
    // Holds the app's exchange at plex.tv until the logout has happened.
    const heldFetch: typeof fetch = async (input, init) => {
      if (String(input).endsWith(PLEX_PATHS.token)) {
        exchanging.resolve()
        await loggedOut.promise
      }
      return fetch(input, init)
    }
    const app = clientFor(plex, { store: fileStore(path), fetch: heldFetch })
    await login(app, plex)
    const { clientIdentifier } = await storedAt(path)

    const refreshing = app.getToken({ forceRefresh: true })
    await exchanging.promise
    await clientFor(plex, { store: fileStore(path) }).logout()
    loggedOut.resolve()
    expect(await errorCode(refreshing)).toBe('NOT_LOGGED_IN')
    expect(plex.requests(PLEX_PATHS.token)).toBe(1)
    expect(await storedAt(path)).toEqual({ version: 1, clientIdentifier })
    expect(await errorCode(app.getToken())).toBe('NOT_LOGGED_IN')
  })

  test('the read and the write of a change hold the lock: a logout in between waits, and wins', async () => {
    const plex = await startFake()
    const path = join(await tempDir(), 'plex.json')
    await login(clientFor(plex, { store: fileStore(path) }), plex)
    const { clientIdentifier } = await storedAt(path)

    // The app's store pauses right after its read inside the lock, until the other process's logout has
    // finished (which it can only do without a lock) or has had ample time to.
    const inner = fileStore(path)
    let inLock = false
    let armed = false
    const paused = signal()
    const otherDone = signal()
    const appStore: FileStore = {
      path,
      load: async () => {
        const state = await inner.load()
        if (inLock && armed) {
          armed = false
          paused.resolve()
          await otherDone.promise
        }
        return state
      },
      save: (state) => inner.save(state),
      lock: (critical) =>
        inner.lock!(async () => {
          inLock = true
          try {
            return await critical()
          } finally {
            inLock = false
          }
        }),
    }
    const app = clientFor(plex, { store: appStore })
    await app.getToken()
    armed = true
    const refreshing = app.getToken({ forceRefresh: true })
    await paused.promise
    const logout = clientFor(plex, { store: fileStore(path) }).logout()
    await Promise.race([logout, sleep(300)])
    otherDone.resolve()
    const refreshed = await refreshing
    await logout
    expect(refreshed).toEqual(expect.any(String))
    expect(await storedAt(path)).toEqual({ version: 1, clientIdentifier })
    expect(await readdir(join(path, '..'))).toEqual(['plex.json'])
  })

  test('a lock file a crashed process left behind is taken over once stale', async () => {
    const plex = await startFake()
    const dir = await tempDir()
    const path = join(dir, 'plex.json')
    await writeFile(`${path}.lock`, '', { mode: 0o600 })
    const aMinuteAgo = new Date(Date.now() - 60_000)
    await utimes(`${path}.lock`, aMinuteAgo, aMinuteAgo)
    const client = clientFor(plex, { store: fileStore(path) })
    await login(client, plex)
    expect((await storedAt(path)).token).toEqual(expect.any(String))
    expect(await readdir(dir)).toEqual(['plex.json'])
  })

  test('a live lock of another process: a change waits for it, then gives up after 10 s with STORE_FAILED', async () => {
    const path = join(await tempDir(), 'plex.json')
    await writeFile(`${path}.lock`, '', { mode: 0o600 })
    useFakeDate()
    const { outcome, ran, settled } = lockAttempt(fileStore(path))
    // The lock is retried every 20 ms of real time; the clock moves a second every 30 ms, so the 10 s run
    // out after ten or so moves, long before the 30 s that would make the lock stale.
    let seconds = 0
    while (!settled() && seconds < 25) {
      await sleep(30)
      advance(1)
      seconds++
    }
    expect(await outcome).toMatchObject({
      name: 'PlexClientError',
      code: 'STORE_FAILED',
      cause: { message: `${path}.lock is held by another process` },
    })
    expect(seconds).toBeGreaterThanOrEqual(10)
    expect(seconds).toBeLessThan(25)
    expect(ran()).toBe(false)
    // Not its lock to remove, and nothing written.
    expect(await readdir(join(path, '..'))).toEqual(['plex.json.lock'])
  })

  test('a lock file that cannot be created (its name too long): STORE_FAILED, nothing stored', async () => {
    const plex = await startFake()
    const dir = await tempDir()
    // 251 characters are a valid file name; with `.lock` the lock's is over the 255 a name may have.
    const path = join(dir, `${'p'.repeat(246)}.json`)
    const client = clientFor(plex, { store: fileStore(path) })
    const failing = client.getClientIdentifier()
    expect(await errorCode(failing)).toBe('STORE_FAILED')
    // Refused at once with the reason, not taken for another process's lock and waited for.
    await expect(failing).rejects.toMatchObject({ cause: { code: 'ENAMETOOLONG' } })
    expect(await readdir(dir)).toEqual([])
  })

  test("a store's own lock: every change runs inside it; a lock that fails is STORE_FAILED, cause kept", async () => {
    const plex = await startFake()
    const inner = memoryStore()
    let locked = 0
    let insideLock = false
    const saves: boolean[] = []
    const store: PlexClientStore = {
      load: () => inner.load(),
      save: (state) => {
        saves.push(insideLock)
        return inner.save(state)
      },
      lock: async (critical) => {
        locked++
        insideLock = true
        try {
          return await critical()
        } finally {
          insideLock = false
        }
      },
    }
    const client = clientFor(plex, { store })
    await login(client, plex)
    await client.logout()
    expect(saves.length).toBeGreaterThanOrEqual(3)
    expect(saves.every(Boolean)).toBe(true)
    expect(locked).toBe(saves.length)

    const down = new Error('database down')
    const empty = memoryStore()
    const failing: PlexClientStore = {
      load: () => empty.load(),
      save: (state) => empty.save(state),
      lock: () => Promise.reject(down),
    }
    const refused = clientFor(plex, { store: failing }).getClientIdentifier()
    expect(await errorCode(refused)).toBe('STORE_FAILED')
    await expect(refused).rejects.toMatchObject({ cause: down })
  })

  test('a lock that wraps what fails inside it (a rolled back transaction): the change failure passes as it is', async () => {
    const plex = await startFake()
    const inner = memoryStore()
    const store: PlexClientStore = {
      load: () => inner.load(),
      save: (state) => inner.save(state),
      lock: async (critical) => {
        try {
          return await critical()
        } catch (cause) {
          throw new Error('transaction rolled back', { cause })
        }
      },
    }
    const client = clientFor(plex, { store })
    const pin = await client.startLogin()
    const waiting = client.waitForLogin(pin)
    plex.approvePin(pin.code)
    await client.logout()
    expect(await errorCode(waiting)).toBe('NOT_LOGGED_IN')
    expect((await inner.load())?.token).toBeUndefined()
  })

  test('a store another install replaced (another identifier): tokens are checked for the identifier stored now', async () => {
    const plex = await startFake()
    const shared = memoryStore()
    const app = clientFor(plex, { store: shared })
    await login(app, plex)
    const elsewhere = memoryStore()
    await login(clientFor(plex, { store: elsewhere }), plex)
    const replaced = (await elsewhere.load()) as PlexClientState
    expect(replaced.clientIdentifier).not.toBe((await shared.load())?.clientIdentifier)
    await shared.save(replaced)
    const token = await app.getToken({ forceRefresh: true })
    expect(decodeJwt(token).aud).toContain(replaced.clientIdentifier)
    expect((await shared.load())?.token).toBe(token)
  })
})
