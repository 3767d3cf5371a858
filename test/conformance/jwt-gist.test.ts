// The JWT flow as a public Python gist runs it with python-plexapi and PyJWT: legacy PIN, then register a
// device key, nonce, exchange, and verify the Plex JWT with the FIRST key of the key set only.
import { sign } from 'node:crypto'
import { generateEd25519KeyPair } from '@plexauth/core/plex-tv'
import { createFakePlex, type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { importJWK, jwtVerify } from 'jose'
import { afterEach, beforeEach, expect, test } from 'vitest'

const CLIENT = 'jwt-gist-conformance'
const headers = { accept: 'application/json', 'X-Plex-Client-Identifier': CLIENT, 'X-Plex-Product': 'gist' }

let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(() => plex.close())

async function plexJwtByTheGist(): Promise<string> {
  const pin = (await (
    await fetch(`${plex.url}${PLEX_PATHS.pins}?strong=true`, { method: 'POST', headers })
  ).json()) as { id: number; code: string }
  plex.approvePin(pin.code)
  const { authToken } = (await (
    await fetch(`${plex.url}${PLEX_PATHS.pins}/${pin.id}`, { headers })
  ).json()) as {
    authToken: string
  }
  const { privateKey, publicKey } = generateEd25519KeyPair()
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'gist-device', use: 'sig', alg: 'EdDSA' }
  const registered = await fetch(`${plex.url}${PLEX_PATHS.jwk}`, {
    method: 'POST',
    headers: { ...headers, 'X-Plex-Token': authToken, 'content-type': 'application/json' },
    body: JSON.stringify({ jwk }),
  })
  expect(registered.status).toBe(201)
  const { nonce } = (await (await fetch(`${plex.url}${PLEX_PATHS.nonce}`, { headers })).json()) as {
    nonce: string
  }
  const iat = Math.floor(Date.now() / 1000)
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${part({ kid: 'gist-device', alg: 'EdDSA', typ: 'JWT' })}.${part({ nonce, scope: 'username,email', aud: 'plex.tv', iss: CLIENT, iat, exp: iat + 300 })}`
  const deviceJwt = `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`
  const exchanged = await fetch(`${plex.url}${PLEX_PATHS.token}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ jwt: deviceJwt }),
  })
  return ((await exchanged.json()) as { auth_token: string }).auth_token
}

async function verifyWithFirstKey(token: string) {
  const { keys } = (await (await fetch(plex.jwksUrl)).json()) as { keys: Record<string, string>[] }
  return jwtVerify(token, await importJWK(keys[0]!, 'EdDSA'), { issuer: 'plex.tv', audience: 'plex.tv' })
}

test('between rotations (the default), a client that reads only keys[0] verifies the token', async () => {
  const token = await plexJwtByTheGist()
  const { payload } = await verifyWithFirstKey(token)
  expect(payload).toMatchObject({ thumbprint: 'gist-device', user: { id: plex.account.id } })
})

test('during a rotation (on demand), keys[0] no longer signs: such a client breaks, as it did against plex.tv', async () => {
  plex.rotateKeys({ position: 'last' })
  const token = await plexJwtByTheGist()
  await expect(verifyWithFirstKey(token)).rejects.toThrow(/signature verification failed/)
})
