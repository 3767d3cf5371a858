import { authenticate } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import { negotiated } from '../responses.js'
import type { Route } from '../router.js'
import { resourceDocument } from '../servers.js'

/**
 * `GET /api/v2/resources`: the servers the account owns or was shared, each with its `clientIdentifier`,
 * `provides`, `owned`, the account's `accessToken` and its `connections`. A JSON array, or
 * `<resources><resource …><connections><connection …/></connections></resource></resources>`. Errors as
 * `/api/v2/user`.
 */
export const resourcesRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.resources,
  handle: async (context) => {
    const auth = await authenticate(context)
    if (!auth.ok) return auth.response
    const { state } = context
    const documents = [...state.servers.values()]
      .filter((server) => server.accessTokens.has(auth.account.id))
      .map((server) => resourceDocument(state, server, auth.account.id))
    return negotiated(
      200,
      documents.map(({ json }) => json),
      { tag: 'resources', attributes: { size: documents.length }, children: documents.map(({ xml }) => xml) },
    )
  },
}
