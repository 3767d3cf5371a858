import { createRemoteJWKSet, errors, jwtVerify } from 'jose'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  createFakePlex,
  type FakePlex,
  generateEd25519Key,
  PLEX_PATHS,
  type PublicKeySet,
} from '../src/index.js'

let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(() => plex.close())

async function served(): Promise<PublicKeySet> {
  const response = await fetch(plex.jwksUrl)
  expect(response.status).toBe(200)
  return (await response.json()) as PublicKeySet
}
const kids = async () => (await served()).keys.map((key) => key.kid)
const verifyNow = (token: string) =>
  jwtVerify(token, createRemoteJWKSet(new URL(plex.jwksUrl)), { algorithms: ['EdDSA'] })

describe('GET /api/v2/auth/keys', () => {
  test('serves Plex-shaped JSON: one key by default, the signing key (as plex.tv between rotations)', async () => {
    expect(plex.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(plex.jwksUrl).toBe(`${plex.url}/api/v2/auth/keys`)
    const response = await fetch(plex.jwksUrl)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('cache-control')).toBeNull()
    const body = (await response.json()) as PublicKeySet
    expect(body).toEqual(plex.keys)
    expect(body.keys).toHaveLength(1)
    for (const key of body.keys) {
      expect(Object.keys(key)).toEqual(['kty', 'crv', 'x', 'kid', 'use', 'alg'])
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA' })
      expect(key.x).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    }
    expect(body.keys[0]?.kid).toBe(plex.signingKey.kid)
  })

  test('keyCount sets how many keys are published; the signing key is keys[0] unless signingKeyPosition is last', async () => {
    await using three = await createFakePlex({ keyCount: 3 })
    expect(three.keys.keys).toHaveLength(3)
    expect(three.keys.keys[0]?.kid).toBe(three.signingKey.kid)
    await using rotating = await createFakePlex({ keyCount: 2, signingKeyPosition: 'last' })
    expect(rotating.keys.keys).toHaveLength(2)
    expect(rotating.keys.keys.at(-1)?.kid).toBe(rotating.signingKey.kid)
    expect(rotating.keys.keys[0]?.kid).not.toBe(rotating.signingKey.kid)
  })

  test('cacheControl, as option or property, is sent on the key set', async () => {
    await using cached = await createFakePlex({ cacheControl: 'max-age=120' })
    expect((await fetch(cached.jwksUrl)).headers.get('cache-control')).toBe('max-age=120')
    cached.cacheControl = 'no-store'
    expect((await fetch(cached.jwksUrl)).headers.get('cache-control')).toBe('no-store')
    cached.cacheControl = undefined
    expect((await fetch(cached.jwksUrl)).headers.get('cache-control')).toBeNull()
  })

  test('setKeysResponse serves a hand-crafted key set until cleared', async () => {
    const crafted = { keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'rsa' }] }
    plex.setKeysResponse(crafted)
    expect(await served()).toEqual(crafted)
    plex.setKeysResponse(undefined)
    expect(await served()).toEqual(plex.keys)
  })
})

describe('key management', () => {
  test('rotateKeys publishes a new signing key first and keeps the old one; position last on demand', async () => {
    const oldToken = plex.issueToken()
    const before = await kids()
    const fresh = plex.rotateKeys()
    expect(plex.signingKey.kid).toBe(fresh.kid)
    expect(await kids()).toEqual([fresh.kid, ...before])
    expect((await verifyNow(plex.issueToken())).protectedHeader.kid).toBe(fresh.kid)
    await expect(verifyNow(oldToken)).resolves.toBeDefined()
    const last = plex.rotateKeys({ position: 'last' })
    expect(await kids()).toEqual([fresh.kid, ...before, last.kid])
    expect(plex.signingKey.kid).toBe(last.kid)
  })

  test('rotateKeys({ keep: false }) unpublishes every older key', async () => {
    const oldToken = plex.issueToken()
    const fresh = plex.rotateKeys({ keep: false })
    expect(await kids()).toEqual([fresh.kid])
    await expect(verifyNow(oldToken)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
  })

  test('addKey publishes without changing the signing key', async () => {
    const signing = plex.signingKey.kid
    const added = plex.addKey()
    const own = generateEd25519Key()
    expect(plex.addKey(own)).toBe(own)
    expect((await kids()).slice(-2)).toEqual([added.kid, own.kid])
    expect(plex.signingKey.kid).toBe(signing)
    await expect(verifyNow(plex.issueToken({ kid: own.kid }))).resolves.toBeDefined()
  })

  test('keyCount 0 still publishes one key, the signing key', async () => {
    await using none = await createFakePlex({ keyCount: 0 })
    expect(none.keys.keys.map((key) => key.kid)).toEqual([none.signingKey.kid])
  })

  test('addKey of a key already published moves it to the end, never publishing it twice', async () => {
    const added = plex.addKey()
    const signing = plex.signingKey
    expect(plex.addKey(signing)).toBe(signing)
    expect(await kids()).toEqual([added.kid, signing.kid])
    plex.addKey(signing)
    expect(await kids()).toEqual([added.kid, signing.kid])
  })

  test('removeKey unpublishes; removing the signing key leaves tokens with an unknown kid', async () => {
    const first = plex.addKey().kid
    expect(plex.removeKey(first!)).toBe(true)
    expect(plex.removeKey(first!)).toBe(false)
    expect(await kids()).toEqual([plex.signingKey.kid])
    plex.removeKey(plex.signingKey.kid)
    expect(await served()).toEqual({ keys: [] })
    await expect(verifyNow(plex.issueToken())).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
  })
})

describe('request counters', () => {
  test('count per path, in all, and reset; the log leaves credentials out', async () => {
    const headers = {
      authorization: 'Bearer secret',
      'x-plex-token': 'secret',
      cookie: 'session=secret',
      'x-plex-product': 'Test',
    }
    await fetch(plex.jwksUrl, { headers })
    await fetch(`${plex.jwksUrl}?X-Plex-Token=secret`)
    await fetch(`${plex.url}/nowhere`)
    expect(plex.requests(PLEX_PATHS.keys)).toBe(2)
    expect(plex.requests('/nowhere')).toBe(1)
    expect(plex.requests()).toBe(3)
    expect(plex.log.map(({ method, path }) => `${method} ${path}`)).toEqual([
      'GET /api/v2/auth/keys',
      'GET /api/v2/auth/keys',
      'GET /nowhere',
    ])
    expect(plex.log[0]!.headers['x-plex-product']).toBe('Test')
    expect(JSON.stringify(plex.log)).not.toContain('secret')
    plex.resetCounters()
    expect(plex.requests()).toBe(0)
    expect(plex.log).toEqual([])
  })

  test('unknown paths answer 404 and other methods 405, in plex.tv error shape', async () => {
    const missing = await fetch(`${plex.url}/nowhere`, { headers: { accept: 'application/json' } })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ errors: [{ code: 404, message: 'Not Found', status: 404 }] })
    const missingXml = await fetch(`${plex.url}/nowhere`)
    expect(missingXml.headers.get('content-type')).toBe('application/xml; charset=utf-8')
    expect(await missingXml.text()).toContain(
      '<errors>\n  <error code="404" message="Not Found" status="404"/>',
    )
    const wrongMethod = await fetch(plex.jwksUrl, { method: 'POST' })
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('GET')
  })
})
