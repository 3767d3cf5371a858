import { randomUUID } from 'node:crypto'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { type PlexClientState, type PlexClientStore, parseState } from './client-state.js'
import { isPlexClientError, PlexClientError } from './errors.js'

const MAX_FILE_BYTES = 64 * 1024

/**
 * A file store: `fileStore(path)` with its resolved `path`.
 *
 * @example
 * ```ts
 * const store: FileStore = fileStore('~/.config/my-app/plex.json')
 * console.log(store.path) // /home/me/.config/my-app/plex.json
 * ```
 */
export interface FileStore extends PlexClientStore {
  /** The absolute path, `~/` expanded. */
  readonly path: string
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

async function readState(path: string): Promise<PlexClientState | undefined> {
  let text: string
  try {
    const handle = await open(path, 'r')
    try {
      const { size } = await handle.stat()
      if (size > MAX_FILE_BYTES) throw new PlexClientError('STORE_CORRUPT')
      text = await handle.readFile('utf8')
    } finally {
      await handle.close()
    }
  } catch (err) {
    if (isMissing(err)) return undefined
    if (isPlexClientError(err)) throw err
    throw new PlexClientError('STORE_FAILED', { cause: err })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new PlexClientError('STORE_CORRUPT', { cause })
  }
  return parseState(value)
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Not every platform can fsync a directory (Windows); the rename is still atomic.
  }
}

/**
 * Keeps the state in a JSON file with mode 0600 (its directory is created with 0700). Every save writes a
 * temporary file in the same directory, fsyncs it and renames it over the old one, so a crash mid-write
 * leaves the previous good state. A file that does not parse as a valid state is reported as
 * `STORE_CORRUPT` and never overwritten, not even by a save: move it away to start over.
 *
 * @example
 * ```ts
 * const client = createPlexClient({ product: 'My App', store: fileStore('~/.config/my-app/plex.json') })
 * ```
 */
export function fileStore(path: string): FileStore {
  if (typeof path !== 'string' || path === '') throw new TypeError('plexauth: fileStore needs a path')
  const absolute = resolve(path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path)
  const dir = dirname(absolute)
  return {
    path: absolute,
    load: () => readState(absolute),
    async save(state) {
      await readState(absolute)
      const text = `${JSON.stringify(state, null, 2)}\n`
      const temporary = join(dir, `.${basename(absolute)}.${randomUUID()}.tmp`)
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 })
        const handle = await open(temporary, 'wx', 0o600)
        try {
          await handle.writeFile(text, 'utf8')
          await handle.sync()
        } finally {
          await handle.close()
        }
        await rename(temporary, absolute)
      } catch (err) {
        await unlink(temporary).catch(() => {})
        throw new PlexClientError('STORE_FAILED', { cause: err })
      }
      await syncDirectory(dir)
    },
  }
}
