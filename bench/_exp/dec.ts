import { randomBytes } from 'node:crypto'
import { decodeBase64url } from './core/base64url.js'
const s = randomBytes(420).toString('base64url')
const n = 200000
for (let r = 0; r < 3; r++) {
  let t = performance.now(); for (let i = 0; i < n; i++) decodeBase64url(s); console.log('js', ((performance.now() - t) * 1e6 / n).toFixed(0), 'ns')
  t = performance.now(); for (let i = 0; i < n; i++) Buffer.from(s, 'base64url'); console.log('node', ((performance.now() - t) * 1e6 / n).toFixed(0), 'ns')
}
