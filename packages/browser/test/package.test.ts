// The package as users get it: its public surface, no runtime dependencies, and its size once bundled.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import * as browser from '../src/index.js'

const PACKAGE_DIR = join(import.meta.dirname, '..')
const TSC = join(PACKAGE_DIR, '..', '..', 'node_modules', '.bin', 'tsc')
const BUDGET = 3 * 1024

describe('@plexauth/browser as published', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'plexauth-browser-'))
  afterAll(() => rmSync(outDir, { recursive: true, force: true }))

  it('exports exactly its public surface', () => {
    expect(Object.keys(browser).sort()).toEqual([
      'PlexSignInError',
      'getSession',
      'signInWithPlex',
      'signOut',
    ])
  })

  it('has no runtime dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'))
    expect(pkg.dependencies ?? {}).toEqual({})
    expect(pkg.peerDependencies ?? {}).toEqual({})
    expect(pkg.type).toBe('module')
  })

  it(`is at most ${BUDGET} bytes minified and gzipped (the tsc build, bundled by esbuild)`, async () => {
    execFileSync(TSC, ['-p', join(PACKAGE_DIR, 'tsconfig.build.json'), '--outDir', outDir])
    const result = await build({
      entryPoints: [join(outDir, 'index.js')],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      // An import of another package would show up among the inputs.
      metafile: true,
    })
    expect(Object.keys(result.metafile.inputs).filter((input) => input.includes('node_modules'))).toEqual([])
    const size = gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length
    console.log(`@plexauth/browser: ${size} bytes min+gzip (budget ${BUDGET})`)
    expect(size).toBeGreaterThan(500)
    expect(size).toBeLessThanOrEqual(BUDGET)
  })
})
