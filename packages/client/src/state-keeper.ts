import { randomUUID } from 'node:crypto'
import { type DeviceKey, type PlexClientState, type PlexClientStore, parseState } from './client-state.js'
import { generateDeviceKey } from './device-key.js'
import { isPlexClientError, PlexClientError } from './errors.js'

/**
 * A state that holds a device key.
 *
 * @example
 * ```ts
 * const { device, clientIdentifier }: DeviceState = await keeper.ensureDevice()
 * ```
 */
export type DeviceState = PlexClientState & { device: DeviceKey }

/**
 * A state that holds a device key and a token: a login.
 *
 * @example
 * ```ts
 * const { token }: LoggedInState = await keeper.loggedIn()
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
 * one queue, so that two changes of one process never interleave.
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
  /** Queues a change: it sees the state as the previous change left it. Resolves to the state after it. */
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

  function load(): Promise<PlexClientState | undefined> {
    if (cached !== undefined) return cached
    const loading = (async () => {
      let raw: unknown
      try {
        raw = await store.load()
      } catch (err) {
        throw storeFailure(err)
      }
      return raw === undefined || raw === null ? undefined : parseState(raw)
    })()
    cached = loading
    // A store that failed to load is tried again next time: the user may have fixed it.
    loading.catch(() => {
      if (cached === loading) cached = undefined
    })
    return loading
  }

  function update(change: StateChange): Promise<PlexClientState | undefined> {
    const run = writes.then(async () => {
      const current = await load()
      const next = await change(current)
      if (next === current || next === undefined) return current
      try {
        await store.save(structuredClone(next))
      } catch (err) {
        throw storeFailure(err)
      }
      cached = Promise.resolve(next)
      return next
    })
    writes = run.catch(() => {})
    return run
  }

  return {
    load,
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
