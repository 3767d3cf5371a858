import { legacyAccountJson, legacyAccountXml } from '../account-documents.js'
import { authenticateToken, tokenOf } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import { type FakeResponse, json, negotiated } from '../responses.js'
import type { Route, RouteContext } from '../router.js'

// The v1 API's refusal, not the v2 `errors` list.
const REFUSAL = 'Invalid authentication token.'

async function legacyAccount(context: RouteContext, alwaysJson: boolean): Promise<FakeResponse> {
  const auth = await authenticateToken(context, tokenOf(context))
  if (!auth.ok) {
    return alwaysJson
      ? json(401, { error: REFUSAL })
      : negotiated(401, { error: REFUSAL }, { tag: 'errors', children: [{ tag: 'error', text: REFUSAL }] })
  }
  const { state } = context
  const value = legacyAccountJson(state, auth.account, auth.token)
  return alwaysJson
    ? json(200, value)
    : negotiated(200, value, legacyAccountXml(state, auth.account, auth.token))
}

/**
 * `GET /users/account`: the legacy account for `X-Plex-Token` (header or query; no client identifier
 * needed), XML `<user …>` unless `Accept: application/json` (then `{"user":{…}}`). 401 for a bad token.
 */
export const legacyAccountRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.legacyAccount,
  handle: (context) => legacyAccount(context, false),
}

/** `GET /users/account.json`: the legacy account as JSON whatever `Accept` says. */
export const legacyAccountJsonRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.legacyAccountJson,
  jsonOnly: true,
  handle: (context) => legacyAccount(context, true),
}
