import { accountById } from '../accounts.js'
import { clientIdentifierOf, missingClientIdentifier } from '../authenticate.js'
import { kidOf, readJson, scopesOf, verifyDeviceJwt } from '../device-keys.js'
import { issueToken } from '../issue-token.js'
import { PLEX_PATHS } from '../paths.js'
import { json, plexError } from '../responses.js'
import type { Route } from '../router.js'

const rejected = () => plexError(422, 422, 'Signature Verification Failed')

/**
 * `POST /api/v2/auth/token` with `{"jwt":"<device JWT>"}`: 200 `{"auth_token":"<Plex JWT>"}` whose
 * `thumbprint` is the device kid and `aud` `["plex.tv", <client identifier>]`. 422 "Signature Verification
 * Failed" for a missing or unknown kid, a bad signature or claims, or a nonce that is unknown, expired,
 * already used or another client's. The first exchange retires the legacy token that registered the key.
 */
export const tokenRoute: Route = {
  method: 'POST',
  path: PLEX_PATHS.token,
  jsonOnly: true,
  handle: async (context) => {
    const { state } = context
    if (clientIdentifierOf(context) === undefined) return missingClientIdentifier()
    const body = readJson(context.body) as { jwt?: unknown } | undefined
    if (typeof body?.jwt !== 'string') return plexError(400, 400, 'Missing jwt')
    const kid = kidOf(body.jwt)
    const device = kid === undefined ? undefined : state.devices.get(kid)
    if (device === undefined) return rejected()
    const claims = verifyDeviceJwt(body.jwt, device.publicKey, device.clientIdentifier)
    const nonce = claims?.nonce
    const record = typeof nonce === 'string' ? state.nonces.get(nonce) : undefined
    if (claims === undefined || record === undefined) return rejected()
    if (record.expiresAt <= Date.now() || record.clientIdentifier !== device.clientIdentifier)
      return rejected()
    state.nonces.delete(nonce as string)
    const account = accountById(state, device.accountId)
    const token = issueToken(
      state,
      {
        scopes: scopesOf(claims),
        clientIdentifier: device.clientIdentifier,
        claims: { thumbprint: device.kid, nonce },
      },
      account,
    )
    const legacy = device.legacyToken === undefined ? undefined : state.legacyTokens.get(device.legacyToken)
    if (legacy !== undefined) legacy.retired = true
    device.legacyToken = undefined
    return json(200, { auth_token: token })
  },
}
