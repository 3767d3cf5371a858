import { verify as cv } from 'node:crypto'
import { createPlexVerifier } from '@plexauth/core'
import { createFakePlex } from '@plexauth/testing'
const plex = await createFakePlex({ keyCount: 1 })
const token = plex.issueToken()
const v = createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: 'plexauth-test-app', tokenCacheSize: 0 })
await v.ready()
const last = token.lastIndexOf('.')
const input = Buffer.from(token.slice(0, last)); const sig = Buffer.from(token.slice(last + 1), 'base64url')
const key = plex.signingKey.publicKey
const mode = process.argv[2]
const n = 60000
for (let r = 0; r < 3; r++) {
  let t0 = performance.now()
  if (mode !== 'plex') for (let i = 0; i < n; i++) cv(null, input, key, sig)
  const a = (performance.now() - t0) * 1000 / n
  t0 = performance.now()
  if (mode !== 'crypto') for (let i = 0; i < n; i++) await v.verify(token)
  const b = (performance.now() - t0) * 1000 / n
  console.log('crypto', a.toFixed(2), 'plex', b.toFixed(2))
}
await plex.close()
