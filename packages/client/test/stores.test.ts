import { execFileSync } from 'node:child_process'
import {
  chmod,
  chown,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import { generateDeviceKey } from '../src/device-key.js'
import { createPlexClient, fileStore, memoryStore, type PlexClientState } from '../src/index.js'
import { advance, errorCode, lockAttempt, startFake, tempDir, useFakeDate } from './helpers.js'

// The store's own calls, passed through: a test can count them or make one fail.
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>()
  return { ...fs, open: vi.fn(fs.open), rename: vi.fn(fs.rename), unlink: vi.fn(fs.unlink) }
})

async function sampleState(): Promise<PlexClientState> {
  return { version: 1, clientIdentifier: 'c0ffee', device: await generateDeviceKey(), token: 'a.b.c' }
}

describe('fileStore', () => {
  test('round trip; file mode 0600 in a new 0700 directory; no temporary file left', async () => {
    const dir = join(await tempDir(), 'nested', 'dir')
    const store = fileStore(join(dir, 'plex.json'))
    expect(await store.load()).toBeUndefined()
    const state = await sampleState()
    await store.save(state)
    expect(await store.load()).toEqual(state)
    await store.save({ ...state, token: 'd.e.f' })
    expect((await store.load())?.token).toBe('d.e.f')
    expect((await stat(store.path)).mode & 0o777).toBe(0o600)
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect(await readdir(dir)).toEqual(['plex.json'])
  })

  test('a leftover temporary file of a crashed write does not affect the stored state', async () => {
    const dir = await tempDir()
    const store = fileStore(join(dir, 'plex.json'))
    const state = await sampleState()
    await store.save(state)
    await writeFile(join(dir, '.plex.json.5d1e4a4e.tmp'), '{"version":1,"clientIdentifier":"hal')
    expect(await store.load()).toEqual(state)
  })

  test('a save removes temporary files a crashed write left behind (they hold the private key)', async () => {
    const dir = await tempDir()
    const store = fileStore(join(dir, 'plex.json'))
    const state = await sampleState()
    await store.save(state)
    const crashed = join(dir, '.plex.json.5d1e4a4e-1111-4222-8333-944445555666.tmp')
    const inProgress = join(dir, '.plex.json.0a0b0c0d-1111-4222-8333-944445555666.tmp')
    await writeFile(crashed, JSON.stringify(state))
    const anHourAgo = new Date(Date.now() - 3_600_000)
    await utimes(crashed, anHourAgo, anHourAgo)
    // A write of another process sharing the file, still going on: left alone.
    await writeFile(inProgress, '{"version":1')
    await writeFile(join(dir, 'unrelated.tmp'), 'not the store file')
    // Old temporary files of another store in the same folder are that store's to clean.
    const otherStore = '.other.json.5d1e4a4e-1111-4222-8333-944445555666.tmp'
    await writeFile(join(dir, otherStore), JSON.stringify(state))
    await utimes(join(dir, otherStore), anHourAgo, anHourAgo)
    // Old, and named like the store, but not a save's temporary file: `.<file>.<something>.tmp`.
    const notTemporary = ['.plex.json.tmp', '.plex.json.5d1e4a4e.bak']
    for (const name of notTemporary) {
      await writeFile(join(dir, name), 'not a save of the store')
      await utimes(join(dir, name), anHourAgo, anHourAgo)
    }
    await store.save({ ...state, token: 'd.e.f' })
    expect((await readdir(dir)).sort()).toEqual(
      [basename(inProgress), 'plex.json', 'unrelated.tmp', otherStore, ...notTemporary].sort(),
    )
    expect((await store.load())?.token).toBe('d.e.f')
  })

  test('a save fsyncs its temporary file before renaming it over the store', async () => {
    const dir = await tempDir()
    const probe = await open(join(dir, 'probe'), 'w')
    const fileHandle = Object.getPrototypeOf(probe) as { sync: () => Promise<void> }
    await probe.close()
    const sync = vi.spyOn(fileHandle, 'sync')
    onTestFinished(() => {
      sync.mockRestore()
    })
    vi.mocked(rename).mockClear()
    await fileStore(join(dir, 'plex.json')).save({ version: 1, clientIdentifier: 'x' })
    const [renamed] = vi.mocked(rename).mock.invocationCallOrder
    expect(renamed).toBeDefined()
    // The temporary file's fsync comes before the rename (the folder's comes after it).
    expect(sync.mock.invocationCallOrder.filter((order) => order < (renamed as number))).toHaveLength(1)
  })

  test.skipIf(process.platform === 'win32')(
    'a FIFO at the path is refused at once (STORE_FAILED) instead of waiting for a writer forever',
    async () => {
      const path = join(await tempDir(), 'plex.json')
      execFileSync('mkfifo', [path])
      const store = fileStore(path)
      let settled = false
      const loading = Promise.resolve()
        .then(() => store.load())
        .finally(() => {
          settled = true
        })
      // An open that waits for a writer fails the test by its timeout (no timer of its own); this then
      // unblocks it, so that a failing run does not leave a thread stuck.
      onTestFinished(async () => {
        if (!settled) await (await open(path, 'w')).close()
      })
      expect(await errorCode(loading)).toBe('STORE_FAILED')
      expect(
        await errorCode(Promise.resolve().then(() => store.save({ version: 1, clientIdentifier: 'x' }))),
      ).toBe('STORE_FAILED')
      expect((await stat(path)).isFIFO()).toBe(true)
    },
  )

  test.skipIf(process.platform === 'win32')(
    'a device at the path (/dev/zero, endless, size 0) is refused instead of read until memory runs out',
    async () => {
      expect(await errorCode(Promise.resolve().then(() => fileStore('/dev/zero').load()))).toBe(
        'STORE_FAILED',
      )
    },
  )

  test('a save that fails removes its temporary file (it holds the private key); the stored state stays', async () => {
    const dir = await tempDir()
    const store = fileStore(join(dir, 'plex.json'))
    const state = await sampleState()
    await store.save(state)
    const failure = Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' })
    vi.mocked(rename).mockRejectedValueOnce(failure)
    const saving = Promise.resolve().then(() => store.save({ ...state, token: 'd.e.f' }))
    expect(await errorCode(saving)).toBe('STORE_FAILED')
    await expect(saving).rejects.toMatchObject({ cause: failure })
    expect(await readdir(dir)).toEqual(['plex.json'])
    expect(await store.load()).toEqual(state)
  })

  test('save refuses to replace a corrupted file; load reports it', async () => {
    const path = join(await tempDir(), 'plex.json')
    await writeFile(path, 'not json at all', { mode: 0o600 })
    const store = fileStore(path)
    expect(await errorCode(Promise.resolve().then(() => store.load()))).toBe('STORE_CORRUPT')
    expect(
      await errorCode(Promise.resolve().then(() => store.save({ version: 1, clientIdentifier: 'x' }))),
    ).toBe('STORE_CORRUPT')
    expect(await readFile(path, 'utf8')).toBe('not json at all')
  })

  test('valid JSON that is no valid state: load reports it, save never replaces it', async () => {
    const path = join(await tempDir(), 'plex.json')
    const text = '{"version":2,"clientIdentifier":"c0ffee"}'
    await writeFile(path, text, { mode: 0o600 })
    const store = fileStore(path)
    expect(await errorCode(Promise.resolve().then(() => store.load()))).toBe('STORE_CORRUPT')
    expect(
      await errorCode(Promise.resolve().then(() => store.save({ version: 1, clientIdentifier: 'x' }))),
    ).toBe('STORE_CORRUPT')
    expect(await readFile(path, 'utf8')).toBe(text)
  })

  test('fileStore needs a path: TypeError', () => {
    expect(() => fileStore('')).toThrow(new TypeError('plexauth: fileStore needs a path'))
    expect(() => fileStore(7 as never)).toThrow(TypeError)
  })

  test('an unreadable path is STORE_FAILED; ~/ is the home directory', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'plex.json'))
    expect(await errorCode(Promise.resolve().then(() => fileStore(join(dir, 'plex.json')).load()))).toBe(
      'STORE_FAILED',
    )
    expect(fileStore('~/.config/x/plex.json').path).toBe(join(homedir(), '.config/x/plex.json'))
    expect(fileStore('~').path).toBe(homedir())
  })
})

