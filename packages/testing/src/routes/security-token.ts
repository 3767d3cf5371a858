import { randomUUID } from 'node:crypto'
import { authenticateToken, tokenOf, unauthenticated } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import { json, plexError } from '../responses.js'
import type { Route } from '../router.js'

/**
 * `POST /pms/:machineIdentifier/security/token?type=delegation&scope=all` of a fake media server:
 * `{"MediaContainer":{"size":0,"token":"transient-<uuid>"}}` for one of its access tokens, or the account
 * token (Plex JWT or legacy) of its owner or of an account it is shared with; 401 otherwise.
 */
export const securityTokenRoute: Route = {
  method: 'POST',
  path: PLEX_PATHS.serverToken,
  handle: async (context) => {
    const server = context.state.servers.get(context.params.machineIdentifier!)
    if (server === undefined) return plexError(404)
    if (context.query.get('type') !== 'delegation' || context.query.get('scope') !== 'all')
      return plexError(400)
    const token = tokenOf(context)
    let allowed = token !== undefined && [...server.accessTokens.values()].includes(token)
    if (!allowed && token !== undefined) {
      const auth = await authenticateToken(context, token)
      allowed = auth.ok && server.accessTokens.has(auth.account.id)
    }
    if (!allowed) return unauthenticated()
    const transient = `transient-${randomUUID()}`
    server.transientTokens.add(transient)
    return json(200, { MediaContainer: { size: 0, token: transient } })
  },
}
