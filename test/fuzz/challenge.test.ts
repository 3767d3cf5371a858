import { describe, expect, test } from 'vitest'
import { checkBearerChallenge, parseChallenges } from '../adversarial/challenge.js'

// The challenge parser the properties rely on: it must accept what RFC 7235 allows and refuse the rest,
// or the "well-formed WWW-Authenticate" properties would prove nothing.

describe('parseChallenges', () => {
  test.each([
    ['Bearer realm="plex"', [['Bearer', { realm: 'plex' }]]],
    [
      'Bearer realm="plex", error="invalid_token", error_description="The token has expired"',
      [['Bearer', { realm: 'plex', error: 'invalid_token', error_description: 'The token has expired' }]],
    ],
    [
      'Basic realm="a", Bearer realm="b" , scope="x y"',
      [
        ['Basic', { realm: 'a' }],
        ['Bearer', { realm: 'b', scope: 'x y' }],
      ],
    ],
    ['Bearer realm = "a\\"b"', [['Bearer', { realm: 'a"b' }]]],
    ['Newauth', [['Newauth', {}]]],
  ])('accepts %s', (header, expected) => {
    const parsed = parseChallenges(header).map((c) => [c.scheme, Object.fromEntries(c.params)])
    expect(parsed).toEqual(expected)
  })

  test.each([
    '',
    'Bearer realm="plex',
    'Bearer realm="plex" error="invalid_token"',
    'Bearer realm="plex", realm="again"',
    'Bearer realm="a\rb"',
    'Bearer realm="x", =y',
    'Bearer realm=',
    'Bear(er realm="x"',
    '"Bearer" realm="x"',
  ])('refuses %j', (header) => {
    expect(() => parseChallenges(header)).toThrow()
  })
})

describe('checkBearerChallenge', () => {
  test('accepts what core sends', () => {
    expect(() => checkBearerChallenge('Bearer realm="plex"', 401)).not.toThrow()
    expect(() =>
      checkBearerChallenge(
        'Bearer realm="plex", error="insufficient_scope", error_description="x", scope="email"',
        403,
      ),
    ).not.toThrow()
  })

  test.each([
    ['no header', undefined, 401],
    ['an unquoted realm', 'Bearer realm=plex', 401],
    ['no realm', 'Bearer error="invalid_token"', 401],
    ['an error that does not fit the status', 'Bearer realm="plex", error="invalid_token"', 403],
    ['an unknown error', 'Bearer realm="plex", error="evil"', 401],
    ['a description without an error', 'Bearer realm="plex", error_description="x"', 401],
    ['an empty scope', 'Bearer realm="plex", error="insufficient_scope", scope=""', 403],
    ['a scope on another error', 'Bearer realm="plex", error="invalid_token", scope="a"', 401],
    ['a token68', 'Bearer abc==', 401],
    ['two Bearer challenges', 'Bearer realm="a", Bearer realm="b"', 401],
  ])('refuses %s', (_name, header, status) => {
    expect(() => checkBearerChallenge(header, status)).toThrow()
  })
})
