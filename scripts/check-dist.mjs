// Imports every built entry point of every package (each key of its `exports` map) the way a user's Node
// would (no dev-source condition), so a broken `exports` map or a missing build output fails the test run.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = join(import.meta.dirname, '..', 'packages')
let failures = 0
for (const dir of readdirSync(root)) {
  const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'))
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const entry = target?.default
    if (typeof entry !== 'string') continue
    const name = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`
    try {
      const mod = await import(pathToFileURL(join(root, dir, entry)).href)
      const names = Object.keys(mod)
      if (names.length === 0) throw new Error('exports nothing')
      console.log(`dist ok: ${name} (${names.length} exports)`)
    } catch (err) {
      failures++
      console.error(`dist broken: ${name}: ${err instanceof Error ? err.message : err}`)
    }
  }
}
process.exit(failures === 0 ? 0 : 1)
