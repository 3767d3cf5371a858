import { describe, expect, test } from 'vitest'
import { advance, expectCode, plexClaims, staticSetup, T0, useFakeDate } from './helpers.js'

const WEEK = 604_800
const now = T0 / 1000

function times(iat: number, exp: number, extra: Record<string, unknown> = {}) {
  return plexClaims({ iat, exp, ...extra })
}

describe('token lifetime', () => {
  test('exp - iat beyond maxTokenLifetime (default 7 days) is TOKEN_CLAIMS_INVALID', async () => {
    useFakeDate()
    const { verifier, sign } = staticSetup()
    await expect(verifier.verify(sign(times(now, now + WEEK)))).resolves.toMatchObject({
      expiresAt: now + WEEK,
    })
    await expectCode(verifier.verify(sign(times(now, now + WEEK + 1))), 'TOKEN_CLAIMS_INVALID')
    await expectCode(
      verifier.verify(sign(times(now - 365 * 86_400, now + 365 * 86_400))),
      'TOKEN_CLAIMS_INVALID',
    )
  })

  test('a configured maxTokenLifetime is enforced', async () => {
    useFakeDate()
    const { verifier, sign } = staticSetup({ maxTokenLifetime: 3600 })
    await expect(verifier.verify(sign(times(now, now + 3600)))).resolves.toMatchObject({ kind: 'jwt' })
    await expectCode(verifier.verify(sign(times(now, now + 3601))), 'TOKEN_CLAIMS_INVALID')
  })

  test('exp <= iat is TOKEN_CLAIMS_INVALID', async () => {
    useFakeDate()
    const { verifier, sign } = staticSetup()
    await expectCode(verifier.verify(sign(times(now, now))), 'TOKEN_CLAIMS_INVALID')
    await expectCode(verifier.verify(sign(times(now, now - 1))), 'TOKEN_CLAIMS_INVALID')
  })

  test('expired beyond the tolerance is TOKEN_EXPIRED; within the tolerance it verifies', async () => {
    useFakeDate()
    const { verifier, sign } = staticSetup()
    const iat = now - WEEK
    await expect(verifier.verify(sign(times(iat, now - 59)))).resolves.toMatchObject({ expiresAt: now - 59 })
    await expectCode(verifier.verify(sign(times(iat, now - 60))), 'TOKEN_EXPIRED')
    await expectCode(verifier.verify(sign(times(iat, now - 61))), 'TOKEN_EXPIRED')
    await expectCode(verifier.verify(sign(times(iat, now - 3 * 86_400))), 'TOKEN_EXPIRED')
  })

  test('clockTolerance 0 expires exactly at exp; 300 allows five minutes', async () => {
    useFakeDate()
    const strict = staticSetup({ clockTolerance: 0 })
    await expect(strict.verifier.verify(strict.sign(times(now - 100, now + 1)))).resolves.toBeDefined()
    await expectCode(strict.verifier.verify(strict.sign(times(now - 100, now))), 'TOKEN_EXPIRED')
    const lenient = staticSetup({ clockTolerance: 300 })
    await expect(lenient.verifier.verify(lenient.sign(times(now - 1000, now - 299)))).resolves.toBeDefined()
    await expectCode(lenient.verifier.verify(lenient.sign(times(now - 1000, now - 300))), 'TOKEN_EXPIRED')
  })

  test('a token expires as the clock moves past exp', async () => {
    useFakeDate()
    const { verifier, sign } = staticSetup({ tokenCacheSize: 0 })
    const token = sign(times(now, now + 3600))
    await expect(verifier.verify(token)).resolves.toBeDefined()
    advance(3600 + 59)
    await expect(verifier.verify(token)).resolves.toBeDefined()
    advance(1)
    await expectCode(verifier.verify(token), 'TOKEN_EXPIRED')
  })

  test('iat in the future beyond the tolerance is TOKEN_NOT_YET_VALID', async () => {
    useFakeDate()
    const { verifier, sign } = staticSetup()
    await expect(verifier.verify(sign(times(now + 60, now + 3600)))).resolves.toMatchObject({
      issuedAt: now + 60,
    })
    await expectCode(verifier.verify(sign(times(now + 61, now + 3600))), 'TOKEN_NOT_YET_VALID')
    await expectCode(verifier.verify(sign(times(now + 86_400, now + WEEK))), 'TOKEN_NOT_YET_VALID')
  })

  test('nbf is honoured when present', async () => {
    useFakeDate()
    const { verifier, sign } = staticSetup({ tokenCacheSize: 0 })
    await expect(verifier.verify(sign(times(now, now + 3600, { nbf: now - 10 })))).resolves.toBeDefined()
    await expect(verifier.verify(sign(times(now, now + 3600, { nbf: now + 60 })))).resolves.toBeDefined()
    const later = sign(times(now, now + 3600, { nbf: now + 600 }))
    await expectCode(verifier.verify(later), 'TOKEN_NOT_YET_VALID')
    advance(600 - 60)
    await expect(verifier.verify(later)).resolves.toMatchObject({ claims: { nbf: now + 600 } })
  })
})
