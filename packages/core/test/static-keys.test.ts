import { createPlexVerifier } from '@plexauth/core'
import { generateEd25519Key, signJwt } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import {
  advance,
  CLIENT,
  expectCode,
  forbiddenFetch,
  keyRequests,
  plexClaims,
  startPlex,
  staticSetup,
  useFakeDate,
} from './helpers.js'

describe('a static key set', () => {
  test('with keys and no jwksUrl, nothing is ever fetched', async () => {
    useFakeDate()
    const { verifier, fetch, sign } = staticSetup()
    await verifier.ready()
    await expect(
      Promise.all(Array.from({ length: 50 }, () => verifier.verify(sign(plexClaims())))),
    ).resolves.toHaveLength(50)
    // Unknown kids are simply unknown: no network to ask.
    const stranger = generateEd25519Key()
    const foreign = signJwt({ kid: stranger.kid, typ: 'JWT', alg: 'EdDSA' }, plexClaims(), stranger)
    for (let i = 0; i < 20; i++) await expectCode(verifier.verify(foreign), 'TOKEN_KEY_UNKNOWN')
    // No refresh either, however much time passes.
    advance(30 * 86_400)
    await expect(verifier.verify(sign(plexClaims()))).resolves.toMatchObject({ kind: 'jwt' })
    await verifier.ready()
    expect(fetch.calls).toBe(0)
    expect(verifier.stats()).toMatchObject({ keyFetches: 0, keyFetchFailures: 0 })
  })

  test('several static keys: any of them verifies', async () => {
    const keys = [generateEd25519Key(), generateEd25519Key(), generateEd25519Key()]
    const fetch = forbiddenFetch()
    const verifier = createPlexVerifier({
      keys: { keys: keys.map((k) => k.publicJwk) },
      clientIdentifier: CLIENT,
      fetch,
    })
    for (const key of keys) {
      const token = signJwt({ kid: key.kid, typ: 'JWT', alg: 'EdDSA' }, plexClaims(), key)
      await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'jwt' })
    }
    expect(fetch.calls).toBe(0)
  })

  test('with keys and a jwksUrl, the static keys answer first and the endpoint serves the rest', async () => {
    const plex = await startPlex()
    const local = generateEd25519Key()
    const verifier = createPlexVerifier({
      keys: { keys: [local.publicJwk] },
      jwksUrl: plex.jwksUrl,
      clientIdentifier: CLIENT,
    })
    const localToken = signJwt({ kid: local.kid, typ: 'JWT', alg: 'EdDSA' }, plexClaims(), local)
    await expect(verifier.verify(localToken)).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex)).toBe(0)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex)).toBe(1)
  })
})
