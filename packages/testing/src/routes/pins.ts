import { clientIdentifierOf, missingClientIdentifier } from '../authenticate.js'
import { parsePublicJwk, readJson } from '../device-keys.js'
import { PLEX_PATHS } from '../paths.js'
import { createPin, pinJson } from '../pins.js'
import { json, plexError } from '../responses.js'
import type { Route } from '../router.js'

/**
 * `POST /api/v2/pins`: a PIN with a device key (JSON body `{"jwk":{…},"strong":true}`), or a legacy PIN
 * (`?strong=true`, no body) whose `authToken` will be a legacy token. 201 with the PIN.
 */
export const pinsRoute: Route = {
  method: 'POST',
  path: PLEX_PATHS.pins,
  handle: (context) => {
    const clientIdentifier = clientIdentifierOf(context)
    if (clientIdentifier === undefined) return missingClientIdentifier()
    const body = context.body.length === 0 ? {} : readJson(context.body)
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return plexError(400, 400, 'Invalid request body')
    }
    const { jwk, strong } = body as Record<string, unknown>
    const key = jwk === undefined ? undefined : parsePublicJwk(jwk)
    if (jwk !== undefined && key === undefined) return plexError(422, 422, 'Invalid JWK')
    const owner = key === undefined ? undefined : context.state.devices.get(key.kid)
    if (owner !== undefined && owner.clientIdentifier !== clientIdentifier) {
      return plexError(422, 422, 'Thumbprint Already Taken')
    }
    const pin = createPin(context.state, {
      clientIdentifier,
      product: [context.headers['x-plex-product']].flat()[0],
      strong: strong === true || context.query.get('strong') === 'true',
      kid: key?.kid,
      publicKey: key?.publicKey,
    })
    return json(201, pinJson(pin, null))
  },
}
