import { ERROR_CODES, isPlexAuthError, PlexAuthError, type PlexAuthErrorCode } from '@plexauth/core'
import { describe, expect, test } from 'vitest'

// The table of issue 2, written out so that a change to ERROR_CODES cannot pass unnoticed.
const EXPECTED: Record<PlexAuthErrorCode, number> = {
  TOKEN_MISSING: 401,
  TOKEN_MALFORMED: 401,
  TOKEN_UNSUPPORTED: 401,
  TOKEN_SIGNATURE_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_NOT_YET_VALID: 401,
  TOKEN_CLAIMS_INVALID: 401,
  TOKEN_KEY_UNKNOWN: 401,
  TOKEN_INVALID: 401,
  REQUEST_INVALID: 400,
  INSUFFICIENT_SCOPE: 403,
  ACCESS_DENIED: 403,
  KEYS_UNAVAILABLE: 503,
  PLEX_UNAVAILABLE: 503,
  PIN_EXPIRED: 410,
  LOGIN_STATE_INVALID: 403,
  CSRF_REJECTED: 403,
  RATE_LIMITED: 429,
}

describe('PlexAuthError', () => {
  test('the closed union of codes, each with its status', () => {
    expect(Object.keys(ERROR_CODES).sort()).toEqual(Object.keys(EXPECTED).sort())
    for (const [code, status] of Object.entries(EXPECTED)) {
      const err = new PlexAuthError(code as PlexAuthErrorCode)
      expect(err.code).toBe(code)
      expect(err.status).toBe(status)
      expect(err.statusCode).toBe(status)
      expect(err.expose).toBe(true)
      expect(err.name).toBe('PlexAuthError')
      expect(err).toBeInstanceOf(Error)
      expect(err.message).toBe(ERROR_CODES[code as PlexAuthErrorCode].description)
      expect(err.description).toBe(err.message)
      expect(err.description.length).toBeGreaterThan(0)
    }
  })

  test('descriptions are distinct and fixed', () => {
    const descriptions = Object.values(ERROR_CODES).map((info) => info.description)
    expect(new Set(descriptions).size).toBe(descriptions.length)
    expect(Object.isFrozen(ERROR_CODES)).toBe(true)
  })

  test('cause, scopes and retryAfter are kept; the message never includes the cause', () => {
    const cause = new Error('secret upstream detail')
    const err = new PlexAuthError('KEYS_UNAVAILABLE', { cause, retryAfter: 7 })
    expect(err.cause).toBe(cause)
    expect(err.retryAfter).toBe(7)
    expect(err.message).not.toContain('secret')
    expect(new PlexAuthError('INSUFFICIENT_SCOPE', { scopes: ['email'] }).scopes).toEqual(['email'])
    expect(new PlexAuthError('TOKEN_EXPIRED').cause).toBeUndefined()
  })

  test('isPlexAuthError recognises instances and copies from a duplicated package, nothing else', () => {
    expect(isPlexAuthError(new PlexAuthError('TOKEN_EXPIRED'))).toBe(true)
    const copy = Object.assign(new Error('x'), { name: 'PlexAuthError', code: 'TOKEN_EXPIRED' })
    expect(isPlexAuthError(copy)).toBe(true)
    expect(isPlexAuthError(Object.assign(new Error('x'), { name: 'PlexAuthError', code: 'NOPE' }))).toBe(
      false,
    )
    expect(isPlexAuthError(Object.assign(new Error('x'), { name: 'PlexAuthError', code: 'toString' }))).toBe(
      false,
    )
    expect(isPlexAuthError({ name: 'PlexAuthError', code: 'TOKEN_EXPIRED' })).toBe(false)
    expect(isPlexAuthError(new TypeError('TOKEN_EXPIRED'))).toBe(false)
    expect(isPlexAuthError(null)).toBe(false)
    expect(isPlexAuthError('TOKEN_EXPIRED')).toBe(false)
  })

  test('reason is kept for ACCESS_DENIED only; check is kept for the logs', () => {
    expect(new PlexAuthError('ACCESS_DENIED', { reason: 'not_owner' }).reason).toBe('not_owner')
    expect(new PlexAuthError('TOKEN_EXPIRED', { reason: 'not_owner' }).reason).toBeUndefined()
    expect(new PlexAuthError('TOKEN_CLAIMS_INVALID', { check: 'aud' }).check).toBe('aud')
    expect(new PlexAuthError('TOKEN_CLAIMS_INVALID').check).toBeUndefined()
  })

  test('isPlexAuthError: a known code on an error not named PlexAuthError is not one', () => {
    expect(isPlexAuthError(Object.assign(new Error('x'), { code: 'TOKEN_EXPIRED' }))).toBe(false)
  })
})
