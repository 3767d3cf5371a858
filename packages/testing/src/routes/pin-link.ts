import { authenticateToken, tokenOf } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import { approvePin, findPin } from '../pins.js'
import { readFields } from '../request-body.js'
import { plexError } from '../responses.js'
import type { Route } from '../router.js'

/**
 * `PUT /api/v2/pins/link` with `X-Plex-Token` of a signed-in account and form field `code` (JSON works
 * too): the PIN is approved for that account, as python-plexapi's `MyPlexAccount.link` and both libraries'
 * live tests do. 204; 401 (code 1001) for a bad token; 404 (code 1020) for an unknown or expired code.
 */
export const pinLinkRoute: Route = {
  method: 'PUT',
  path: PLEX_PATHS.pinLink,
  handle: async (context) => {
    const auth = await authenticateToken(context, tokenOf(context))
    if (!auth.ok) return auth.response
    const code = readFields(context)?.code ?? context.query.get('code')
    const pin = typeof code === 'string' && code !== '' ? findPin(context.state, code) : undefined
    if (pin === undefined || pin.code !== code) return plexError(404, 1020, 'Code not found or expired')
    try {
      approvePin(context.state, pin.id, { user: { id: auth.account.id } })
    } catch {
      return plexError(422, 422, 'Thumbprint Already Taken')
    }
    return { status: 204 }
  },
}
