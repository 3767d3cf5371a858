import { randomUUID } from 'node:crypto'
import { constants } from 'node:fs'
import { type FileHandle, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { type PlexClientState, type PlexClientStore, parseState } from './client-state.js'
import { isPlexClientError, PlexClientError } from './errors.js'

const MAX_FILE_BYTES = 64 * 1024
// Non-blocking, so that a FIFO at the path opens at once instead of waiting for a writer (no effect on files).
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)
/** A temporary file older than this is a crashed write's, not one still going on in another process. */
const LEFTOVER_AGE_MS = 60_000

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

/** Reads at most `limit` bytes; a file that holds more (e.g. one growing, or lying about its size) is corrupt. */
async function readAtMost(handle: FileHandle, limit: number): Promise<string> {
  const buffer = Buffer.alloc(limit + 1)
  let length = 0
  while (length < buffer.length) {
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
    if (bytesRead === 0) break
    length += bytesRead
  }
  if (length > limit) throw new PlexClientError('STORE_CORRUPT')
  return buffer.toString('utf8', 0, length)
}

async function readState(path: string): Promise<PlexClientState | undefined> {
  let text: string
  try {
    const handle = await open(path, READ_FLAGS)
    try {
      const info = await handle.stat()
      // A FIFO, a device or a directory is no store: reading one could wait or run forever.
      if (!info.isFile()) {
        throw new PlexClientError('STORE_FAILED', {
          cause: new Error('the store path is not a regular file'),
        })
      }
      if (info.size > MAX_FILE_BYTES) throw new PlexClientError('STORE_CORRUPT')
      text = await readAtMost(handle, MAX_FILE_BYTES)
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

/**
 * Removes the temporary files of earlier saves that never got renamed (a crash mid-write): they hold the
 * private key. Only files of this store older than a minute, so that a save of another process sharing the
 * file is left alone; failures are ignored (the save itself succeeded).
 */
async function removeLeftovers(dir: string, file: string): Promise<void> {
  const prefix = `.${file}.`
  try {
    for (const name of await readdir(dir)) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp') || name.length <= prefix.length + 4) continue
      const path = join(dir, name)
      try {
        const info = await stat(path)
        if (info.isFile() && Date.now() - info.mtimeMs > LEFTOVER_AGE_MS) await unlink(path)
      } catch {
        // Gone already, or not ours to remove.
      }
    }
  } catch {
    // An unreadable directory: nothing to clean.
  }
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
 * leaves the previous good state; the next successful save removes such a leftover (it holds the private
 * key). Only a regular file of at most 64 KiB is read: anything else at the path (a FIFO, a device) fails
 * with `STORE_FAILED` at once. A file that does not parse as a valid state is reported as
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
      await removeLeftovers(dir, basename(absolute))
    },
  }
}
