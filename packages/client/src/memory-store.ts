import type { PlexClientState, PlexClientStore } from './client-state.js'

/**
 * A store that lives as long as the process: for servers that log in at start, and for tests. Keeps a
 * copy, so callers cannot change the stored state by accident.
 *
 * @example
 * ```ts
 * const client = createPlexClient({ product: 'My App', store: memoryStore() })
 * ```
 */
export function memoryStore(initial?: PlexClientState): PlexClientStore {
  let stored = initial === undefined ? undefined : structuredClone(initial)
  return {
    load: () => (stored === undefined ? undefined : structuredClone(stored)),
    save: (state) => {
      stored = structuredClone(state)
    },
  }
}
