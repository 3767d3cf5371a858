/**
 * The plex.tv paths the fake serves, and the path of a fake media server's `/security/token` (each fake
 * server lives under `/pms/<machineIdentifier>` of the fake's origin). Patterns with `:name` segments work
 * with `fail` and `requests` like exact paths.
 *
 * @example
 * ```ts
 * plex.fail(PLEX_PATHS.keys, 'down')
 * plex.fail(PLEX_PATHS.nonce, { status: 429, headers: { 'retry-after': '1' } }, { times: 1 })
 * plex.requests(PLEX_PATHS.pin) // polls of every PIN
 * ```
 */
export const PLEX_PATHS = Object.freeze({
  keys: '/api/v2/auth/keys',
  pins: '/api/v2/pins',
  pin: '/api/v2/pins/:id',
  nonce: '/api/v2/auth/nonce',
  jwk: '/api/v2/auth/jwk',
  token: '/api/v2/auth/token',
  user: '/api/v2/user',
  ping: '/api/v2/ping',
  resources: '/api/v2/resources',
  users: '/api/users',
  homeUsers: '/api/v2/home/users',
  pinLink: '/api/v2/pins/link',
  legacyAccount: '/users/account',
  legacyAccountJson: '/users/account.json',
  serverToken: '/pms/:machineIdentifier/security/token',
} as const)

/** Where the fake serves its sign-in page, standing in for `https://app.plex.tv/auth`. */
export const SIGN_IN_PATH = '/auth'

/** Root of the fake's HTTP control surface; requests under it are neither counted nor logged nor failed. */
export const CONTROL_PATH = '/__fake'
