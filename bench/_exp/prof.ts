import { createFakePlex } from '@plexauth/testing'
import { createPlexVerifier as mod } from './core/create-plex-verifier.js'
const plex = await createFakePlex({ keyCount: 1 })
const token = plex.issueToken()
const b = mod({ jwksUrl: plex.jwksUrl, clientIdentifier: 'plexauth-test-app', tokenCacheSize: 0 }); await b.ready()
const t = performance.now()
for (let i = 0; i < 50000; i++) await b.verify(token)
console.log((performance.now() - t) * 1000 / 50000)
await plex.close()
