import { createFakePlex } from '@plexauth/testing'
import { parseToken, decodeJsonObject } from '../packages/core/src/parse-token.js'
import { buildIdentity } from '../packages/core/src/build-identity.js'
const plex = await createFakePlex({ keyCount: 1 })
const token = plex.issueToken()
console.log('token length', token.length)
const rules = { issuer: 'plex.tv', clientIdentifiers: ['plexauth-test-app'], clockTolerance: 60, maxTokenLifetime: 604800 }
const n = 200000
const steps: Record<string, () => unknown> = {
  parse: () => parseToken(token),
  parseAndPayload: () => { const p = parseToken(token); return decodeJsonObject(p.payloadSegment) },
  all: () => { const p = parseToken(token); return buildIdentity(decodeJsonObject(p.payloadSegment), token, rules, Date.now() / 1000) },
}
for (let r = 0; r < 3; r++) for (const [k, f] of Object.entries(steps)) { const t = performance.now(); for (let i = 0; i < n; i++) f(); console.log(k.padEnd(16), ((performance.now() - t) * 1000 / n).toFixed(2), 'us') }
await plex.close()
