import { clientIdentifierOf, missingClientIdentifier, plexFlag, plexValue } from '../authenticate.js'
import { parsePublicJwk } from '../device-keys.js'
import { PLEX_PATHS } from '../paths.js'
import { createPin, pinDocument } from '../pins.js'
import { readFields } from '../request-body.js'
import { negotiated, plexError } from '../responses.js'
import type { Route } from '../router.js'

/**
 * `POST /api/v2/pins`: a PIN with a device key (JSON body `{"jwk":{…},"strong":true}`), or a legacy PIN
 * (`?strong=true`, no body) whose `authToken` will be a legacy token. `strong` may come from the body or
 * the query (`true`, `True`, `1`). 201 with the PIN, JSON or XML as `Accept` says.
 */
export const pinsRoute: Route = {
  method: 'POST',
  path: PLEX_PATHS.pins,
  handle: (context) => {
    const clientIdentifier = clientIdentifierOf(context)
    if (clientIdentifier === undefined) return missingClientIdentifier()
    const body = readFields(context)
    if (body === undefined) return plexError(400, 400, 'Invalid request body')
    const { jwk, strong } = body
    const key = jwk === undefined ? undefined : parsePublicJwk(jwk)
    if (jwk !== undefined && key === undefined) return plexError(422, 422, 'Invalid JWK')
    const owner = key === undefined ? undefined : context.state.devices.get(key.kid)
    if (owner !== undefined && owner.clientIdentifier !== clientIdentifier) {
      return plexError(422, 422, 'Thumbprint Already Taken')
    }
    const pin = createPin(context.state, {
      clientIdentifier,
      product: plexValue(context, 'X-Plex-Product'),
      strong: plexFlag(strong) || plexFlag(context.query.get('strong')),
      kid: key?.kid,
      publicKey: key?.publicKey,
    })
    const { json, xml } = pinDocument(pin, null)
    return negotiated(201, json, xml)
  },
}