describe("fileStore's lock", () => {
  test("a change through the lock creates the store's folders with mode 0700", async () => {
    const plex = await startFake()
    const top = join(await tempDir(), 'config')
    const dir = join(top, 'app')
    const store = fileStore(join(dir, 'plex.json'))
    await createPlexClient({ product: 'Store Test', baseUrl: plex.url, store }).getClientIdentifier()
    expect((await stat(top)).mode & 0o777).toBe(0o700)
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect(await readdir(dir)).toEqual(['plex.json'])
  })

  test('a live lock: the change waits while the clock is short of 10 s, and gives up once it reaches them', async () => {
    const path = join(await tempDir(), 'plex.json')
    const lockPath = `${path}.lock`
    await writeFile(lockPath, '', { mode: 0o600 })
    useFakeDate()
    const tries = () => vi.mocked(open).mock.calls.filter(([file]) => file === lockPath).length
    const waitForTries = async (count: number) => {
      while (tries() < count) await sleep(5)
    }
    let settled = false
    const outcome = Promise.resolve()
      .then(() => fileStore(path).lock?.(async () => {}))
      .then(
        () => undefined,
        (err: unknown) => err,
      )
      .finally(() => {
        settled = true
      })
    // The clock stands still but for these jumps; the deadline is set before the first try.
    await waitForTries(1)
    advance(9.9)
    await waitForTries(tries() + 2)
    expect(settled).toBe(false)
    advance(0.1)
    for (let polls = 0; !settled && polls < 200; polls++) await sleep(10)
    const gaveUp = settled
    // A wrong wait ends here: the lock turns stale and is taken over.
    advance(60)
    expect(await outcome).toMatchObject({
      name: 'PlexClientError',
      code: 'STORE_FAILED',
      cause: { message: `${lockPath} is held by another process` },
    })
    expect(gaveUp).toBe(true)
  })

  test("a stale lock that cannot be removed (another user's, in a sticky folder such as /tmp): the change gives up after 10 s instead of retrying without end", async () => {
    const path = join(await tempDir(), 'plex.json')
    const lockPath = `${path}.lock`
    await writeFile(lockPath, '', { mode: 0o600 })
    const anHourAgo = new Date(Date.now() - 3_600_000)
    await utimes(lockPath, anHourAgo, anHourAgo)
    // What unlink(2) answers in a sticky folder for another user's file; lifted when the test ends.
    let refuse = true
    onTestFinished(() => {
      refuse = false
    })
    const realUnlink = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).unlink
    vi.mocked(unlink).mockImplementation(async (file) => {
      if (refuse && file === lockPath) throw Object.assign(new Error('EPERM'), { code: 'EPERM' })
      return realUnlink(file)
    })
    useFakeDate()
    const tries = () => vi.mocked(open).mock.calls.filter(([file]) => file === lockPath).length
    const { outcome, ran, settled } = lockAttempt(fileStore(path))
    // The clock stands still but for this jump: only the deadline can end the wait.
    while (tries() < 2) await sleep(5)
    advance(10)
    for (let polls = 0; !settled() && polls < 200; polls++) await sleep(10)
    expect(settled()).toBe(true)
    expect(ran()).toBe(false)
    expect(await outcome).toMatchObject({
      name: 'PlexClientError',
      code: 'STORE_FAILED',
      cause: { message: `${lockPath} is held by another process` },
    })
  })
})

