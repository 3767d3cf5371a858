import { authenticate, clientIdentifierOf } from '../authenticate.js'
import { parsePublicJwk, readJson, registerDevice } from '../device-keys.js'
import { PLEX_PATHS } from '../paths.js'
import { plexError } from '../responses.js'
import type { Route } from '../router.js'

/**
 * `POST /api/v2/auth/jwk` with `X-Plex-Token` (a legacy token, or a Plex JWT) and `{"jwk":{…}}`: registers
 * the device key of the client identifier. 201 with an empty body; 401 for a bad token; 422 "Thumbprint
 * Already Taken" when another client identifier registered that kid; 400 for a body without a public JWK.
 */
export const jwkRoute: Route = {
  method: 'POST',
  path: PLEX_PATHS.jwk,
  handle: async (context) => {
    const auth = await authenticate(context)
    if (!auth.ok) return auth.response
    const body = readJson(context.body) as { jwk?: unknown } | undefined
    const key = parsePublicJwk(body?.jwk)
    if (key === undefined) return plexError(400, 400, 'Invalid JWK')
    const outcome = registerDevice(context.state, {
      ...key,
      clientIdentifier: clientIdentifierOf(context) ?? '',
      accountId: auth.account.id,
      legacyToken: auth.kind === 'legacy' ? auth.token : undefined,
    })
    if (outcome === 'taken') return plexError(422, 422, 'Thumbprint Already Taken')
    return { status: 201 }
  },
}
