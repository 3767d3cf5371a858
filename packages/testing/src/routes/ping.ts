import { authenticate } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import { negotiated } from '../responses.js'
import type { Route } from '../router.js'

/**
 * `GET /api/v2/ping`: 200 `{"pong":true}` (XML `<pong>true</pong>`, whose text python-plexapi casts) for a
 * good token; errors as `/api/v2/user`.
 */
export const pingRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.ping,
  handle: async (context) => {
    const auth = await authenticate(context)
    return auth.ok ? negotiated(200, { pong: true }, { tag: 'pong', text: 'true' }) : auth.response
  },
}