describe('fileStore, what is not a store', () => {
  test('a file of exactly 64 KiB is read; one byte more is STORE_CORRUPT', async () => {
    const dir = await tempDir()
    const json = JSON.stringify(await sampleState())
    const limit = 64 * 1024
    const exact = join(dir, 'exact.json')
    await writeFile(exact, json + ' '.repeat(limit - json.length), { mode: 0o600 })
    expect((await stat(exact)).size).toBe(limit)
    expect(await fileStore(exact).load()).toEqual(JSON.parse(json))
    const over = join(dir, 'over.json')
    await writeFile(over, json + ' '.repeat(limit + 1 - json.length), { mode: 0o600 })
    expect(await errorCode(Promise.resolve().then(() => fileStore(over).load()))).toBe('STORE_CORRUPT')
  })

  test('a file that holds more than its size said (one growing after the check) is STORE_CORRUPT', async () => {
    const path = join(await tempDir(), 'plex.json')
    const json = JSON.stringify(await sampleState())
    // Valid JSON of 64 KiB and one byte: only the count of what was read can refuse it.
    await writeFile(path, json + ' '.repeat(64 * 1024 + 1 - json.length), { mode: 0o600 })
    const probe = await open(path, 'r')
    const fileHandle = Object.getPrototypeOf(probe) as { stat: (this: unknown) => Promise<{ size: number }> }
    await probe.close()
    const realStat = fileHandle.stat
    const lying = vi.spyOn(fileHandle, 'stat').mockImplementation(async function (this: unknown) {
      return Object.assign(await realStat.call(this), { size: 100 }) as never
    })
    onTestFinished(() => {
      lying.mockRestore()
    })
    expect(await errorCode(Promise.resolve().then(() => fileStore(path).load()))).toBe('STORE_CORRUPT')
    expect(lying).toHaveBeenCalled()
  })

  test('a file over 64 KiB is STORE_CORRUPT, never read; a path through a regular file is STORE_FAILED', async () => {
    const dir = await tempDir()
    const big = join(dir, 'big.json')
    const text = JSON.stringify({ version: 1, clientIdentifier: 'c0ffee', padding: 'x'.repeat(64 * 1024) })
    await writeFile(big, text, { mode: 0o600 })
    expect(await errorCode(Promise.resolve().then(() => fileStore(big).load()))).toBe('STORE_CORRUPT')
    expect(
      await errorCode(
        Promise.resolve().then(() => fileStore(big).save({ version: 1, clientIdentifier: 'x' })),
      ),
    ).toBe('STORE_CORRUPT')
    expect(await readFile(big, 'utf8')).toBe(text)
    // The folder is a file (open fails), or one of the folders above it is (its check fails).
    const file = join(dir, 'a-file')
    await writeFile(file, 'not a folder', { mode: 0o600 })
    for (const path of [join(file, 'plex.json'), join(file, 'sub', 'plex.json')]) {
      const store = fileStore(path)
      expect(await errorCode(Promise.resolve().then(() => store.load())), path).toBe('STORE_FAILED')
      await expect(Promise.resolve().then(() => store.load())).rejects.toMatchObject({
        cause: { code: 'ENOTDIR' },
      })
    }
  })

  test('a file over 64 KiB is refused by its size, without reading a byte of it', async () => {
    const big = join(await tempDir(), 'big.json')
    await writeFile(big, ' '.repeat(64 * 1024 + 1), { mode: 0o600 })
    const probe = await open(big, 'r')
    const fileHandle = Object.getPrototypeOf(probe) as { read: () => Promise<unknown> }
    await probe.close()
    const read = vi.spyOn(fileHandle, 'read')
    onTestFinished(() => {
      read.mockRestore()
    })
    expect(await errorCode(Promise.resolve().then(() => fileStore(big).load()))).toBe('STORE_CORRUPT')
    expect(read).not.toHaveBeenCalled()
  })

  test('on Windows, where files have no Unix owner or mode, a store is read without those checks', async () => {
    const { dir, path } = await storeFile(0o644)
    await chmod(dir, 0o777)
    expect(await errorCode(Promise.resolve().then(() => fileStore(path).load()))).toBe('STORE_INSECURE')
    const platform = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor
    Object.defineProperty(process, 'platform', { ...platform, value: 'win32' })
    onTestFinished(() => {
      Object.defineProperty(process, 'platform', platform)
    })
    const store = fileStore(path)
    expect(await store.load()).toMatchObject({ version: 1, clientIdentifier: 'c0ffee' })
    await store.save({ version: 1, clientIdentifier: 'saved' })
    expect(await store.load()).toEqual({ version: 1, clientIdentifier: 'saved' })
  })
})

