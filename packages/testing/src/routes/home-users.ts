import { homeUsers } from '../account-documents.js'
import { authenticate } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import { negotiated } from '../responses.js'
import type { Route } from '../router.js'

/**
 * `GET /api/v2/home/users`: the Plex Home of the account (a home of one when it has none): `id`, `name`,
 * … and `users`, the admin first. A managed user's `username` and `email` are `null` (empty attributes in
 * XML). Errors as `/api/v2/user`.
 */
export const homeUsersRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.homeUsers,
  handle: async (context) => {
    const auth = await authenticate(context)
    if (!auth.ok) return auth.response
    const { json, xml } = homeUsers(context.state, auth.account.id)
    return negotiated(200, json, xml)
  },
}
