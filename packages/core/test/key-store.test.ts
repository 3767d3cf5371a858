import type { KeyStore, PlexJwks } from '@plexauth/core'
import { generateEd25519Key, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import {
  advance,
  expectCode,
  keyRequests,
  plexVerifier,
  recordEvents,
  SMALL_ORDER_POINTS,
  startPlex,
  useFakeDate,
} from './helpers.js'

/** An in-memory key store that reports saves and counts loads. */
function memoryStore(initial?: unknown) {
  let stored = initial
  let loads = 0
  const saves: PlexJwks[] = []
  let onSave: ((jwks: PlexJwks) => void) | undefined
  const store: KeyStore = {
    load: () => {
      loads++
      return stored as PlexJwks | undefined
    },
    save: (jwks) => {
      stored = jwks
      saves.push(jwks)
      onSave?.(jwks)
    },
  }
  return {
    store,
    saves,
    loads: () => loads,
    nextSave: () =>
      new Promise<PlexJwks>((resolve) => {
        onSave = resolve
      }),
  }
}

describe('keyStore', () => {
  test('the fetched key set is saved, reduced to the trusted public members', async () => {
    const plex = await startPlex({ keyCount: 2 })
    const planted = generateEd25519Key()
    plex.setKeysResponse({
      keys: [
        { ...plex.keys.keys[0]!, extra: 'member', x5c: ['MIIB'] },
        plex.keys.keys[1]!,
        { ...planted.publicJwk, d: planted.privateKey.export({ format: 'jwk' }).d },
      ],
    })
    const memory = memoryStore()
    const saved = memory.nextSave()
    const verifier = plexVerifier(plex, { keyStore: memory.store })
    await verifier.ready()
    const jwks = await saved
    expect(jwks).toEqual({
      keys: plex.keys.keys.map(({ kty, crv, x, kid }) => ({ kty, crv, x, kid, use: 'sig', alg: 'EdDSA' })),
    })
    expect(JSON.stringify(jwks)).not.toContain('"d"')
  })

  test('a verifier whose key endpoint is down but whose keyStore has keys verifies', async () => {
    const plex = await startPlex({ keyCount: 2 })
    const memory = memoryStore()
    const saved = memory.nextSave()
    await plexVerifier(plex, { keyStore: memory.store }).ready()
    await saved

    plex.fail(PLEX_PATHS.keys, 'down')
    const loadsBefore = memory.loads()
    const { onEvent, ofType } = recordEvents()
    const restarted = plexVerifier(plex, { keyStore: memory.store, onEvent })
    const tokens = Array.from({ length: 10 }, () => plex.issueToken())
    await expect(Promise.all(tokens.map((token) => restarted.verify(token)))).resolves.toHaveLength(10)
    expect(ofType('keys_loaded')).toEqual([{ type: 'keys_loaded', source: 'keyStore', keyCount: 2 }])
    expect(memory.loads() - loadsBefore).toBe(1)
  })

  test('stored keys are of unknown age: served at once, refreshed in the background, for staleIfError at most', async () => {
    useFakeDate()
    const plex = await startPlex()
    const memory = memoryStore(plex.keys)
    const { onEvent, next } = recordEvents()
    const verifier = plexVerifier(plex, { keyStore: memory.store, onEvent, jwks: { staleIfError: 3600 } })
    plex.fail(PLEX_PATHS.keys, 'down')
    const failed = next('keys_fetch_failed')
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    await failed
    expect(keyRequests(plex)).toBe(1)
    advance(3599)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    advance(1)
    await expectCode(verifier.verify(plex.issueToken()), 'KEYS_UNAVAILABLE')
  })

  test('with the endpoint up, stored keys serve at once and the fresh set replaces them', async () => {
    const plex = await startPlex()
    const memory = memoryStore(plex.keys)
    const saved = memory.nextSave()
    const verifier = plexVerifier(plex, { keyStore: memory.store })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    await saved
    expect(keyRequests(plex)).toBe(1)
    expect(memory.saves).toHaveLength(1)
  })

  test('stored keys answer a kid they hold without a kid_unknown event', async () => {
    const plex = await startPlex()
    const memory = memoryStore(plex.keys)
    const { onEvent, ofType } = recordEvents()
    plex.fail(PLEX_PATHS.keys, 'down')
    const verifier = plexVerifier(plex, { keyStore: memory.store, onEvent })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(ofType('keys_loaded')).toHaveLength(1)
    expect(ofType('kid_unknown')).toEqual([])
  })

  const identityX = Buffer.from(SMALL_ORDER_POINTS['identity 0x01 00..00 (order 1)']!, 'hex').toString(
    'base64url',
  )
  test.each([
    ['a string', 'garbage'],
    ['an array', [1, 2]],
    ['keys that is not an array', { keys: 'x' }],
    [
      'only hostile members',
      { keys: [{ kty: 'OKP', crv: 'Ed25519', x: identityX, kid: 'evil' }, { kty: 'RSA' }] },
    ],
    ['null', null],
  ])('a keyStore holding %s is ignored: the keys come from the network', async (_name, stored) => {
    const plex = await startPlex()
    const memory = memoryStore(stored)
    const verifier = plexVerifier(plex, { keyStore: memory.store })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex)).toBe(1)
  })

  test('a keyStore holding more than jwks.maxKeys keys is ignored', async () => {
    const plex = await startPlex()
    const { onEvent, ofType } = recordEvents()
    const padding = Array.from({ length: 32 }, () => generateEd25519Key().publicJwk)
    const memory = memoryStore({ keys: [...padding, ...plex.keys.keys] })
    const verifier = plexVerifier(plex, { keyStore: memory.store, onEvent })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(ofType('key_store_failed')).toEqual([{ type: 'key_store_failed', operation: 'load' }])
    expect(ofType('keys_loaded')).toEqual([])
    expect(keyRequests(plex)).toBe(1)
  })

  test('a keyStore mixing good and hostile members keeps only the good ones', async () => {
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, 'down')
    const attacker = generateEd25519Key({ kid: 'evil' })
    const memory = memoryStore({
      keys: [
        { kty: 'OKP', crv: 'Ed25519', x: identityX, kid: 'identity' },
        { ...attacker.publicJwk, use: 'enc' },
        'nonsense',
        ...plex.keys.keys,
      ],
    })
    const verifier = plexVerifier(plex, { keyStore: memory.store })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    await expectCode(
      verifier.verify(plex.issueToken({ header: { kid: 'evil' }, signWith: attacker })),
      'TOKEN_KEY_UNKNOWN',
    )
  })

  test('a keyStore that throws or rejects is reported and ignored', async () => {
    const plex = await startPlex()
    const { onEvent, ofType, next } = recordEvents()
    const saveFailed = next('key_store_failed')
    const verifier = plexVerifier(plex, {
      onEvent,
      keyStore: {
        load: () => {
          throw new Error('disk on fire')
        },
        save: async () => {
          throw new Error('disk full')
        },
      },
    })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    await saveFailed
    await new Promise((resolve) => setImmediate(resolve))
    expect(ofType('key_store_failed')).toEqual([
      { type: 'key_store_failed', operation: 'load' },
      { type: 'key_store_failed', operation: 'save' },
    ])
  })

  test('an async keyStore works, and load runs once however many requests arrive', async () => {
    const plex = await startPlex()
    plex.fail(PLEX_PATHS.keys, 'down')
    let loads = 0
    const keys = plex.keys
    const verifier = plexVerifier(plex, {
      keyStore: {
        load: async () => {
          loads++
          await new Promise((resolve) => setImmediate(resolve))
          return keys
        },
        save: async () => {},
      },
    })
    await Promise.all(Array.from({ length: 20 }, () => verifier.verify(plex.issueToken())))
    expect(loads).toBe(1)
  })
})
