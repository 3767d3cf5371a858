import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import {
  base64url,
  createFakePlex,
  type FakePlex,
  generateEd25519Key,
  PLEX_PATHS,
  signJwt,
} from '../src/index.js'
import { plexHeaders } from './helpers.js'

// Which Plex JWTs the fake's plex.tv accepts as a token for its own API, as plex.tv does: signed by one of
// its published keys, `iss` plex.tv, `aud` containing plex.tv, `nbf` passed, `exp` not (498 when passed).
let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(async () => {
  vi.useRealTimers()
  await plex.close()
})

const now = () => Math.floor(Date.now() / 1000)

/** A Plex JWT of the default account, header and claims overridable (`undefined` deletes one). */
function plexJwt(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = { kid: plex.signingKey.kid },
): string {
  const payload: Record<string, unknown> = {
    iss: 'plex.tv',
    aud: ['plex.tv', 'route-test-client'],
    iat: now(),
    exp: now() + 600,
    user: { id: plex.account.id, uuid: plex.account.uuid },
    ...claims,
  }
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name]
  return plex.sign({ typ: 'JWT', alg: 'EdDSA', ...header }, payload)
}

async function status(token: string): Promise<number> {
  return (await fetch(`${plex.url}${PLEX_PATHS.user}`, { headers: plexHeaders(token) })).status
}

describe('the Plex JWTs the fake accepts', () => {
  test('a kid naming a published key, aud a list or a single string: 200', async () => {
    expect(await status(plexJwt())).toBe(200)
    expect(await status(plexJwt({ aud: 'plex.tv' }))).toBe(200)
  })

  test('without a kid: verified with the only published key; refused when there are two', async () => {
    expect(await status(plexJwt({}, {}))).toBe(200)
    plex.rotateKeys()
    expect(await status(plexJwt({}, {}))).toBe(401)
    // Signed by the older key, named by its kid: still accepted.
    const older = plex.keys.keys.find((key) => key.kid !== plex.signingKey.kid)!.kid
    expect(
      await status(
        plex.sign(
          { kid: older, alg: 'EdDSA' },
          { iss: 'plex.tv', aud: 'plex.tv', exp: now() + 60, user: { id: plex.account.id } },
          { kid: older },
        ),
      ),
    ).toBe(200)
  })

  test('another issuer or an audience without plex.tv: 401', async () => {
    expect(await status(plexJwt({ iss: 'plex.example' }))).toBe(401)
    expect(await status(plexJwt({ aud: ['route-test-client'] }))).toBe(401)
    expect(await status(plexJwt({ aud: undefined }))).toBe(401)
  })

  test('a time claim that is not a finite number: 401, whatever its value', async () => {
    for (const claim of ['exp', 'nbf', 'iat']) {
      expect(await status(plexJwt({ [claim]: String(now() + 600) })), claim).toBe(401)
      expect(await status(plexJwt({ [claim]: null })), claim).toBe(401)
    }
  })

  test('nbf in the future: 401; passed: 200; exp passed: 498', async () => {
    expect(await status(plexJwt({ nbf: now() + 600 }))).toBe(401)
    expect(await status(plexJwt({ nbf: now() - 60 }))).toBe(200)
    expect(await status(plexJwt({ exp: now() - 1 }))).toBe(498)
  })

  test('to the second: nbf one second ahead is 401, nbf now 200; exp now is 498, a second ahead 200', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 0, 2, 3, 4, 5) })
    expect(await status(plexJwt({ nbf: now() + 1 }))).toBe(401)
    expect(await status(plexJwt({ nbf: now() }))).toBe(200)
    expect(await status(plexJwt({ exp: now() }))).toBe(498)
    expect(await status(plexJwt({ exp: now() + 1 }))).toBe(200)
  })

  test('a user claim without a numeric id: 401', async () => {
    const { uuid } = plex.account
    for (const user of [{ id: String(plex.account.id), uuid }, { uuid }, 'plexuser']) {
      expect(await status(plexJwt({ user })), JSON.stringify(user)).toBe(401)
    }
  })

  test('an exp written 1e400 (Infinity once parsed): 401, not a token that never expires', async () => {
    const header = base64url(JSON.stringify({ kid: plex.signingKey.kid, typ: 'JWT', alg: 'EdDSA' }))
    const payload = base64url(
      `{"iss":"plex.tv","aud":"plex.tv","exp":1e400,"user":{"id":${plex.account.id}}}`,
    )
    expect(await status(plex.signRaw(header, payload))).toBe(401)
  })

  test('signed by a key the fake does not publish, even under a published kid: 401', async () => {
    const stranger = generateEd25519Key()
    const token = plex.sign(
      { kid: plex.signingKey.kid, alg: 'EdDSA' },
      { iss: 'plex.tv', aud: 'plex.tv', exp: now() + 60, user: { id: plex.account.id } },
      { signWith: stranger },
    )
    expect(await status(token)).toBe(401)
  })
})

describe('signJwt', () => {
  test('signs with a node:crypto KeyObject as with an Ed25519Key', async () => {
    const key = plex.signingKey
    const claims = { iss: 'plex.tv', aud: 'plex.tv', exp: now() + 60, user: { id: plex.account.id } }
    const header = { kid: key.kid, alg: 'EdDSA' }
    const withKeyObject = signJwt(header, claims, key.privateKey)
    // Ed25519 signatures are deterministic: the same token either way.
    expect(withKeyObject).toBe(signJwt(header, claims, key))
    expect(await status(withKeyObject)).toBe(200)
  })
})