/** The error a promise rejects with (a PlexClientError), checked to be STORE_INSECURE. */
async function insecureError(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(err).toMatchObject({ name: 'PlexClientError', code: 'STORE_INSECURE' })
  return (err as Error).message
}

const OTHER_UID = 65534
const unix = process.platform !== 'win32'
const asRoot = unix && process.getuid?.() === 0

/** A store file holding a valid state, written with `mode`, in a fresh folder of mode 0700. */
async function storeFile(mode: number): Promise<{ dir: string; path: string; text: string }> {
  const dir = await tempDir()
  const path = join(dir, 'plex.json')
  const text = `${JSON.stringify(await sampleState())}\n`
  await writeFile(path, text)
  await chmod(path, mode)
  return { dir, path, text }
}

describe.skipIf(!unix)('fileStore refuses a store that is not private to the user (as ssh does)', () => {
  test('a file group or others can read or write: STORE_INSECURE saying the path, the mode and the chmod to run', async () => {
    for (const mode of [0o644, 0o640, 0o606, 0o660, 0o604, 0o620, 0o610, 0o601]) {
      const { path, text } = await storeFile(mode)
      const store = fileStore(path)
      const message = await insecureError(Promise.resolve().then(() => store.load()))
      expect(message).toContain(`${path} has mode 0${mode.toString(8)}`)
      expect(message).toContain(`chmod 600 ${path}`)
      await insecureError(Promise.resolve().then(() => store.save(JSON.parse(text))))
      expect(await readFile(path, 'utf8')).toBe(text)
      await chmod(path, 0o600)
      expect((await store.load())?.clientIdentifier).toBe('c0ffee')
    }
  })

  test('refused before any request to plex.tv: a planted 0644 store with a key someone else knows', async () => {
    const plex = await startFake()
    const { path, text } = await storeFile(0o644)
    const client = createPlexClient({ product: 'Store Test', baseUrl: plex.url, store: fileStore(path) })
    expect(await errorCode(client.startLogin())).toBe('STORE_INSECURE')
    expect(await errorCode(client.registerDevice(plex.createLegacyToken()))).toBe('STORE_INSECURE')
    expect(await errorCode(client.getToken())).toBe('STORE_INSECURE')
    expect(plex.log).toEqual([])
    expect(await readFile(path, 'utf8')).toBe(text)
  })

  test.skipIf(!asRoot)(
    'a file owned by another user is refused, also when running as root; so is a folder of another user',
    async () => {
      const plex = await startFake()
      const { dir, path, text } = await storeFile(0o600)
      await chown(path, OTHER_UID, OTHER_UID)
      const store = fileStore(path)
      const message = await insecureError(Promise.resolve().then(() => store.load()))
      expect(message).toContain(`${path} is owned by uid ${OTHER_UID}, not by you (uid 0)`)
      await insecureError(Promise.resolve().then(() => store.save(JSON.parse(text))))
      const client = createPlexClient({ product: 'Store Test', baseUrl: plex.url, store })
      expect(await errorCode(client.startLogin())).toBe('STORE_INSECURE')
      expect(plex.log).toEqual([])
      expect(await readFile(path, 'utf8')).toBe(text)
      expect((await stat(path)).uid).toBe(OTHER_UID)

      // Our own file, but in a folder someone else owns (who can swap it).
      await chown(path, 0, 0)
      await chown(dir, OTHER_UID, OTHER_UID)
      expect(await insecureError(Promise.resolve().then(() => store.load()))).toContain(
        `the folder ${dir} is owned by uid ${OTHER_UID}`,
      )
      await chown(dir, 0, 0)
      expect((await store.load())?.clientIdentifier).toBe('c0ffee')
    },
  )

  test('a folder others can write: refused on load and on save, with the chmod 700 to run; an existing folder is checked, not trusted', async () => {
    for (const mode of [0o777, 0o770, 0o707, 0o757]) {
      const { dir, path, text } = await storeFile(0o600)
      await chmod(dir, mode)
      const store = fileStore(path)
      const message = await insecureError(Promise.resolve().then(() => store.load()))
      expect(message).toContain(`the folder ${dir} has mode 0${mode.toString(8)}`)
      expect(message).toContain(`chmod 700 ${dir}`)
      await insecureError(Promise.resolve().then(() => store.save(JSON.parse(text))))
      expect(await readFile(path, 'utf8')).toBe(text)
    }
    // mkdir of a folder that already exists with a bad mode: the first save refuses, nothing is written.
    const dir = join(await tempDir(), 'config')
    await mkdir(dir)
    await chmod(dir, 0o777)
    const store = fileStore(join(dir, 'plex.json'))
    expect(await insecureError(Promise.resolve().then(() => store.load()))).toContain(`chmod 700 ${dir}`)
    await insecureError(Promise.resolve().then(() => store.save({ version: 1, clientIdentifier: 'x' })))
    expect(await readdir(dir)).toEqual([])
    await chmod(dir, 0o700)
    await store.save({ version: 1, clientIdentifier: 'x' })
    expect((await store.load())?.clientIdentifier).toBe('x')
  })

  test.skipIf(!asRoot)(
    'for a user other than root: a folder of their own or of root is fine, one of another user is not',
    async () => {
      const user = 1000
      const getuid = vi.spyOn(process, 'getuid').mockReturnValue(user)
      onTestFinished(() => {
        getuid.mockRestore()
      })
      const { dir, path } = await storeFile(0o600)
      await chown(path, user, user)
      const store = fileStore(path)
      expect((await stat(dir)).uid).toBe(0)
      expect((await store.load())?.clientIdentifier).toBe('c0ffee')
      await chown(dir, user, user)
      expect((await store.load())?.clientIdentifier).toBe('c0ffee')
      await chown(dir, OTHER_UID, OTHER_UID)
      expect(await insecureError(Promise.resolve().then(() => store.load()))).toContain(
        `the folder ${dir} is owned by uid ${OTHER_UID}, not by you (uid ${user}) or root`,
      )
    },
  )

  test('a lock is not taken in a folder others can write: STORE_INSECURE, nothing run, no lock file left', async () => {
    const dir = await tempDir()
    await chmod(dir, 0o777)
    let ran = false
    const locking = Promise.resolve().then(() =>
      fileStore(join(dir, 'plex.json')).lock?.(async () => {
        ran = true
      }),
    )
    expect(await insecureError(locking)).toContain(`chmod 700 ${dir}`)
    expect(ran).toBe(false)
    expect(await readdir(dir)).toEqual([])
  })

  test("a sticky folder others can write (as /tmp) is fine for the user's own private file", async () => {
    const { dir, path, text } = await storeFile(0o600)
    await chmod(dir, 0o1777)
    const store = fileStore(path)
    expect(await store.load()).toEqual(JSON.parse(text))
    await store.save({ ...JSON.parse(text), token: 'd.e.f' })
    expect((await store.load())?.token).toBe('d.e.f')
    await chmod(path, 0o644)
    await insecureError(Promise.resolve().then(() => store.load()))
  })

  test('a symbolic link at the path is never followed, on load or save, even to a private file of the user', async () => {
    const { dir, path: target, text } = await storeFile(0o600)
    const link = join(dir, 'link.json')
    await symlink(target, link)
    const store = fileStore(link)
    const message = await insecureError(Promise.resolve().then(() => store.load()))
    expect(message).toContain(`${link} is a symbolic link`)
    await insecureError(Promise.resolve().then(() => store.save({ version: 1, clientIdentifier: 'x' })))
    expect(await readFile(target, 'utf8')).toBe(text)
    // A dangling link (to where someone else would create the file) too.
    const dangling = join(dir, 'dangling.json')
    await symlink(join(dir, 'not-yet.json'), dangling)
    await insecureError(Promise.resolve().then(() => fileStore(dangling).load()))
  })

  test('EMLINK (what BSD says of a link opened with O_NOFOLLOW) is a symbolic link too: STORE_INSECURE', async () => {
    const { dir, path: target } = await storeFile(0o600)
    const link = join(dir, 'link.json')
    await symlink(target, link)
    const emlink = Object.assign(new Error('EMLINK: too many links, open'), { code: 'EMLINK' })
    vi.mocked(open).mockRejectedValueOnce(emlink)
    const message = await insecureError(Promise.resolve().then(() => fileStore(link).load()))
    expect(message).toContain(`${link} is a symbolic link`)
  })
})

describe('memoryStore', () => {
  test('keeps a copy: changing a loaded or saved object changes nothing stored', async () => {
    const state = await sampleState()
    const store = memoryStore(state)
    const loaded = (await store.load())!
    loaded.token = 'changed'
    state.token = 'changed too'
    expect((await store.load())?.token).toBe('a.b.c')
  })
})
