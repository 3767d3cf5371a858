import { accountJson } from '../accounts.js'
import { authenticate } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import { json } from '../responses.js'
import type { Route } from '../router.js'

/**
 * `GET /api/v2/user`: the flat account JSON, for a Plex JWT signed by the fake or a live legacy token.
 * 400 (code 1000) without a client identifier, 401 (code 1001) for a bad token, 498 for an expired JWT.
 */
export const userRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.user,
  handle: async (context) => {
    const auth = await authenticate(context)
    return auth.ok ? json(200, accountJson(auth.account)) : auth.response
  },
}
