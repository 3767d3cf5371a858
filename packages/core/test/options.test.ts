import { createPlexVerifier, PLEX_JWKS_URL, type PlexVerifierOptions } from '@plexauth/core'
import { JWKS_LIMITS } from '@plexauth/core/plex-tv'
import { generateEd25519Key } from '@plexauth/testing'
import { describe, expect, onTestFinished, test, vi } from 'vitest'

const goodKeys = () => ({ keys: [generateEd25519Key().publicJwk] })

function build(options: unknown): () => unknown {
  return () => createPlexVerifier(options as PlexVerifierOptions)
}

describe('createPlexVerifier options', () => {
  test('every option is optional (without clientIdentifier, each verifier warns once)', () => {
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    onTestFinished(() => warning.mockRestore())
    expect(typeof createPlexVerifier().verify).toBe('function')
    expect(typeof createPlexVerifier({}).ready).toBe('function')
    expect(warning).toHaveBeenCalledTimes(2)
  })

  test('the default key endpoint is clients.plex.tv', () => {
    expect(PLEX_JWKS_URL).toBe('https://clients.plex.tv/api/v2/auth/keys')
  })

  test('accepts a full, sensible configuration', () => {
    const verifier = createPlexVerifier({
      jwksUrl: 'https://keys.example.com/api/v2/auth/keys',
      clientIdentifier: ['app-a', 'app-b'],
      issuer: 'plex.tv',
      clockTolerance: 300,
      maxTokenLifetime: 604_800,
      jwks: { maxAge: 60, cooldown: 0, timeout: 0.5, staleIfError: 0, maxBytes: 1024, maxKeys: 1 },
      tokenCacheSize: 0,
      fetch: globalThis.fetch,
      keyStore: { load: () => undefined, save: () => {} },
      onEvent: () => {},
    })
    expect(typeof verifier.verify).toBe('function')
  })

  test.each([
    ['NaN clockTolerance', { clockTolerance: Number.NaN }],
    ['negative clockTolerance', { clockTolerance: -1 }],
    ['clockTolerance above 300', { clockTolerance: 301 }],
    ['infinite clockTolerance', { clockTolerance: Number.POSITIVE_INFINITY }],
    ['string clockTolerance', { clockTolerance: '60' }],
    ['zero maxTokenLifetime', { maxTokenLifetime: 0 }],
    ['NaN maxTokenLifetime', { maxTokenLifetime: Number.NaN }],
    ['absurd maxTokenLifetime', { maxTokenLifetime: 10 * 365 * 86_400 }],
    ['NaN jwks.maxAge', { jwks: { maxAge: Number.NaN } }],
    ['zero jwks.maxAge', { jwks: { maxAge: 0 } }],
    ['absurd jwks.maxAge', { jwks: { maxAge: 1e12 } }],
    ['negative jwks.cooldown', { jwks: { cooldown: -5 } }],
    ['zero jwks.timeout', { jwks: { timeout: 0 } }],
    ['absurd jwks.timeout', { jwks: { timeout: 3600 } }],
    ['negative jwks.staleIfError', { jwks: { staleIfError: -1 } }],
    ['tiny jwks.maxBytes', { jwks: { maxBytes: 10 } }],
    ['absurd jwks.maxBytes', { jwks: { maxBytes: 2 ** 40 } }],
    ['fractional jwks.maxBytes', { jwks: { maxBytes: 2048.5 } }],
    ['zero jwks.maxKeys', { jwks: { maxKeys: 0 } }],
    ['fractional jwks.maxKeys', { jwks: { maxKeys: 2.5 } }],
    ['negative tokenCacheSize', { tokenCacheSize: -1 }],
    ['fractional tokenCacheSize', { tokenCacheSize: 1.5 }],
  ])('TypeError for %s', (_name, options) => {
    expect(build(options)).toThrow(TypeError)
  })

  test('jwks.maxBytes and jwks.timeout are accepted up to the bounds of JWKS_LIMITS, refused just past them', () => {
    const { minBytes, maxBytes, maxTimeoutSeconds } = JWKS_LIMITS
    expect({ minBytes, maxBytes, maxTimeoutSeconds }).toEqual({
      minBytes: 1024,
      maxBytes: 16 * 1024 * 1024,
      maxTimeoutSeconds: 120,
    })
    for (const jwks of [{ maxBytes: 1024 }, { maxBytes: 16 * 1024 * 1024 }, { timeout: 120 }]) {
      expect(build({ jwks, acceptAnyAudience: true }), JSON.stringify(jwks)).not.toThrow()
    }
    for (const jwks of [{ maxBytes: 1023 }, { maxBytes: 16 * 1024 * 1024 + 1 }, { timeout: 120.001 }]) {
      expect(build({ jwks, acceptAnyAudience: true }), JSON.stringify(jwks)).toThrow(TypeError)
    }
  })

  test.each([
    ['a top-level typo', { clientIdentifer: 'my-app' }],
    ['a misspelt jwks option', { jwks: { maxage: 60 } }],
    ['a jwks option at the top level', { maxAge: 60 }],
    ['a jose-style option', { algorithms: ['EdDSA'] }],
  ])('TypeError for unknown options: %s', (_name, options) => {
    expect(build(options)).toThrow(TypeError)
    expect(build(options)).toThrow(/unknown option/)
  })

  test.each([
    ['options that are not an object', 'my-app'],
    ['jwks that is not an object', { jwks: 5 }],
    ['jwks that is null', { jwks: null }],
    ['jwks that is an array', { jwks: [] }],
  ])('TypeError for %s', (_name, options) => {
    expect(build(options)).toThrow(TypeError)
  })

  test('the TypeError names the option and what it must be', () => {
    const keyStoreMessage = 'keyStore must have load() and save() methods'
    const cases: [unknown, string][] = [
      [{ acceptAnyAudience: 'yes' }, 'acceptAnyAudience must be a boolean'],
      [{ legacyTokens: 1 }, 'legacyTokens must be a boolean'],
      [{ issuer: 1 }, 'issuer must be a non-empty string without surrounding spaces'],
      [
        { clientIdentifier: ['ok', 7] },
        'clientIdentifier must be a non-empty string without surrounding spaces',
      ],
      [{ keyStore: null }, keyStoreMessage],
      [
        { keyStore: Object.assign(() => undefined, { load: () => undefined, save: () => {} }) },
        keyStoreMessage,
      ],
      [{ jwks: { maxKeys: 2.5 } }, 'jwks.maxKeys must be an integer'],
      [{ jwks: { maxKeys: 0 } }, 'jwks.maxKeys must be a number from 1 to 1000'],
      [
        { jwksUrl: 'ftp://127.0.0.1/keys' },
        'jwksUrl must use https (http is allowed for loopback hosts only)',
      ],
    ]
    for (const [options, message] of cases) {
      expect(build(options), message).toThrow(new TypeError(`plexauth: ${message}`))
    }
  })

  describe('jwksUrl', () => {
    test.each([
      'https://clients.plex.tv/api/v2/auth/keys',
      'http://127.0.0.1:8080/api/v2/auth/keys',
      'http://127.1.2.3/keys',
      'http://[::1]:9000/keys',
      'http://localhost:3000/keys',
    ])('accepts %s', (jwksUrl) => {
      expect(typeof createPlexVerifier({ jwksUrl, acceptAnyAudience: true }).verify).toBe('function')
    })

    test.each([
      ['plain http to a public host', 'http://clients.plex.tv/api/v2/auth/keys'],
      ['http to a private address', 'http://10.0.0.1/keys'],
      ['http to a localhost look-alike', 'http://localhost.example.com/keys'],
      ['http to a 127 look-alike host name', 'http://127.0.0.1.nip.io/keys'],
      ['http to 0.0.0.0', 'http://0.0.0.0/keys'],
      ['another scheme', 'ftp://clients.plex.tv/keys'],
      ['a file URL', 'file:///etc/passwd'],
      ['userinfo', 'https://user:pass@clients.plex.tv/api/v2/auth/keys'],
      ['a user name alone', 'https://user@clients.plex.tv/api/v2/auth/keys'],
      ['a query', 'https://clients.plex.tv/api/v2/auth/keys?x=1'],
      ['an empty query', 'https://clients.plex.tv/api/v2/auth/keys?'],
      ['a fragment', 'https://clients.plex.tv/api/v2/auth/keys#keys'],
      ['a relative URL', '/api/v2/auth/keys'],
      ['an empty string', ''],
    ])('TypeError for %s', (_name, jwksUrl) => {
      expect(build({ jwksUrl })).toThrow(TypeError)
    })

    test('TypeError for a non-string jwksUrl', () => {
      expect(build({ jwksUrl: new URL('https://clients.plex.tv/api/v2/auth/keys') })).toThrow(TypeError)
    })
  })

  describe('keys', () => {
    test('accepts a static Ed25519 key set, up to 32 keys by default', () => {
      expect(typeof createPlexVerifier({ keys: goodKeys(), acceptAnyAudience: true }).verify).toBe('function')
      const keys = Array.from({ length: 32 }, () => generateEd25519Key().publicJwk)
      expect(typeof createPlexVerifier({ keys: { keys }, acceptAnyAudience: true }).verify).toBe('function')
    })

    test.each([
      ['null', null],
      ['an array', [generateEd25519Key().publicJwk]],
      ['keys that is not an array', { keys: 'nope' }],
      ['an empty set', { keys: [] }],
      ['an RSA key', { keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'r' }] }],
      ['a private key only', { keys: [{ ...generateEd25519Key().publicJwk, d: 'A'.repeat(43) }] }],
      ['too many keys', { keys: Array.from({ length: 33 }, () => generateEd25519Key().publicJwk) }],
    ])('TypeError for %s', (_name, keys) => {
      expect(build({ keys })).toThrow(TypeError)
    })
  })

  describe('clientIdentifier and issuer', () => {
    test.each([
      ['an empty string', ''],
      ['an empty list', []],
      ['a number', 42],
      ['a list with a non-string', ['ok', 7]],
      ['surrounding spaces', ' my-app '],
      ['an overlong string', 'a'.repeat(513)],
    ])('TypeError for clientIdentifier %s', (_name, clientIdentifier) => {
      expect(build({ clientIdentifier })).toThrow(TypeError)
    })

    test.each([
      ['empty', ''],
      ['a number', 1],
      ['null', null],
    ])('TypeError for issuer %s', (_name, issuer) => {
      expect(build({ issuer })).toThrow(TypeError)
    })
  })

  describe('functions and objects', () => {
    test.each([
      ['fetch that is a string', { fetch: 'https://example.com' }],
      ['fetch that is an object', { fetch: {} }],
      ['fetch that is null', { fetch: null }],
      ['onEvent that is a string', { onEvent: 'log' }],
      ['onEvent that is null', { onEvent: null }],
      ['keyStore that is a function', { keyStore: () => {} }],
      ['keyStore without save', { keyStore: { load: () => undefined } }],
      ['keyStore without load', { keyStore: { save: () => {} } }],
      ['keyStore with a non-function load', { keyStore: { load: 'x', save: () => {} } }],
      ['keyStore that is null', { keyStore: null }],
    ])('TypeError for %s', (_name, options) => {
      expect(build(options)).toThrow(TypeError)
    })
  })
})
