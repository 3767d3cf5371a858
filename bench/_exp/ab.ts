import { verify as cv, randomBytes } from 'node:crypto'
import { createPlexVerifier as orig } from '@plexauth/core'
import { createFakePlex } from '@plexauth/testing'
import { createPlexVerifier as mod } from './core/create-plex-verifier.js'
import { decodeBase64url } from './core/base64url.js'
for (let k = 0; k < 2000; k++) { const b = randomBytes(k % 200); const s = b.toString('base64url'); if (!decodeBase64url(s).equals(b)) throw new Error('decode mismatch ' + k) }
const plex = await createFakePlex({ keyCount: 1 })
const token = plex.issueToken()
const opts = { jwksUrl: plex.jwksUrl, clientIdentifier: 'plexauth-test-app', tokenCacheSize: 0 }
const a = orig(opts); const b = mod(opts); await a.ready(); await b.ready()
const last = token.lastIndexOf('.')
const input = Buffer.from(token.slice(0, last)); const sig = Buffer.from(token.slice(last + 1), 'base64url')
const key = plex.signingKey.publicKey
const V: Record<string, () => unknown> = { bare: () => cv(null, input, key, sig), orig: () => a.verify(token), mod: () => b.verify(token) }
const res: Record<string, number[]> = {}
const n = 5000
for (let r = 0; r < 12; r++) for (const [k, f] of Object.entries(V)) { const t = performance.now(); for (let i = 0; i < n; i++) await f(); (res[k] ??= []).push((performance.now() - t) * 1000 / n) }
for (const [k, xs] of Object.entries(res)) { xs.sort((p, q) => p - q); console.log(k.padEnd(8), 'min', xs[0]!.toFixed(1), 'p25', xs[3]!.toFixed(1), 'median', xs[6]!.toFixed(1)) }
await plex.close()
