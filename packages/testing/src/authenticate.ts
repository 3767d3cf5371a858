import { decodeJws, verifyJws } from '@plexauth/core/plex-tv'
import { type FakeResponse, plexError } from './responses.js'
import type { RouteContext } from './router.js'
import type { PlexTokenUser } from './tokens.js'

/** The `X-Plex-Client-Identifier` of a request, from the header or the query string. */
export function clientIdentifierOf(context: RouteContext): string | undefined {
  return plexValue(context, 'X-Plex-Client-Identifier')
}

/** The `X-Plex-Token` of a request, from the header or the query string. */
export function tokenOf(context: RouteContext): string | undefined {
  return plexValue(context, 'X-Plex-Token')
}

/**
 * An `X-Plex-*` value, as plex.tv reads it: the header, else the query parameter of the same name (any
 * case: clients write `X-Plex-Product` and `x-plex-product`). Empty counts as absent.
 */
export function plexValue(context: RouteContext, name: string): string | undefined {
  // Node joins a repeated header into one string (only set-cookie comes as a list).
  let value = context.headers[name.toLowerCase()] as string | undefined
  if (value === undefined) {
    const lower = name.toLowerCase()
    for (const [key, queried] of context.query) {
      if (key.toLowerCase() === lower) {
        value = queried
        break
      }
    }
  }
  return value === undefined || value === '' ? undefined : value
}

/** A boolean as plex.tv reads one from a query string, a form or JSON: `true`, `True`, `1` (or JSON `true`/`1`). */
export function plexFlag(value: unknown): boolean {
  if (value === true || value === 1) return true
  return typeof value === 'string' && /^(true|1)$/i.test(value.trim())
}

/** plex.tv's answer to a request without a client identifier: 400, code 1000. */
export function missingClientIdentifier(): FakeResponse {
  return plexError(400, 1000, 'X-Plex-Client-Identifier is missing')
}

/** plex.tv's answer to a bad or missing token: 401, code 1001. */
export function unauthenticated(): FakeResponse {
  return plexError(401, 1001, 'User could not be authenticated')
}

/** plex.tv's answer to an expired JWT: 498. */
export function tokenExpired(): FakeResponse {
  return plexError(498, 498, 'Token expired')
}

/** What a Plex JWT is worth to the fake: checked against its own published keys. */
export type PlexJwtCheck =
  | { status: 'valid'; claims: Record<string, unknown> }
  | { status: 'expired' | 'invalid' }

/**
 * Verifies a Plex JWT as plex.tv would: signed (EdDSA) by one of its own published keys (the one its `kid`
 * names; without a `kid`, the only one), `iss` plex.tv, `aud` containing plex.tv, `nbf` passed; an `exp`
 * passed makes it `expired`.
 */
export async function checkPlexJwt(context: RouteContext, token: string): Promise<PlexJwtCheck> {
  const { keyRing } = context.state
  const kid = decodeJws(token)?.header.kid
  const published = keyRing.publicKeySet().keys.map((key) => key.kid)
  const candidates = kid === undefined ? published : published.filter((published) => published === kid)
  const only = candidates.length === 1 ? candidates[0] : undefined
  const claims = only === undefined ? undefined : verifyJws(token, keyRing.get(only).publicKey)?.payload
  if (claims === undefined) return { status: 'invalid' }
  const { iss, aud, exp, nbf, iat } = claims
  const audiences = Array.isArray(aud) ? aud : [aud]
  if (iss !== 'plex.tv' || !audiences.includes('plex.tv')) return { status: 'invalid' }
  const times = [exp, nbf, iat]
  if (times.some((time) => time !== undefined && (typeof time !== 'number' || !Number.isFinite(time)))) {
    return { status: 'invalid' }
  }
  const now = Math.floor(Date.now() / 1000)
  if (typeof nbf === 'number' && nbf > now) return { status: 'invalid' }
  if (typeof exp === 'number' && exp <= now) return { status: 'expired' }
  return { status: 'valid', claims }
}

/** Who a request speaks for, or the error answer. */
export type Authentication =
  | { ok: true; account: PlexTokenUser; kind: 'jwt' | 'legacy'; token: string }
  | { ok: false; response: FakeResponse }

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/

/**
 * Checks the client identifier (400, code 1000) and the token: a Plex JWT signed by the fake (498 when
 * expired) or a live legacy token; anything else is 401, code 1001. A JWT of an account the fake does
 * not know speaks for the account its `user` claim describes.
 */
export async function authenticate(context: RouteContext): Promise<Authentication> {
  if (clientIdentifierOf(context) === undefined) return { ok: false, response: missingClientIdentifier() }
  return authenticateToken(context, tokenOf(context))
}

/** Who an account token speaks for (a Plex JWT or a live legacy token), without the client identifier check. */
export async function authenticateToken(
  context: RouteContext,
  token: string | undefined,
): Promise<Authentication> {
  if (token === undefined) return { ok: false, response: unauthenticated() }
  const { state } = context
  if (JWT_SHAPE.test(token)) {
    const check = await checkPlexJwt(context, token)
    if (check.status === 'expired') return { ok: false, response: tokenExpired() }
    const user = check.status === 'valid' ? (check.claims.user as PlexTokenUser | undefined) : undefined
    if (typeof user?.id !== 'number') return { ok: false, response: unauthenticated() }
    return { ok: true, account: state.accounts.get(user.id) ?? user, kind: 'jwt', token }
  }
  const legacy = state.legacyTokens.get(token)
  const account = legacy === undefined || legacy.retired ? undefined : state.accounts.get(legacy.accountId)
  if (account === undefined) return { ok: false, response: unauthenticated() }
  return { ok: true, account, kind: 'legacy', token }
}
