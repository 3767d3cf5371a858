import type { Ed25519Key, SigningKeyPosition } from './keys.js'
import { matchPath } from './router.js'
import type { FakePlexState } from './state.js'

/** Requests received for `path` (a pattern such as `/api/v2/pins/:id` sums its paths), or in all. */
export function countRequests(state: FakePlexState, path?: string): number {
  let total = 0
  for (const [seen, count] of state.counters) {
    if (path === undefined || seen === path || (path.includes('/:') && matchPath(path, seen))) total += count
  }
  return total
}

/** Zeroes the request counters and empties the log. */
export function resetCounters(state: FakePlexState): void {
  state.counters.clear()
  state.log.length = 0
}

/**
 * Back to a clean run without losing the cast: failure modes ended, counters and log emptied, PINs and
 * nonces forgotten, nonce windows restarted. Accounts, servers, keys and tokens stay.
 */
export function resetRun(state: FakePlexState): void {
  state.failures.clear()
  resetCounters(state)
  state.pins.clear()
  state.nonces.clear()
  state.nonceWindows.clear()
}

/** A new signing key: published first or last (default: as the fake was created), older keys kept unless `keep` is false. */
export function rotateKeys(
  state: FakePlexState,
  {
    keep = true,
    position = state.signingKeyPosition,
  }: { keep?: boolean; position?: SigningKeyPosition } = {},
): Ed25519Key {
  return state.keyRing.rotate(keep, position)
}
