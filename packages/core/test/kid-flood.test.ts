import { randomBytes } from 'node:crypto'
import type { FakePlex } from '@plexauth/testing'
import { generateEd25519Key, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import {
  advance,
  expectCode,
  keyRequests,
  plexVerifier,
  recordEvents,
  rejection,
  startPlex,
  useFakeDate,
} from './helpers.js'

const attacker = generateEd25519Key()

/** A well-formed token under a random kid Plex never published. */
function randomKidToken(plex: FakePlex): string {
  return plex.issueToken({ header: { kid: randomBytes(32).toString('base64url') }, signWith: attacker })
}

describe('unknown-kid floods', () => {
  test('a 2,000-request unknown-kid flood makes at most one key fetch', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    await verifier.ready()
    advance(31)
    const before = keyRequests(plex)

    // 1,000 at once, then 1,000 one after another.
    const burst = await Promise.all(
      Array.from({ length: 1000 }, () => rejection(verifier.verify(randomKidToken(plex)))),
    )
    for (let i = 0; i < 1000; i++) burst.push(await rejection(verifier.verify(randomKidToken(plex))))

    expect(burst.every((err) => err.code === 'TOKEN_KEY_UNKNOWN' && err.status === 401)).toBe(true)
    expect(keyRequests(plex) - before).toBeLessThanOrEqual(1)
    expect(verifier.stats().rejected).toEqual({ TOKEN_KEY_UNKNOWN: 2000 })
    // Real users are unaffected during and after the flood.
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(keyRequests(plex) - before).toBeLessThanOrEqual(1)
  })

  test('a flood right after a fetch costs no fetch at all (cooldown)', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    await verifier.ready()
    await Promise.all(
      Array.from({ length: 500 }, () =>
        expectCode(verifier.verify(randomKidToken(plex)), 'TOKEN_KEY_UNKNOWN'),
      ),
    )
    expect(keyRequests(plex)).toBe(1)
  })

  test('a flood spread over 5 minutes costs at most one fetch per 30 s window', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    await verifier.ready()
    for (let second = 0; second < 300; second++) {
      advance(1)
      for (let i = 0; i < 5; i++) await expectCode(verifier.verify(randomKidToken(plex)), 'TOKEN_KEY_UNKNOWN')
    }
    expect(keyRequests(plex)).toBeLessThanOrEqual(1 + 300 / 30)
    expect(keyRequests(plex)).toBeGreaterThanOrEqual(2)
  })

  test('a cooldown set by jwks.cooldown is honoured', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex, { jwks: { cooldown: 300 } })
    await verifier.ready()
    for (let minute = 0; minute < 4; minute++) {
      advance(60)
      await expectCode(verifier.verify(randomKidToken(plex)), 'TOKEN_KEY_UNKNOWN')
    }
    expect(keyRequests(plex)).toBe(1)
    advance(60)
    await expectCode(verifier.verify(randomKidToken(plex)), 'TOKEN_KEY_UNKNOWN')
    expect(keyRequests(plex)).toBe(2)
  })

  test('with jwks.cooldown 0, unknown kids still wait for the backoff of a failed refetch', async () => {
    useFakeDate()
    const plex = await startPlex()
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent, jwks: { cooldown: 0 } })
    await verifier.ready()
    plex.fail(PLEX_PATHS.keys, { status: 500 })
    await expectCode(verifier.verify(randomKidToken(plex)), 'TOKEN_KEY_UNKNOWN')
    // The refetch failed: 1 s of backoff, however many unknown kids arrive.
    expect(keyRequests(plex)).toBe(2)
    for (let i = 0; i < 100; i++) await expectCode(verifier.verify(randomKidToken(plex)), 'TOKEN_KEY_UNKNOWN')
    expect(keyRequests(plex)).toBe(2)
    expect(ofType('kid_unknown').map((event) => event.refetch)).toEqual([true, ...Array(100).fill(false)])
    // The backoff ends on the dot, then doubles.
    advance(1)
    await expectCode(verifier.verify(randomKidToken(plex)), 'TOKEN_KEY_UNKNOWN')
    expect(keyRequests(plex)).toBe(3)
    advance(1)
    await expectCode(verifier.verify(randomKidToken(plex)), 'TOKEN_KEY_UNKNOWN')
    expect(keyRequests(plex)).toBe(3)
    advance(1)
    await expectCode(verifier.verify(randomKidToken(plex)), 'TOKEN_KEY_UNKNOWN')
    expect(keyRequests(plex)).toBe(4)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
  })

  test('a cold flood of unknown kids makes exactly one fetch', async () => {
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    const errors = await Promise.all(
      Array.from({ length: 2000 }, () => rejection(verifier.verify(randomKidToken(plex)))),
    )
    expect(errors.every((err) => err.code === 'TOKEN_KEY_UNKNOWN')).toBe(true)
    expect(keyRequests(plex)).toBe(1)
  })

  test('a flood while the key endpoint is down stays within the backoff', async () => {
    useFakeDate()
    const plex = await startPlex()
    const verifier = plexVerifier(plex)
    await verifier.ready()
    plex.fail('/api/v2/auth/keys', 'down')
    advance(31)
    for (let i = 0; i < 200; i++) await expectCode(verifier.verify(randomKidToken(plex)), 'TOKEN_KEY_UNKNOWN')
    expect(keyRequests(plex)).toBe(2)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
  })
})
