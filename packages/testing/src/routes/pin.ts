import { accountById } from '../accounts.js'
import { clientIdentifierOf, missingClientIdentifier } from '../authenticate.js'
import { scopesOf, verifyDeviceJwt } from '../device-keys.js'
import { issueToken } from '../issue-token.js'
import { PLEX_PATHS } from '../paths.js'
import { findPin, pinDocument } from '../pins.js'
import { type FakeResponse, negotiated, plexError } from '../responses.js'
import type { Route } from '../router.js'
import type { PinRecord } from '../state.js'

function pinAnswer(pin: PinRecord, authToken: string | null): FakeResponse {
  const { json, xml } = pinDocument(pin, authToken)
  return negotiated(200, json, xml)
}

/**
 * `GET /api/v2/pins/:id`: the PIN, `authToken` null until approved. A PIN with a key reveals its Plex JWT
 * only with `?deviceJWT=` signed by that key (422 when the signature does not verify); the token is issued
 * on the first such poll and repeated after. 404 (code 1020) for an unknown, expired or denied PIN, or
 * another client's.
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
      return pinAnswer(pin, pin.authToken ?? null)
    const deviceJwt = context.query.get('deviceJWT')
    if (deviceJwt === null) return pinAnswer(pin, null)
    const claims = verifyDeviceJwt(deviceJwt, pin.publicKey, pin.clientIdentifier)
    if (claims === undefined) return plexError(422, 422, 'Signature Verification Failed')
    const account = accountById(context.state, pin.approval.accountId)
    pin.authToken ??= issueToken(
      context.state,
      {
        scopes: pin.approval.scopes ?? scopesOf(claims),
        clientIdentifier: pin.clientIdentifier,
        claims: { thumbprint: pin.kid, nonce: typeof claims.nonce === 'string' ? claims.nonce : undefined },
      },
      account,
    )
    return pinAnswer(pin, pin.authToken)
  },
}
