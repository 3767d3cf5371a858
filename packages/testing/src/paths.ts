/**
 * The plex.tv paths the fake serves.
 *
 * @example
 * ```ts
 * plex.fail(PLEX_PATHS.keys, 'down')
 * ```
 */
export const PLEX_PATHS = Object.freeze({
  keys: '/api/v2/auth/keys',
} as const)
