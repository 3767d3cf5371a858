import { verify as cverify } from 'node:crypto'
import { createPlexVerifier } from '@plexauth/core'
import { createFakePlex } from '@plexauth/testing'
import { createLocalJWKSet, jwtVerify } from 'jose'
const plex = await createFakePlex({ keyCount: 1 })
const token = plex.issueToken()
const jwks = { keys: plex.keys.keys as never[] }
const v0 = createPlexVerifier({ keys: jwks, tokenCacheSize: 0 })
const v1 = createPlexVerifier({ keys: jwks })
const local = createLocalJWKSet(jwks as never)
const [h, p, s] = token.split('.')
const key = (await import('node:crypto')).createPublicKey({ key: { ...(jwks.keys[0] as object) } as never, format: 'jwk' })
const input = Buffer.from(`${h}.${p}`); const sig = Buffer.from(s!, 'base64url')
async function time(name: string, n: number, fn: () => unknown) {
  for (let i = 0; i < 200; i++) await fn()
  const t = performance.now(); for (let i = 0; i < n; i++) await fn(); const us = (performance.now() - t) * 1000 / n
  console.log(name.padEnd(20), us.toFixed(2), 'us'); return us
}
const bare = await time('bare crypto', 5000, () => cverify(null, input, key, sig))
const cold = await time('plexauth cold', 5000, () => v0.verify(token))
const hot = await time('plexauth hot', 200000, () => v1.verify(token))
const jose = await time('jose', 3000, () => jwtVerify(token, local))
console.log({ coldRatio: bare / cold, hotVsJose: jose / hot })
await plex.close()
