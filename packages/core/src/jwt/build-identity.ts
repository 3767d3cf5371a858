import { PlexAuthError, type RejectedCheck } from '../lib/errors.js'
import type { PlexJwtIdentity, PlexUser } from './identity-types.js'
import { PLEX_SCOPES, splitScopes } from './scopes.js'

/** Longest string the identity exposes (username, email, uuid, thumbprint, scopes...). */
export const MAX_CLAIM_STRING_LENGTH = 512
const MAX_AUDIENCES = 16
const MAX_SCOPES = 64

/** What the claims are checked against; durations in milliseconds, like every duration inside core. */
export interface ClaimRules {
  issuer: string
  clientIdentifiers: readonly string[] | undefined
  /**
   * Without `clientIdentifiers`: true to accept a token issued to any app (`acceptAnyAudience: true`); false to
   * refuse every token issued to an app, since none is known to be this one.
   */
  anyAudience: boolean
  clockToleranceMs: number
  maxTokenLifetimeMs: number
}

function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined
}

function invalid(check: RejectedCheck): PlexAuthError {
  return new PlexAuthError('TOKEN_CLAIMS_INVALID', { check })
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function boundedString(value: unknown, allowEmpty = false): value is string {
  return (
    typeof value === 'string' && value.length <= MAX_CLAIM_STRING_LENGTH && (allowEmpty || value.length > 0)
  )
}

function optional<T>(value: unknown, check: (v: unknown) => v is T): T | undefined {
  // A managed user's token may carry `"username": null` or `"email": null`: absent, not malformed.
  if (value === undefined || value === null) return undefined
  if (!check(value)) throw invalid('user')
  return value
}

const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean'
const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0
const isString = (v: unknown): v is string => boundedString(v, true)

function readAudience(payload: Record<string, unknown>): string[] {
  const aud = own(payload, 'aud')
  const list = typeof aud === 'string' ? [aud] : aud
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_AUDIENCES) throw invalid('aud')
  for (const entry of list) if (!boundedString(entry)) throw invalid('aud')
  return list as string[]
}

function readScopes(payload: Record<string, unknown>, rawUser: Record<string, unknown>): string[] {
  const scope = own(payload, 'scope')
  // Without a scope claim, the scopes are the user fields present: each scope is named for its claim.
  if (scope === undefined) return PLEX_SCOPES.filter((field) => own(rawUser, field) !== undefined)
  const list = typeof scope === 'string' ? splitScopes(scope) : scope
  if (!Array.isArray(list) || list.length > MAX_SCOPES) throw invalid('scope')
  for (const entry of list) if (!boundedString(entry)) throw invalid('scope')
  return [...new Set(list as string[])]
}

function readUser(raw: unknown): PlexUser {
  if (!isPlainObject(raw)) throw invalid('user')
  const id = own(raw, 'id')
  const uuid = own(raw, 'uuid')
  if (!Number.isSafeInteger(id) || (id as number) <= 0 || !boundedString(uuid)) throw invalid('user')
  const user: { -readonly [K in keyof PlexUser]: PlexUser[K] } = { id: id as number, uuid }
  const username = optional(own(raw, 'username'), isString)
  const email = optional(own(raw, 'email'), isString)
  const friendlyName = optional(own(raw, 'friendly_name'), isString)
  const restricted = optional(own(raw, 'restricted'), isBoolean)
  const anonymous = optional(own(raw, 'anonymous'), isBoolean)
  const joinedAt = optional(own(raw, 'joinedAt'), isTime)
  const home = optional(own(raw, 'home'), isBoolean)
  if (home !== undefined) user.home = home
  if (username !== undefined) user.username = username
  if (email !== undefined) user.email = email
  if (friendlyName !== undefined) user.friendlyName = friendlyName
  if (restricted !== undefined) user.restricted = restricted
  if (anonymous !== undefined) user.anonymous = anonymous
  if (joinedAt !== undefined) user.joinedAt = joinedAt
  return user
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

/**
 * Checks the claims of a token whose signature is already verified, and builds the identity.
 * Throws `TOKEN_EXPIRED`, `TOKEN_NOT_YET_VALID` or `TOKEN_CLAIMS_INVALID`.
 */
export function buildIdentity(
  payload: Record<string, unknown>,
  token: string,
  rules: ClaimRules,
  nowMs: number,
): PlexJwtIdentity {
  if (own(payload, 'iss') !== rules.issuer) throw invalid('iss')
  const audience = readAudience(payload)
  if (!audience.includes('plex.tv')) throw invalid('aud')
  let clientIdentifier: string | undefined
  if (rules.clientIdentifiers !== undefined) {
    clientIdentifier = rules.clientIdentifiers.find((id) => audience.includes(id))
    if (clientIdentifier === undefined) throw invalid('aud')
  } else {
    clientIdentifier = audience.find((entry) => entry !== 'plex.tv')
    // Issued to some app, and this verifier was not told which app it is: refused unless it said any will do.
    if (clientIdentifier !== undefined && !rules.anyAudience) throw invalid('aud')
  }
  const exp = own(payload, 'exp')
  const iat = own(payload, 'iat')
  const nbf = own(payload, 'nbf')
  if (!isTime(exp)) throw invalid('exp')
  if (!isTime(iat)) throw invalid('iat')
  if (nbf !== undefined && !isTime(nbf)) throw invalid('nbf')
  // The claims are in seconds (RFC 7519); they are compared in milliseconds, the unit of the rules.
  if (exp <= iat || (exp - iat) * 1000 > rules.maxTokenLifetimeMs) throw invalid('lifetime')
  if (nowMs - rules.clockToleranceMs >= exp * 1000) throw new PlexAuthError('TOKEN_EXPIRED', { check: 'exp' })
  const latestMs = nowMs + rules.clockToleranceMs
  if (iat * 1000 > latestMs) throw new PlexAuthError('TOKEN_NOT_YET_VALID', { check: 'iat' })
  if (nbf !== undefined && nbf * 1000 > latestMs)
    throw new PlexAuthError('TOKEN_NOT_YET_VALID', { check: 'nbf' })
  const thumbprint = own(payload, 'thumbprint')
  if (!boundedString(thumbprint)) throw invalid('thumbprint')
  const rawUser = own(payload, 'user')
  const user = readUser(rawUser)
  const scopes = readScopes(payload, rawUser as Record<string, unknown>)
  const identity = {
    kind: 'jwt' as const,
    user,
    scopes,
    ...(clientIdentifier === undefined ? {} : { clientIdentifier }),
    thumbprint,
    issuedAt: iat,
    expiresAt: exp,
    claims: payload,
  }
  Object.defineProperty(identity, 'token', { value: token, enumerable: false })
  return deepFreeze(identity) as unknown as PlexJwtIdentity
}
