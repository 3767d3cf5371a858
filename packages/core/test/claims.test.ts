import { base64url, generateEd25519Key, signJwt, signRaw } from '@plexauth/testing'
import { describe, expect, onTestFinished, test, vi } from 'vitest'
import { CLIENT, expectCode, nowSeconds, plexClaims, recordEvents, staticSetup, without } from './helpers.js'

const base = plexClaims()
const user = base.user as Record<string, unknown>
const withUser = (overrides: Record<string, unknown>) => ({ user: { ...user, ...overrides } })
const long = 'x'.repeat(513)

describe('claim types: anything but the exact shape is TOKEN_CLAIMS_INVALID', () => {
  const missing = ['iss', 'aud', 'exp', 'iat', 'thumbprint', 'user']
  test.each(missing)('missing %s', async (claim) => {
    const { verifier, sign } = staticSetup()
    await expectCode(verifier.verify(sign(without(plexClaims(), claim))), 'TOKEN_CLAIMS_INVALID')
  })

  const wrong: [string, Record<string, unknown>][] = [
    ['iss a number', { iss: 1 }],
    ['iss null', { iss: null }],
    ['iss an array', { iss: ['plex.tv'] }],
    ['aud a number', { aud: 1 }],
    ['aud an object', { aud: { 0: 'plex.tv', 1: CLIENT } }],
    ['aud an empty list', { aud: [] }],
    ['aud with a number entry', { aud: ['plex.tv', CLIENT, 7] }],
    ['aud with an empty entry', { aud: ['plex.tv', CLIENT, ''] }],
    ['aud with 17 entries', { aud: ['plex.tv', CLIENT, ...Array.from({ length: 15 }, (_, i) => `a${i}`)] }],
    ['exp a numeric string', { exp: String(nowSeconds() + 3600) }],
    ['exp a float', { exp: nowSeconds() + 3600.5 }],
    ['exp negative', { exp: -1 }],
    ['exp huge', { exp: 1e300 }],
    ['exp beyond safe integers', { exp: 2 ** 53 }],
    // A consistent lifetime, so that only the safe-integer check tells these from a token of the future.
    ['exp and iat beyond safe integers, one minute apart', { iat: 2 ** 53, exp: 2 ** 53 + 60 }],
    ['exp beyond safe integers, one minute after iat', { iat: 2 ** 53 - 60, exp: 2 ** 53 }],
    ['exp null', { exp: null }],
    ['exp true', { exp: true }],
    ['iat a numeric string', { iat: String(nowSeconds()) }],
    ['iat a float', { iat: nowSeconds() + 0.25 }],
    ['iat negative', { iat: -604_800 }],
    ['iat huge', { iat: 1e300 }],
    ['iat an array', { iat: [nowSeconds()] }],
    ['nbf a string', { nbf: 'now' }],
    ['nbf a float', { nbf: nowSeconds() - 0.5 }],
    ['nbf negative', { nbf: -1 }],
    ['nbf beyond safe integers', { nbf: 2 ** 53 }],
    ['nbf null', { nbf: null }],
    ['thumbprint a number', { thumbprint: 42 }],
    ['thumbprint empty', { thumbprint: '' }],
    ['thumbprint overlong', { thumbprint: long }],
    ['user null', { user: null }],
    ['user an array', { user: [user] }],
    ['user a string', { user: 'plexuser' }],
    ['user.id 0', withUser({ id: 0 })],
    ['user.id negative', withUser({ id: -5 })],
    ['user.id a float', withUser({ id: 1.5 })],
    ['user.id a string', withUser({ id: '123456' })],
    ['user.id beyond safe integers', withUser({ id: 2 ** 53 })],
    ['user.id missing', { user: without(user, 'id') }],
    ['user.id null', withUser({ id: null })],
    ['user.uuid empty', withUser({ uuid: '' })],
    ['user.uuid missing', { user: without(user, 'uuid') }],
    ['user.uuid a number', withUser({ uuid: 7 })],
    ['user.uuid overlong', withUser({ uuid: long })],
    ['user.username a number', withUser({ username: 5 })],
    ['user.username overlong', withUser({ username: long })],
    ['user.email an object', withUser({ email: { address: 'a@b.c' } })],
    ['user.email overlong', withUser({ email: `${long}@example.com` })],
    ['user.friendly_name an array', withUser({ friendly_name: ['Plex'] })],
    ['user.friendly_name overlong', withUser({ friendly_name: long })],
    ['user.restricted a string', withUser({ restricted: 'false' })],
    ['user.anonymous a number', withUser({ anonymous: 0 })],
    ['user.joinedAt a string', withUser({ joinedAt: '2017-07-14' })],
    ['user.joinedAt negative', withUser({ joinedAt: -1 })],
    ['user.joinedAt a float', withUser({ joinedAt: 1.5e9 + 0.5 })],
    ['scope a number', { scope: 5 }],
    ['scope an object', { scope: { username: true } }],
    ['scope with a number entry', { scope: ['username', 1] }],
    ['scope with an overlong entry', { scope: ['username', long] }],
    ['scope with 65 entries', { scope: Array.from({ length: 65 }, (_, i) => `s${i}`) }],
  ]
  test.each(wrong)('%s', async (_name, overrides) => {
    const { verifier, sign } = staticSetup()
    await expectCode(verifier.verify(sign(plexClaims(overrides))), 'TOKEN_CLAIMS_INVALID')
  })

  test('the same token with sound claims verifies (the table above is not rejecting everything)', async () => {
    const { verifier, sign } = staticSetup()
    await expect(verifier.verify(sign(plexClaims()))).resolves.toMatchObject({ user: { id: 123456 } })
  })
})

