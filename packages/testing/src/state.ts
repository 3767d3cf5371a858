import type { IncomingHttpHeaders } from 'node:http'
import { FailureTable } from './failure-modes.js'
import { KeyRing } from './keys.js'
import type { PlexTokenUser } from './tokens.js'

/**
 * One request the fake received. Credentials (`Authorization`, `X-Plex-Token`, `Cookie`) are left out.
 *
 * @example
 * ```ts
 * expect(plex.log.at(-1)).toMatchObject({ method: 'GET', path: PLEX_PATHS.keys })
 * ```
 */
export interface RequestLogEntry {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
}

/** Everything the routes share. Later routes (pins, users, …) add their own members here. */
export interface FakePlexState {
  readonly keyRing: KeyRing
  readonly account: PlexTokenUser
  /** Served instead of the key ring's keys when set. */
  keysResponse: object | undefined
  cacheControl: string | undefined
  readonly failures: FailureTable
  readonly counters: Map<string, number>
  readonly log: RequestLogEntry[]
}

export function createState(options: {
  keyCount: number
  account: PlexTokenUser
  cacheControl: string | undefined
}): FakePlexState {
  return {
    keyRing: new KeyRing(options.keyCount),
    account: options.account,
    keysResponse: undefined,
    cacheControl: options.cacheControl,
    failures: new FailureTable(),
    counters: new Map(),
    log: [],
  }
}
