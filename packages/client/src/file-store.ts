import { randomUUID } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { type FileHandle, lstat, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { type PlexClientState, type PlexClientStore, parseState } from './client-state.js'
import { isPlexClientError, PlexClientError } from './errors.js'

const MAX_FILE_BYTES = 64 * 1024
// Non-blocking, so that a FIFO at the path opens at once instead of waiting for a writer (no effect on files);
// never through a symbolic link, which could point the store at a file someone else chose.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0)
/** The sticky bit: in such a folder only a file's owner may rename or delete it (/tmp). */
const STICKY = 0o1000
/** A temporary file older than this is a crashed write's, not one still going on in another process. */
const LEFTOVER_AGE_MS = 60_000
/** A lock file older than this was left by a crashed process: a read and a write take milliseconds. */
const STALE_LOCK_MS = 30_000
/** How long a change waits for another process's lock before failing with `STORE_FAILED`. */
const LOCK_WAIT_MS = 10_000
const LOCK_RETRY_MS = 20

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

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0')
}

function insecure(detail: string): PlexClientError {
  return new PlexClientError('STORE_INSECURE', { detail })
}

/** The user the checks are for; `undefined` where files have no Unix owner and mode (Windows). */
function currentUser(): number | undefined {
  return process.platform === 'win32' ? undefined : process.getuid?.()
}

/**
 * The store file must be the user's own and private to them, as ssh demands of a private key: it holds the
 * device key, and a file someone else planted would register their key on the user's Plex account. Root is
 * held to the same rule: a file owned by another user is theirs to have planted.
 */
function checkFile(path: string, info: Stats): void {
  const uid = currentUser()
  if (uid === undefined) return
  if (info.uid !== uid) {
    throw insecure(
      `${path} is owned by uid ${info.uid}, not by you (uid ${uid}). Do not use a store someone else may have written: move it away (mv ${path} ${path}.untrusted) and log in again.`,
    )
  }
  if ((info.mode & 0o077) !== 0) {
    throw insecure(
      `${path} has mode ${octal(info.mode)}: group or others can access it. Run \`chmod 600 ${path}\`, and log in again if others may have read it.`,
    )
  }
}

/**
 * The folder of the store must not let others swap the file: owned by the user (or root), and writable by
 * no one else, unless it is sticky (as /tmp), where only the file's owner may replace it.
 */
async function checkFolder(dir: string): Promise<void> {
  const uid = currentUser()
  if (uid === undefined) return
  let folder: Stats
  try {
    folder = await stat(dir)
  } catch (err) {
    if (isMissing(err)) return
    throw new PlexClientError('STORE_FAILED', { cause: err })
  }
  if (folder.uid !== uid && folder.uid !== 0) {
    throw insecure(
      `the folder ${dir} is owned by uid ${folder.uid}, not by you (uid ${uid}) or root, so its owner can replace the store. Keep the store in a folder of your own.`,
    )
  }
  if ((folder.mode & 0o022) !== 0 && (folder.mode & STICKY) === 0) {
    throw insecure(
      `the folder ${dir} has mode ${octal(folder.mode)}: others can write to it and replace the store. Run \`chmod 700 ${dir}\`.`,
    )
  }
}

/** Refuses a symbolic link at the path, which the store never follows. */
async function refuseLink(path: string, err: unknown): Promise<void> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code !== 'ELOOP' && code !== 'EMLINK') return
  const info = await lstat(path).catch(() => undefined)
  if (info?.isSymbolicLink()) {
    throw insecure(
      `${path} is a symbolic link, and the store never follows one. Point the store at the file itself.`,
    )
  }
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
  await checkFolder(dirname(path))
  let text: string
  try {
    let handle: FileHandle
    try {
      handle = await open(path, READ_FLAGS)
    } catch (err) {
      await refuseLink(path, err)
      throw err
    }
    try {
      // Checked on the open file, so that what is read is what was checked.
      const info = await handle.stat()
      // A FIFO, a device or a directory is no store: reading one could wait or run forever.
      if (!info.isFile()) {
        throw new PlexClientError('STORE_FAILED', {
          cause: new Error('the store path is not a regular file'),
        })
      }
      checkFile(path, info)
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
 * Runs `critical` holding `<store>.lock`, a file created exclusively beside the store (so in the same
 * checked folder), that other processes sharing the store wait for. A lock older than 30 s is a crashed
 * process's and is taken over.
 */
async function withLock<T>(path: string, critical: () => Promise<T>): Promise<T> {
  const lockPath = `${path}.lock`
  const dir = dirname(path)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await checkFolder(dir)
  const giveUpAt = Date.now() + LOCK_WAIT_MS
  let handle: FileHandle | undefined
  while (handle === undefined) {
    try {
      handle = await open(lockPath, 'wx', 0o600)
    } catch (err) {
      if ((err as NodeJS.ErrnoException | undefined)?.code !== 'EEXIST') throw err
      const info = await lstat(lockPath).catch(() => undefined)
      // Taken over only once it is gone: a stale lock that cannot be removed (another user's, in a sticky
      // folder) is waited for like a live one, not retried without end.
      if (info !== undefined && Date.now() - info.mtimeMs > STALE_LOCK_MS) {
        const removed = await unlink(lockPath).then(
          () => true,
          (err: unknown) => isMissing(err),
        )
        if (removed) continue
      }
      if (Date.now() >= giveUpAt) {
        throw new PlexClientError('STORE_FAILED', {
          cause: new Error(`${lockPath} is held by another process`),
        })
      }
      await delay(LOCK_RETRY_MS)
    }
  }
  try {
    return await critical()
  } finally {
    await handle.close().catch(() => {})
    await unlink(lockPath).catch(() => {})
  }
}

/**
 * Keeps the state in a JSON file with mode 0600 (its directory is created with 0700). Every save writes a
 * temporary file in the same directory, fsyncs it and renames it over the old one, so a crash mid-write
 * leaves the previous good state; the next successful save removes such a leftover (it holds the private
 * key). Only a regular file of at most 64 KiB is read: anything else at the path (a FIFO, a device) fails
 * with `STORE_FAILED` at once. A file that does not parse as a valid state is reported as
 * `STORE_CORRUPT` and never overwritten, not even by a save: move it away to start over. Processes sharing
 * the file take turns through a lock file beside it (`<path>.lock`), so that a client re-reading the store
 * before it writes never writes back a login that another one removed.
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
    lock: (critical) => withLock(absolute, critical),
    async save(state) {
      await readState(absolute)
      const text = `${JSON.stringify(state, null, 2)}\n`
      const temporary = join(dir, `.${basename(absolute)}.${randomUUID()}.tmp`)
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 })
      } catch (err) {
        throw new PlexClientError('STORE_FAILED', { cause: err })
      }
      // mkdir leaves an existing folder as it is, whatever its mode: check it.
      await checkFolder(dir)
      try {
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
