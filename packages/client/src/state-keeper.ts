import { randomUUID } from 'node:crypto'
import { type DeviceKey, type PlexClientState, type PlexClientStore, parseState } from './client-state.js'
import { generateDeviceKey } from './device-key.js'
import { isPlexClientError, PlexClientError } from './errors.js'

/**
 * A state that holds a device key.
 *
 * @example
 * ```ts
 * declare const keeper: StateKeeper
 * const { device, clientIdentifier }: DeviceState = await keeper.ensureDevice()
 * ```
 */
export type DeviceState = PlexClientState & { device: DeviceKey }

/**
 * A state that holds a device key and a token: a login.
 *
 * @example
 * ```ts
 * declare const keeper: StateKeeper
 * const { token: jwt }: LoggedInState = await keeper.loggedIn()
 * ```
 */
export type LoggedInState = DeviceState & { token: string }

/**
 * Computes the next state from the current one; returning the current state (or `undefined`) writes nothing.
 *
 * @example
 * ```ts
 * const addToken: StateChange = (state) => (state === undefined ? state : { ...state, token })
 * ```
 */
export type StateChange = (
  state: PlexClientState | undefined,
) => PlexClientState | undefined | Promise<PlexClientState | undefined>

/**
 * The one owner of a client's persisted state: loads it once, then serves the cached copy; writes go through
 * one queue, so that two changes of one process never interleave, and each re-reads the store first.
 *
 * @example
 * ```ts
 * const keeper = createStateKeeper(memoryStore())
 * const { device } = await keeper.ensureDevice()
 * ```
 */
export interface StateKeeper {
  /** The state, loaded once and cached; `undefined` when nothing is stored. */
  load(): Promise<PlexClientState | undefined>
  /** The state as stored now (another process may have changed it), cached from then on. */
  reload(): Promise<PlexClientState | undefined>
  /**
   * Queues a change. It starts from the state as stored now (re-read, under the store's `lock` when it has
   * one), so that a login another process removed is never written back. Resolves to the state after it.
   */
  update(change: StateChange): Promise<PlexClientState | undefined>
  /** The state with a device key, generated and stored on first use. */
  ensureDevice(): Promise<DeviceState>
  /** The client identifier, generated and stored on first use. */
  clientIdentifier(): Promise<string>
  /** The stored login; rejects with `NOT_LOGGED_IN` when there is none. */
  loggedIn(): Promise<LoggedInState>
  /** Counts logouts: a login or refresh started under an older count must not store its token. */
  generation(): number
  /** Forgets the token and the device key (the client identifier stays). */
  forget(): Promise<void>
}

function storeFailure(err: unknown): PlexClientError {
  return isPlexClientError(err) ? err : new PlexClientError('STORE_FAILED', { cause: err })
}

function fresh(state: PlexClientState | undefined): PlexClientState {
  return state ?? { version: 1, clientIdentifier: randomUUID() }
}

/**
 * Builds the state keeper of one client over its store. Nothing is loaded until the first call.
 *
 * @example
 * ```ts
 * const keeper = createStateKeeper(fileStore('~/.config/my-app/plex.json'))
 * await keeper.update((state) => (state === undefined ? state : { ...state, token }))
 * ```
 */
export function createStateKeeper(store: PlexClientStore): StateKeeper {
  let cached: Promise<PlexClientState | undefined> | undefined
  let writes: Promise<unknown> = Promise.resolve()
  let generation = 0

  async function read(): Promise<PlexClientState | undefined> {
    let raw: unknown
    try {
      raw = await store.load()
    } catch (err) {
      throw storeFailure(err)
    }
    return raw === undefined || raw === null ? undefined : parseState(raw)
  }

  function load(): Promise<PlexClientState | undefined> {
    if (cached !== undefined) return cached
    const loading = read()
    cached = loading
    // A store that failed to load is tried again next time: the user may have fixed it.
    loading.catch(() => {
      if (cached === loading) cached = undefined
    })
    return loading
  }

  function reload(): Promise<PlexClientState | undefined> {
    cached = undefined
    return load()
  }

  async function readChangeWrite(change: StateChange): Promise<PlexClientState | undefined> {
    // Another process sharing the store may have changed it since this one loaded it (a logout above all):
    // every change starts from what is stored now, never from the cached copy.
    const current = await read()
    cached = Promise.resolve(current)
    const next = await change(current)
    if (next === current || next === undefined) return current
    try {
      await store.save(structuredClone(next))
    } catch (err) {
      throw storeFailure(err)
    }
    cached = Promise.resolve(next)
    return next
  }

  function update(change: StateChange): Promise<PlexClientState | undefined> {
    const run = writes.then(async () => {
      if (store.lock === undefined) return readChangeWrite(change)
      // The change's own failures (NOT_LOGGED_IN…) pass as they are; only the lock's become STORE_FAILED.
      let failed: { error: unknown } | undefined
      try {
        return await store.lock(() =>
          readChangeWrite(change).catch((error: unknown) => {
            failed = { error }
            throw error
          }),
        )
      } catch (err) {
        throw failed === undefined ? storeFailure(err) : failed.error
      }
    })
    writes = run.catch(() => {})
    return run
  }

  return {
    load,
    reload,
    update,

    async ensureDevice() {
      const current = await load()
      if (current?.device !== undefined) return current as DeviceState
      const next = await update(async (state) =>
        state?.device !== undefined ? state : { ...fresh(state), device: await generateDeviceKey() },
      )
      return next as DeviceState
    },

    async clientIdentifier() {
      const current = await load()
      if (current !== undefined) return current.clientIdentifier
      const state = await update((stored) => stored ?? fresh(undefined))
      return (state as PlexClientState).clientIdentifier
    },

    async loggedIn() {
      const state = await load()
      if (state?.device === undefined || state.token === undefined) throw new PlexClientError('NOT_LOGGED_IN')
      return state as LoggedInState
    },

    generation: () => generation,

    async forget() {
      generation++
      await update((state) =>
        state === undefined || (state.device === undefined && state.token === undefined)
          ? state
          : { version: 1, clientIdentifier: state.clientIdentifier },
      )
    },
  }
}
