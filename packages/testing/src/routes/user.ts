import { accountJson, accountXml } from '../account-documents.js'
import { authenticate } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import { negotiated } from '../responses.js'
import type { Route } from '../router.js'

/**
 * `GET /api/v2/user`: the account, flat JSON or `<user>` XML, with `authToken` (the token of the request),
 * for a Plex JWT signed by the fake or a live legacy token. 400 (code 1000) without a client identifier,
 * 401 (code 1001) for a bad token, 498 for an expired JWT.
 */
export const userRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.user,
  handle: async (context) => {
    const auth = await authenticate(context)
    if (!auth.ok) return auth.response
    const { state } = context
    return negotiated(
      200,
      accountJson(state, auth.account, auth.token),
      accountXml(state, auth.account, auth.token),
    )
  },
}