describe('the limits are inclusive: a claim at its bound verifies', () => {
  const max = 'x'.repeat(512)
  const atBound: [string, Record<string, unknown>][] = [
    ['a 512-character thumbprint', { thumbprint: max }],
    ['a 512-character aud entry', { aud: ['plex.tv', CLIENT, max] }],
    ['aud with 16 entries', { aud: ['plex.tv', CLIENT, ...Array.from({ length: 14 }, (_, i) => `a${i}`)] }],
    ['a 512-character user.uuid', withUser({ uuid: max })],
    ['a 512-character user.username', withUser({ username: max })],
    ['scope with 64 entries', { scope: Array.from({ length: 64 }, (_, i) => `s${i}`) }],
    ['scope with a 512-character entry', { scope: ['username', max] }],
    ['nbf 0', { nbf: 0 }],
    ['user.joinedAt 0', withUser({ joinedAt: 0 })],
  ]
  test.each(atBound)('%s', async (_name, overrides) => {
    const { verifier, sign } = staticSetup()
    await expect(verifier.verify(sign(plexClaims(overrides)))).resolves.toMatchObject({ kind: 'jwt' })
  })
})

describe('issuer', () => {
  test.each([
    'https://plex.tv',
    'Plex.tv',
    'PLEX.TV',
    'plex.tv ',
    ' plex.tv',
    'plex.tv.evil.example',
    'evil-plex.tv',
    'plex',
    'plex.tv\u0000',
    'plex\u2024tv',
  ])('iss look-alike %j is TOKEN_CLAIMS_INVALID', async (iss) => {
    const { verifier, sign } = staticSetup()
    await expectCode(verifier.verify(sign(plexClaims({ iss }))), 'TOKEN_CLAIMS_INVALID')
  })

  test('a configured issuer replaces plex.tv', async () => {
    const { verifier, sign } = staticSetup({ issuer: 'staging.plex.tv' })
    await expect(verifier.verify(sign(plexClaims({ iss: 'staging.plex.tv' })))).resolves.toMatchObject({
      kind: 'jwt',
    })
    await expectCode(verifier.verify(sign(plexClaims())), 'TOKEN_CLAIMS_INVALID')
  })
})

describe('audience', () => {
  test.each([
    ['no plex.tv at all', [CLIENT]],
    ['a plex.tv look-alike', ['plex.tv.evil.example', CLIENT]],
    ['an https plex.tv', ['https://plex.tv', CLIENT]],
    ['an upper-case PLEX.TV', ['PLEX.TV', CLIENT]],
    ['a padded plex.tv', [' plex.tv', CLIENT]],
  ])('aud without plex.tv (%s) is TOKEN_CLAIMS_INVALID, even with acceptAnyAudience', async (_name, aud) => {
    const { verifier, sign } = staticSetup({ clientIdentifier: undefined, acceptAnyAudience: true })
    await expectCode(verifier.verify(sign(plexClaims({ aud }))), 'TOKEN_CLAIMS_INVALID')
    const strict = staticSetup()
    await expectCode(strict.verifier.verify(strict.sign(plexClaims({ aud }))), 'TOKEN_CLAIMS_INVALID')
  })

  test.each([
    ['another app', ['plex.tv', 'some-other-plex-app']],
    ['only plex.tv', ['plex.tv']],
    ['plex.tv as a string', 'plex.tv'],
    ['an upper-cased client identifier', ['plex.tv', CLIENT.toUpperCase()]],
    ['a client identifier with a suffix', ['plex.tv', `${CLIENT}-evil`]],
    ['a client identifier prefix', ['plex.tv', CLIENT.slice(0, -1)]],
    ['a client identifier with a space', ['plex.tv', `${CLIENT} `]],
  ])('a token issued to %s is refused when clientIdentifier is set', async (_name, aud) => {
    const { verifier, sign } = staticSetup()
    await expectCode(verifier.verify(sign(plexClaims({ aud }))), 'TOKEN_CLAIMS_INVALID')
  })

  test('any one of several client identifiers matches, and is reported', async () => {
    const { verifier, sign } = staticSetup({ clientIdentifier: ['app-one', CLIENT, 'app-three'] })
    const identity = await verifier.verify(sign(plexClaims({ aud: ['plex.tv', 'unrelated', CLIENT] })))
    expect(identity.clientIdentifier).toBe(CLIENT)
  })

  test('with acceptAnyAudience, any app passes and the first non-plex.tv audience is reported', async () => {
    const { verifier, sign } = staticSetup({ clientIdentifier: undefined, acceptAnyAudience: true })
    const other = await verifier.verify(sign(plexClaims({ aud: ['plex.tv', 'some-other-app'] })))
    expect(other.clientIdentifier).toBe('some-other-app')
    const bare = await verifier.verify(sign(plexClaims({ aud: 'plex.tv' })))
    expect(bare.clientIdentifier).toBeUndefined()
    expect(Object.hasOwn(bare, 'clientIdentifier')).toBe(false)
  })
})

