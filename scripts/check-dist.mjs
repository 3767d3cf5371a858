// Imports every built package the way a user's Node would (no dev-source condition), so a broken
// `exports` map or a missing build output fails the test run.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = join(import.meta.dirname, '..', 'packages')
let failures = 0
for (const dir of readdirSync(root)) {
  const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'))
  const entry = pkg.exports?.['.']?.default
  if (typeof entry !== 'string') continue
  try {
    const mod = await import(pathToFileURL(join(root, dir, entry)).href)
    const names = Object.keys(mod)
    if (names.length === 0) throw new Error('exports nothing')
    console.log(`dist ok: ${pkg.name} (${names.length} exports)`)
  } catch (err) {
    failures++
    console.error(`dist broken: ${pkg.name}: ${err instanceof Error ? err.message : err}`)
  }
}
process.exit(failures === 0 ? 0 : 1)
