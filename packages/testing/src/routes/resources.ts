import { authenticate } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import { json } from '../responses.js'
import type { Route } from '../router.js'
import { resourceJson } from '../servers.js'

/**
 * `GET /api/v2/resources`: a JSON array of the servers the account owns or was shared, each with its
 * `clientIdentifier`, `provides`, `owned`, the account's `accessToken` and its `connections`. Errors as
 * `/api/v2/user`.
 */
export const resourcesRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.resources,
  handle: async (context) => {
    const auth = await authenticate(context)
    if (!auth.ok) return auth.response
    const { state } = context
    const reachable = [...state.servers.values()].filter((server) => server.accessTokens.has(auth.account.id))
    return json(
      200,
      reachable.map((server) => resourceJson(state, server, auth.account.id)),
    )
  },
}
