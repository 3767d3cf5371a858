import {
  createPlexVerifier,
  ERROR_CODES,
  extractToken,
  PlexAuthError,
  type PlexAuthErrorCode,
  toHttpError,
} from '@plexauth/core'
import { createAuthenticator, type PlexAuthOptions } from '@plexauth/core/adapter'
import { base64url } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { plexClaims, rejection, staticSetup } from './helpers.js'

const desc = (code: PlexAuthErrorCode) => ERROR_CODES[code].description

const INVALID_TOKEN: PlexAuthErrorCode[] = [
  'TOKEN_MALFORMED',
  'TOKEN_UNSUPPORTED',
  'TOKEN_SIGNATURE_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_NOT_YET_VALID',
  'TOKEN_CLAIMS_INVALID',
  'TOKEN_KEY_UNKNOWN',
]

describe('toHttpError', () => {
  test('TOKEN_MISSING: 401 with a bare challenge, no error attribute', () => {
    expect(toHttpError(new PlexAuthError('TOKEN_MISSING'))).toEqual({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="plex"' },
      body: { error: 'unauthorized', error_description: desc('TOKEN_MISSING'), code: 'TOKEN_MISSING' },
    })
  })

  test.each(INVALID_TOKEN)('%s: 401 invalid_token with its description', (code) => {
    expect(toHttpError(new PlexAuthError(code))).toEqual({
      status: 401,
      headers: {
        'www-authenticate': `Bearer realm="plex", error="invalid_token", error_description="${desc(code)}"`,
      },
      body: { error: 'invalid_token', error_description: desc(code), code },
    })
  })

  test('REQUEST_INVALID: 400 invalid_request', () => {
    expect(toHttpError(new PlexAuthError('REQUEST_INVALID'))).toEqual({
      status: 400,
      headers: {
        'www-authenticate': `Bearer realm="plex", error="invalid_request", error_description="${desc('REQUEST_INVALID')}"`,
      },
      body: { error: 'invalid_request', error_description: desc('REQUEST_INVALID'), code: 'REQUEST_INVALID' },
    })
  })

  test('INSUFFICIENT_SCOPE: 403 insufficient_scope with scope="a b"', () => {
    expect(toHttpError(new PlexAuthError('INSUFFICIENT_SCOPE', { scopes: ['a', 'b'] }))).toEqual({
      status: 403,
      headers: {
        'www-authenticate': `Bearer realm="plex", error="insufficient_scope", error_description="${desc('INSUFFICIENT_SCOPE')}", scope="a b"`,
      },
      body: {
        error: 'insufficient_scope',
        error_description: desc('INSUFFICIENT_SCOPE'),
        code: 'INSUFFICIENT_SCOPE',
      },
    })
  })

  test('ACCESS_DENIED: 403 with a bare challenge', () => {
    expect(toHttpError(new PlexAuthError('ACCESS_DENIED'))).toEqual({
      status: 403,
      headers: { 'www-authenticate': 'Bearer realm="plex"' },
      body: { error: 'access_denied', error_description: desc('ACCESS_DENIED'), code: 'ACCESS_DENIED' },
    })
  })

  test('ACCESS_DENIED from the login routes carries its reason; an unknown reason is left out', () => {
    expect(toHttpError(new PlexAuthError('ACCESS_DENIED', { reason: 'not_owner' })).body).toEqual({
      error: 'access_denied',
      error_description: desc('ACCESS_DENIED'),
      code: 'ACCESS_DENIED',
      reason: 'not_owner',
    })
    const forged = new PlexAuthError('ACCESS_DENIED', { reason: '<script>' as never })
    expect(toHttpError(forged).body).not.toHaveProperty('reason')
    expect(toHttpError(new PlexAuthError('CSRF_REJECTED', { reason: 'refused' })).body).not.toHaveProperty(
      'reason',
    )
    // A reason set on another code's error after construction is not sent either.
    const other = Object.assign(new PlexAuthError('CSRF_REJECTED'), { reason: 'refused' })
    expect(toHttpError(other).body).not.toHaveProperty('reason')
  })

  test('sign-in codes: 410 PIN_EXPIRED, 403 LOGIN_STATE_INVALID and CSRF_REJECTED, 429 with Retry-After', () => {
    expect(toHttpError(new PlexAuthError('PIN_EXPIRED'))).toMatchObject({
      status: 410,
      body: { error: 'expired_token', code: 'PIN_EXPIRED' },
    })
    expect(toHttpError(new PlexAuthError('LOGIN_STATE_INVALID'))).toMatchObject({
      status: 403,
      body: { error: 'access_denied', code: 'LOGIN_STATE_INVALID' },
    })
    expect(toHttpError(new PlexAuthError('CSRF_REJECTED'))).toMatchObject({
      status: 403,
      body: { error: 'access_denied', code: 'CSRF_REJECTED' },
    })
    expect(toHttpError(new PlexAuthError('RATE_LIMITED', { retryAfter: 7 }))).toMatchObject({
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: 'slow_down', code: 'RATE_LIMITED' },
    })
  })

  test('KEYS_UNAVAILABLE: 503 with Retry-After in whole seconds, at least 1', () => {
    expect(toHttpError(new PlexAuthError('KEYS_UNAVAILABLE', { retryAfter: 30 }))).toEqual({
      status: 503,
      headers: { 'www-authenticate': 'Bearer realm="plex"', 'retry-after': '30' },
      body: {
        error: 'temporarily_unavailable',
        error_description: desc('KEYS_UNAVAILABLE'),
        code: 'KEYS_UNAVAILABLE',
      },
    })
    const retry = (retryAfter?: number) =>
      toHttpError(new PlexAuthError('KEYS_UNAVAILABLE', retryAfter === undefined ? {} : { retryAfter }))
        .headers['retry-after']
    expect(retry(2.2)).toBe('3')
    expect(retry(0)).toBe('1')
    expect(retry()).toBe('1')
    expect(retry(Number.NaN)).toBe('1')
    expect(retry(Number.POSITIVE_INFINITY)).toBe('1')
    expect(retry(-10)).toBe('1')
    // delay-seconds stays digits: more than a day is a day.
    expect(retry(86_400.5)).toBe('86400')
    expect(retry(1e21)).toBe('86400')
  })

  test('only 503 and 429 carry Retry-After', () => {
    for (const code of Object.keys(ERROR_CODES) as PlexAuthErrorCode[]) {
      const { headers } = toHttpError(new PlexAuthError(code, { retryAfter: 5 }))
      expect('retry-after' in headers, code).toBe([503, 429].includes(ERROR_CODES[code].status))
    }
  })

  test('the realm option', () => {
    expect(
      toHttpError(new PlexAuthError('TOKEN_MISSING'), { realm: 'my app' }).headers['www-authenticate'],
    ).toBe('Bearer realm="my app"')
    // A realm that cannot be sent as it is never breaks the header.
    const injected = toHttpError(new PlexAuthError('TOKEN_MISSING'), {
      realm: 'x", error="evil\r\nSet-Cookie: a=b',
    })
    expect(injected.headers['www-authenticate']).toBe('Bearer realm=""')
  })

  test('scopes that cannot be quoted safely never reach the header', () => {
    const err = new PlexAuthError('INSUFFICIENT_SCOPE', { scopes: ['a"b', 'c\r\nSet-Cookie: x=y'] })
    const header = toHttpError(err).headers['www-authenticate']!
    expect(header).not.toMatch(/[\r\n]/)
    expect(header).not.toContain('Set-Cookie')
    // RFC 6750 wants one or more scope tokens: a list that is not one is left out.
    expect(header).not.toContain('scope=')
  })

  test.each([
    ['an Error', new Error('database password is hunter2')],
    ['a TypeError', new TypeError('Cannot read properties of undefined')],
    ['a string', 'boom'],
    ['null', null],
    ['undefined', undefined],
    ['a look-alike object', { name: 'PlexAuthError', code: 'TOKEN_EXPIRED', status: 401 }],
    ['an Error with an unknown code', Object.assign(new Error('x'), { name: 'PlexAuthError', code: 'ROOT' })],
  ])('anything but a PlexAuthError (%s) is a bare 500 without details', (_name, err) => {
    const result = toHttpError(err)
    expect(result.status).toBe(500)
    expect(result.body).toEqual({
      error: 'server_error',
      error_description: 'Internal server error',
      code: 'INTERNAL_ERROR',
    })
    expect(Object.keys(result.headers).filter((name) => name !== 'www-authenticate')).toEqual([])
    expect(JSON.stringify(result)).not.toMatch(/hunter2|Cannot read|boom/)
  })

  test('status and description come from the code, never from the error object', () => {
    const forged = Object.assign(new Error('<script>'), {
      name: 'PlexAuthError',
      code: 'TOKEN_EXPIRED',
      status: 200,
      description: '<script>alert(1)</script>',
    })
    const result = toHttpError(forged)
    expect(result.status).toBe(401)
    expect(result.body.error_description).toBe(desc('TOKEN_EXPIRED'))
    expect(JSON.stringify(result)).not.toContain('<script>')
  })
})

