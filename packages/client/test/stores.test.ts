import { execFileSync } from 'node:child_process'
import { mkdir, open, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, test } from 'vitest'
import { generateDeviceKey } from '../src/device-key.js'
import { fileStore, memoryStore, type PlexClientState } from '../src/index.js'
import { errorCode, tempDir } from './helpers.js'

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
    await store.save({ ...state, token: 'd.e.f' })
    expect((await readdir(dir)).sort()).toEqual([basename(inProgress), 'plex.json', 'unrelated.tmp'].sort())
    expect((await store.load())?.token).toBe('d.e.f')
  })

  test.skipIf(process.platform === 'win32')(
    'a FIFO at the path is refused at once (STORE_FAILED) instead of waiting for a writer forever',
    async () => {
      const path = join(await tempDir(), 'plex.json')
      execFileSync('mkfifo', [path])
      const store = fileStore(path)
      const loading = Promise.resolve().then(() => store.load())
      const outcome = await Promise.race([
        loading.then(
          () => 'loaded',
          (err: unknown) => err,
        ),
        sleep(1000).then(() => 'hung'),
      ])
      if (outcome === 'hung') {
        // Unblock the pending open, so that a failing run does not leave a thread stuck.
        await (await open(path, 'w')).close()
        await loading.catch(() => {})
      }
      expect(outcome).not.toBe('hung')
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

  test('save refuses to replace a corrupted file; load reports it', async () => {
    const path = join(await tempDir(), 'plex.json')
    await writeFile(path, 'not json at all')
    const store = fileStore(path)
    expect(await errorCode(Promise.resolve().then(() => store.load()))).toBe('STORE_CORRUPT')
    expect(
      await errorCode(Promise.resolve().then(() => store.save({ version: 1, clientIdentifier: 'x' }))),
    ).toBe('STORE_CORRUPT')
    expect(await readFile(path, 'utf8')).toBe('not json at all')
  })

  test('an unreadable path is STORE_FAILED; ~/ is the home directory', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'plex.json'))
    expect(await errorCode(Promise.resolve().then(() => fileStore(join(dir, 'plex.json')).load()))).toBe(
      'STORE_FAILED',
    )
    expect(fileStore('~/.config/x/plex.json').path).toBe(join(homedir(), '.config/x/plex.json'))
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
