import { PLEX_PATHS } from '../paths.js'
import { json } from '../responses.js'
import type { Route } from '../router.js'

/** `GET /api/v2/auth/keys`: Plex's public keys, or the hand-crafted set given to `setKeysResponse`. */
export const keysRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.keys,
  jsonOnly: true,
  handle: ({ state }) =>
    json(
      200,
      state.keysResponse ?? state.keyRing.publicKeySet(),
      state.cacheControl === undefined ? {} : { 'cache-control': state.cacheControl },
    ),
}