describe('no attacker-controlled string is ever reflected', () => {
  const MARK = 'ZZATTACKERZZ'

  test('in error messages, headers or bodies, whatever the failure', async () => {
    const { key, verifier, sign } = staticSetup()
    const attempts: Promise<unknown>[] = [
      verifier.verify(sign(plexClaims({ iss: MARK }))),
      verifier.verify(sign(plexClaims({ aud: ['plex.tv', MARK] }))),
      verifier.verify(sign(plexClaims({ user: { id: MARK, uuid: MARK } }))),
      verifier.verify(sign(plexClaims({ exp: MARK }))),
      verifier.verify(sign(plexClaims(), { kid: MARK })),
      verifier.verify(sign(plexClaims(), { alg: MARK })),
      verifier.verify(sign(plexClaims(), { typ: MARK })),
      verifier.verify(`${base64url(`{"kid":"${key.kid}","alg":"EdDSA","x":"${MARK}`)}.e30.${'A'.repeat(86)}`),
      verifier.verify(`${MARK}.${MARK}.${MARK}`),
      verifier.verify(MARK),
      verifier.verify(sign({ [MARK]: MARK })),
    ]
    const errors = []
    for (const attempt of attempts) errors.push(await rejection(attempt))
    const extractErrors = [
      { authorization: `Bearer ${MARK} ${MARK}` },
      { authorization: `Bearer ${MARK}`, 'x-plex-token': `${MARK}x` },
      { 'x-plex-token': `${MARK}\u0000` },
    ].map((headers) => {
      try {
        extractToken({ headers })
      } catch (err) {
        return err as PlexAuthError
      }
      throw new Error('expected REQUEST_INVALID')
    })
    for (const err of [...errors, ...extractErrors]) {
      expect(err.message).not.toContain(MARK)
      expect(err.description).not.toContain(MARK)
      expect(JSON.stringify(toHttpError(err))).not.toContain(MARK)
      expect(JSON.stringify(toHttpError(err, { realm: MARK }).body)).not.toContain(MARK)
    }
    expect(new Set(errors.map((err) => err.code)).size).toBeGreaterThan(3)
  })
})

describe('createAuthenticator options', () => {
  const OFFLINE = { clientIdentifier: 'my-app', jwks: { maxAge: 60 } } as const

  test.each([
    ['an unknown source', { tokenSources: ['cookie'] }],
    ['an empty list', { tokenSources: [] }],
    ['a string', { tokenSources: 'query' }],
    ['a realm with a quote', { realm: 'my "app"' }],
    ['a realm with a backslash', { realm: 'my\\app' }],
    ['a realm with a line break', { realm: 'my\r\napp' }],
    ['a realm of 129 characters', { realm: 'r'.repeat(129) }],
    ['a realm that is no string', { realm: 42 }],
    ['a misspelt option', { credentialRequired: false }],
    ['options that are no object', 'my-app'],
    ['null options', null],
  ])('%s is a TypeError naming plexauth', (_name, options) => {
    expect(() => createAuthenticator(options as PlexAuthOptions)).toThrow(/^plexauth: /)
    expect(() => createAuthenticator(options as PlexAuthOptions)).toThrow(TypeError)
  })

  test('a realm of 128 printable characters is sent as it is', () => {
    const realm = `${'r'.repeat(127)} `
    const auth = createAuthenticator({ ...OFFLINE, realm })
    expect(auth.toHttpError(new PlexAuthError('TOKEN_MISSING')).headers['www-authenticate']).toBe(
      `Bearer realm="${realm}"`,
    )
  })

  test('an adapter’s own option names pass; an option left undefined is no option', () => {
    expect(createAuthenticator({ ...OFFLINE, mine: 1 } as PlexAuthOptions, ['mine']).realm).toBe('plex')
    const verifier = createPlexVerifier(OFFLINE)
    const shared = createAuthenticator({ verifier, clientIdentifier: undefined, realm: 'shared' })
    expect(shared.verifier).toBe(verifier)
    expect(() => createAuthenticator({ verifier, clientIdentifier: 'my-app' })).toThrow(TypeError)
    expect(() => createAuthenticator({ verifier: {} as never })).toThrow(TypeError)
    // A misspelt option is named as such, a shared verifier or not.
    expect(() => createAuthenticator({ verifier, credentialRequired: false } as PlexAuthOptions)).toThrow(
      'plexauth: unknown option credentialRequired',
    )
  })
})

// next() and Fastify's done() read a value that is no object as "no error": only objects pass as they are.
describe('toForwardedError', () => {
  test('a thrown value that is no object (null included) becomes an Error carrying it; an object or a function is forwarded as it is', () => {
    const auth = createAuthenticator({ clientIdentifier: 'my-app', jwks: { maxAge: 60 } })
    for (const value of [undefined, null, 0, '', 'route', false]) {
      const forwarded = auth.toForwardedError(value)
      expect(forwarded).toBeInstanceOf(Error)
      expect((forwarded as Error).cause).toBe(value)
    }
    const bug = new TypeError('a bug')
    const thrownFunction = () => {}
    const thrownObject = { not: 'an error' }
    for (const value of [bug, thrownFunction, thrownObject]) expect(auth.toForwardedError(value)).toBe(value)
  })
})
