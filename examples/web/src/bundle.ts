import { join } from 'node:path'
import { build } from 'esbuild'

const ENTRY = join(import.meta.dirname, '..', 'client', 'main.ts')

/**
 * The page's script, bundled once at start: client/main.ts with @plexauth/browser (its source in this
 * workspace, through the `dev-source` condition; the published build elsewhere).
 */
export async function clientBundle(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['dev-source'],
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}
