import { clientIdentifierOf, missingClientIdentifier } from '../authenticate.js'
import { scopesOf, verifyDeviceJwt } from '../device-keys.js'
import { issueToken } from '../issue-token.js'
import { PLEX_PATHS } from '../paths.js'
import { findPin, pinJson } from '../pins.js'
import { json, plexError } from '../responses.js'
import type { Route } from '../router.js'

/**
 * `GET /api/v2/pins/:id`: the PIN, `authToken` null until approved. A PIN with a key reveals its Plex JWT
 * only with `?deviceJWT=` signed by that key (422 when the signature does not verify); the token is issued
 * on the first such poll and repeated after. 404 for an unknown or expired PIN, or another client's.
 */
export const pinRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.pin,
  handle: async (context) => {
    const clientIdentifier = clientIdentifierOf(context)
    if (clientIdentifier === undefined) return missingClientIdentifier()
    const pin = findPin(context.state, Number(context.params.id))
    if (
      pin === undefined ||
      pin.clientIdentifier !== clientIdentifier ||
      String(pin.id) !== context.params.id
    ) {
      return plexError(404, 1020, 'Code not found or expired')
    }
    if (pin.publicKey === undefined || pin.approval === undefined)
      return json(200, pinJson(pin, pin.authToken ?? null))
    const deviceJwt = context.query.get('deviceJWT')
    if (deviceJwt === null) return json(200, pinJson(pin, null))
    const claims = await verifyDeviceJwt(deviceJwt, pin.publicKey, pin.clientIdentifier)
    if (claims === undefined) return plexError(422, 422, 'Signature Verification Failed')
    const account = context.state.accounts.get(pin.approval.accountId) ?? context.state.account
    pin.authToken ??= issueToken(
      context.state,
      {
        scopes: pin.approval.scopes ?? scopesOf(claims),
        clientIdentifier: pin.clientIdentifier,
        claims: { thumbprint: pin.kid, nonce: typeof claims.nonce === 'string' ? claims.nonce : undefined },
      },
      account,
    )
    return json(200, pinJson(pin, pin.authToken))
  },
}
