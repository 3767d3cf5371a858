import type { PlexIdentity, PlexJwtIdentity } from '@plexauth/core'
import { DEFAULT_THUMBPRINT, DEFAULT_USER } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { CLIENT, plexClaims, plexVerifier, startPlex, staticSetup, T0, useFakeDate } from './helpers.js'

const ALL_SCOPES = ['username', 'email', 'friendly_name', 'restricted', 'anonymous', 'joinedAt']

/** A Plex JWT's identity (`kind: 'jwt'`), failing the test for any other kind. */
function asJwt(identity: PlexIdentity): PlexJwtIdentity {
  if (identity.kind !== 'jwt') throw new Error(`expected kind jwt, got ${identity.kind}`)
  return identity
}

describe('the identity handed to the app', () => {
  test('maps the user claim (friendly_name → friendlyName) and the token metadata', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const token = plex.issueToken({ scopes: ALL_SCOPES, user: { restricted: true } })
    const identity = asJwt(await verifier.verify(token))
    expect(identity.kind).toBe('jwt')
    expect(identity.user).toEqual({
      id: DEFAULT_USER.id,
      uuid: DEFAULT_USER.uuid,
      username: DEFAULT_USER.username,
      email: DEFAULT_USER.email,
      friendlyName: DEFAULT_USER.friendly_name,
      restricted: true,
      anonymous: DEFAULT_USER.anonymous,
      joinedAt: DEFAULT_USER.joinedAt,
    })
    expect(identity.user).not.toHaveProperty('friendly_name')
    expect(identity.clientIdentifier).toBe(CLIENT)
    expect(identity.thumbprint).toBe(DEFAULT_THUMBPRINT)
    expect(identity.issuedAt).toBe(T0 / 1000)
    expect(identity.expiresAt).toBe(T0 / 1000 + 604_800)
    expect(identity.claims).toMatchObject({
      iss: 'plex.tv',
      aud: ['plex.tv', CLIENT],
      nonce: expect.any(String),
    })
  })

  test('optional user fields are absent, not undefined, when the token lacks them', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const identity = await verifier.verify(plex.issueToken({ scopes: [] }))
    expect(identity.user).toEqual({ id: DEFAULT_USER.id, uuid: DEFAULT_USER.uuid })
    expect(Object.keys(identity.user)).toEqual(['id', 'uuid'])
  })

  test('user members Plex might add are kept in claims, never copied into user', async () => {
    const { verifier, sign } = staticSetup()
    const claims = plexClaims()
    const identity = asJwt(
      await verifier.verify(
        sign({ ...claims, user: { ...(claims.user as object), admin: true, thumb: 'https://x/y.png' } }),
      ),
    )
    expect(identity.user).not.toHaveProperty('admin')
    expect(identity.user).not.toHaveProperty('thumb')
    expect(identity.claims.user).toMatchObject({ admin: true })
  })

  describe('scopes', () => {
    test.each([
      ['a comma-separated string', 'username,email,friendly_name', ['username', 'email', 'friendly_name']],
      ['a space-separated string', 'username email', ['username', 'email']],
      ['commas and spaces', ' username, email ,, friendly_name ', ['username', 'email', 'friendly_name']],
      ['an array', ['username', 'restricted'], ['username', 'restricted']],
      ['duplicates', 'email,email email', ['email']],
      ['tabs and line breaks', 'username\temail\nfriendly_name', ['username', 'email', 'friendly_name']],
      ['an empty string', '', []],
      ['an empty array', [], []],
    ])('from a scope claim that is %s', async (_name, scope, expected) => {
      const { verifier, sign } = staticSetup()
      const identity = await verifier.verify(sign(plexClaims({ scope })))
      expect(identity.scopes).toEqual(expected)
    })

    test('the scope claim wins over the user fields present', async () => {
      const { verifier, sign } = staticSetup()
      const identity = await verifier.verify(sign(plexClaims({ scope: 'username' })))
      expect(identity.scopes).toEqual(['username'])
      expect(identity.user.email).toBe('plexuser@example.com')
    })

    test.each([
      [['username'], ['username']],
      [
        ['username', 'email', 'friendly_name'],
        ['username', 'email', 'friendly_name'],
      ],
      [ALL_SCOPES, ALL_SCOPES],
      [[], []],
    ])('without a scope claim, derived from the user fields present (%j)', async (requested, expected) => {
      const plex = await startPlex()
      const verifier = plexVerifier(plex)
      const identity = await verifier.verify(plex.issueToken({ scopes: requested }))
      expect(identity.claims).not.toHaveProperty('scope')
      expect([...identity.scopes].sort()).toEqual([...expected].sort())
    })
  })

  describe('the raw token', () => {
    test('is present but not enumerable: JSON.stringify and spreading leave it out', async () => {
      const plex = await startPlex()
      const verifier = plexVerifier(plex)
      const token = plex.issueToken()
      const identity = await verifier.verify(token)
      expect(identity.token).toBe(token)
      expect(Object.keys(identity)).not.toContain('token')
      expect(Object.getOwnPropertyDescriptor(identity, 'token')?.enumerable).toBe(false)
      const json = JSON.stringify(identity)
      expect(json).not.toContain(token)
      expect(json).not.toContain(token.split('.')[2])
      expect({ ...identity }).not.toHaveProperty('token')
      expect(JSON.parse(json)).toMatchObject({
        user: { id: DEFAULT_USER.id },
        thumbprint: DEFAULT_THUMBPRINT,
      })
    })
  })

  describe('deeply frozen', () => {
    test('no part of the identity can be changed by the app', async () => {
      const plex = await startPlex()
      const verifier = plexVerifier(plex)
      const identity = asJwt(await verifier.verify(plex.issueToken()))
      for (const part of [identity, identity.user, identity.scopes, identity.claims, identity.claims.user]) {
        expect(Object.isFrozen(part)).toBe(true)
      }
      expect(Object.isFrozen(identity.claims.aud)).toBe(true)
      const mutable = identity as unknown as Record<string, unknown> & {
        user: Record<string, unknown>
        scopes: string[]
        claims: Record<string, unknown> & { user: Record<string, unknown> }
      }
      expect(() => {
        mutable.user.id = 1
      }).toThrow(TypeError)
      expect(() => {
        mutable.scopes.push('admin')
      }).toThrow(TypeError)
      expect(() => {
        mutable.claims.user.id = 1
      }).toThrow(TypeError)
      expect(() => {
        mutable.token = 'other'
      }).toThrow(TypeError)
      expect(identity.user.id).toBe(DEFAULT_USER.id)
      expect(identity.scopes).not.toContain('admin')
    })

    test('a cached identity handed to a second request is the same untouched object', async () => {
      const plex = await startPlex()
      const verifier = plexVerifier(plex)
      const token = plex.issueToken()
      const first = await verifier.verify(token)
      const second = await verifier.verify(token)
      expect(second).toBe(first)
      expect(Object.isFrozen(second.user)).toBe(true)
    })
  })
})
