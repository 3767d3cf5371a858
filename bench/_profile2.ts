import { verify as cv, createPublicKey } from 'node:crypto'
import { createPlexVerifier } from '@plexauth/core'
import { createFakePlex } from '@plexauth/testing'
const plex = await createFakePlex({ keyCount: 1 })
const token = plex.issueToken()
const v = createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: 'plexauth-test-app', tokenCacheSize: 0 })
await v.ready()
const last = token.lastIndexOf('.')
const input = Buffer.from(token.slice(0, last)); const sig = Buffer.from(token.slice(last + 1), 'base64url')
const key = plex.signingKey.publicKey
const jwkKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: (plex.keys.keys[0] as { x: string }).x }, format: 'jwk' })
const n = 20000
const variants: Record<string, () => unknown> = {
  bare: () => cv(null, input, key, sig),
  jwkKey: () => cv(null, input, jwkKey, sig),
  fresh: () => cv(null, Buffer.from(token.slice(0, last), 'latin1'), jwkKey, Buffer.from(token.slice(last + 1), 'base64url')),
  plex: () => v.verify(token),
  freshJson: () => { const ok = cv(null, Buffer.from(token.slice(0, last), 'latin1'), jwkKey, Buffer.from(token.slice(last + 1), 'base64url')); JSON.parse(Buffer.from(token.slice(token.indexOf('.')+1, last), 'base64url').toString()); return ok },
}
const totals: Record<string, number[]> = {}
for (let r = 0; r < 6; r++) {
  for (const [name, fn] of Object.entries(variants)) {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) await fn()
    ;(totals[name] ??= []).push((performance.now() - t0) * 1000 / n)
  }
}
for (const [name, xs] of Object.entries(totals)) console.log(name.padEnd(10), xs.map((x) => x.toFixed(1)).join(' '), ' min', Math.min(...xs).toFixed(1))
await plex.close()