describe('no clientIdentifier (issue 11): tokens issued to other apps are refused by default, with a warning', () => {
  test('every token issued to an app is refused; a warning, once, through onEvent', async () => {
    const { onEvent, ofType } = recordEvents()
    const warning = vi.spyOn(process, 'emitWarning')
    onTestFinished(() => warning.mockRestore())
    const { verifier, sign } = staticSetup({ clientIdentifier: undefined, onEvent })
    for (const aud of [['plex.tv', CLIENT], ['plex.tv', 'some-other-app'], [CLIENT]]) {
      await expectCode(verifier.verify(sign(plexClaims({ aud }))), 'TOKEN_CLAIMS_INVALID')
    }
    expect(ofType('audience_unchecked')).toEqual([{ type: 'audience_unchecked' }])
    expect(warning).not.toHaveBeenCalled()
  })

  test('without onEvent: one process warning per verifier, with a code, that names the fix', () => {
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    onTestFinished(() => warning.mockRestore())
    staticSetup({ clientIdentifier: undefined })
    expect(warning).toHaveBeenCalledTimes(1)
    const [message, options] = warning.mock.calls[0] as [string, { code: string; type: string }]
    expect(options).toEqual({ type: 'PlexAuthWarning', code: 'PLEXAUTH_AUDIENCE_UNCHECKED' })
    expect(message).toContain('clientIdentifier')
    expect(message).toContain('acceptAnyAudience')
    staticSetup({ clientIdentifier: undefined })
    expect(warning).toHaveBeenCalledTimes(2)
  })

  test('acceptAnyAudience: true is the explicit opt-out (no warning); with clientIdentifier it is a TypeError', () => {
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    onTestFinished(() => warning.mockRestore())
    const { onEvent, ofType } = recordEvents()
    staticSetup({ clientIdentifier: undefined, acceptAnyAudience: true, onEvent })
    staticSetup()
    expect(warning).not.toHaveBeenCalled()
    expect(ofType('audience_unchecked')).toEqual([])
    expect(() => staticSetup({ acceptAnyAudience: true })).toThrow(TypeError)
    expect(() => staticSetup({ clientIdentifier: undefined, acceptAnyAudience: 'yes' as never })).toThrow(
      TypeError,
    )
  })
})

describe('inherited members never count as claims', () => {
  test('claims and user fields hidden behind "__proto__" are ignored', async () => {
    const { key, verifier } = staticSetup()
    const header = base64url(JSON.stringify({ kid: key.kid, typ: 'JWT', alg: 'EdDSA' }))
    const claims = plexClaims()
    const sign = (json: string) => signRaw(header, base64url(json), key)
    const hiddenIss = JSON.stringify(without(claims, 'iss')).replace('{', '{"__proto__":{"iss":"plex.tv"},')
    await expectCode(verifier.verify(sign(hiddenIss)), 'TOKEN_CLAIMS_INVALID')
    const { id: _id, ...rest } = claims.user as Record<string, unknown>
    const hiddenId = JSON.stringify({ ...claims, user: rest }).replace(
      '"user":{',
      '"user":{"__proto__":{"id":1},',
    )
    await expectCode(verifier.verify(sign(hiddenId)), 'TOKEN_CLAIMS_INVALID')
    // The same JSON with the member in plain sight verifies: the check is not refusing "__proto__" itself.
    const plain = JSON.stringify(claims).replace('{', '{"__proto__":{"x":1},')
    await expect(verifier.verify(sign(plain))).resolves.toMatchObject({ kind: 'jwt' })
  })
})

describe('nothing from an unverified token decides anything', () => {
  test('bad claims under a bad signature are TOKEN_SIGNATURE_INVALID, not a claim error', async () => {
    const { key, verifier } = staticSetup()
    const attacker = generateEd25519Key()
    const header = { kid: key.kid, typ: 'JWT', alg: 'EdDSA' }
    const expired = plexClaims({ iat: nowSeconds() - 10 * 86_400, exp: nowSeconds() - 3 * 86_400 })
    for (const claims of [expired, plexClaims({ iss: 'evil' }), plexClaims({ user: null })]) {
      await expectCode(verifier.verify(signJwt(header, claims, attacker)), 'TOKEN_SIGNATURE_INVALID')
    }
  })
})
