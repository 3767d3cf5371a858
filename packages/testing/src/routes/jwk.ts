import { authenticate, clientIdentifierOf } from '../authenticate.js'
import { parsePublicJwk, readJson, registerDevice } from '../device-keys.js'
import { PLEX_PATHS } from '../paths.js'
import { plexError } from '../responses.js'
import type { Route } from '../router.js'

/**
 * `POST /api/v2/auth/jwk` with `X-Plex-Token` (a legacy token, or a Plex JWT) and `{"jwk":{…}}`: registers
 * the device key (Ed25519 or RSA) of the client identifier. 201 with an empty body (`Content-Type:
 * application/json`); 401 for a bad token; 422 "Thumbprint
 * Already Taken" when another client identifier registered that kid; 400 for a body without a public JWK.
 */
export const jwkRoute: Route = {
  method: 'POST',
  path: PLEX_PATHS.jwk,
  jsonOnly: true,
  handle: async (context) => {
    const auth = await authenticate(context)
    if (!auth.ok) return auth.response
    const body = readJson(context.body) as { jwk?: unknown } | undefined
    const key = parsePublicJwk(body?.jwk)
    if (key === undefined) return plexError(400, 400, 'Invalid JWK')
    const outcome = registerDevice(context.state, {
      ...key,
      clientIdentifier: clientIdentifierOf(context)!, // authenticate() refused a request without one
      accountId: auth.account.id,
      legacyToken: auth.kind === 'legacy' ? auth.token : undefined,
    })
    if (outcome === 'taken') return plexError(422, 422, 'Thumbprint Already Taken')
    // plex.tv's 201 carries no body; python-plexapi had to learn to accept that. The type is still JSON's.
    // Node sends the Content-Length: 0 itself (one given here would also hold for a failure mode's body).
    return { status: 201, headers: { 'content-type': 'application/json; charset=utf-8' } }
  },
}
