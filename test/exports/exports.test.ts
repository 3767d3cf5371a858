import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { API, type Project, SymbolFlags } from 'typescript/unstable/sync'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

// The public surface of every package entry point, runtime and types, snapshotted so that it changes only
// on purpose (`vitest run test/exports -u`, then say why in the commit). One row per entry point.
// The README, when it promises to list the entry point's exports (the adapters state the same re-export list).
const ENTRIES: readonly { entry: string; readme?: string }[] = [
  { entry: '@plexauth/core', readme: 'packages/core/README.md' },
  { entry: '@plexauth/core/adapter', readme: 'packages/core/README.md' },
  { entry: '@plexauth/core/plex-tv', readme: 'packages/core/README.md' },
  { entry: '@plexauth/express', readme: 'packages/express/README.md' },
  { entry: '@plexauth/fastify', readme: 'packages/fastify/README.md' },
  { entry: '@plexauth/koa', readme: 'packages/koa/README.md' },
  { entry: '@plexauth/testing', readme: 'packages/testing/README.md' },
  { entry: '@plexauth/client' },
  { entry: '@plexauth/redis', readme: 'packages/redis/README.md' },
  { entry: '@plexauth/browser', readme: 'packages/browser/README.md' },
]

const ROOT = resolve(import.meta.dirname, '../..')

/** Every entry point the packages publish, with its source file (the `dev-source` condition). */
function publishedEntries(): Map<string, string> {
  const entries = new Map<string, string>()
  for (const dir of readdirSync(join(ROOT, 'packages'))) {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8'))
    for (const [subpath, target] of Object.entries<{ 'dev-source'?: string }>(pkg.exports ?? {})) {
      const name = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`
      if (target['dev-source'] !== undefined)
        entries.set(name, join(ROOT, 'packages', dir, target['dev-source']))
    }
  }
  return entries
}
const published = publishedEntries()

function entryFile(specifier: string): string {
  const file = published.get(specifier)
  if (file === undefined) throw new Error(`${specifier} is not in any package.json exports map`)
  return file
}

let api: API
let projects: Project[]

beforeAll(() => {
  // TypeScript 7's compiler API (a tsgo process): the checker's own view of each module's exports.
  api = new API({ cwd: ROOT })
  // @plexauth/browser is checked in its own project (DOM lib, no Node types in its source).
  const configs = [join(ROOT, 'tsconfig.json'), join(ROOT, 'packages', 'browser', 'tsconfig.json')]
  const snapshot = api.updateSnapshot({ openProjects: configs })
  projects = configs.map((config) => snapshot.getProject(config) ?? expect.unreachable())
}, 60_000)
afterAll(() => api?.close())

/** Names the module exports only as types (interfaces, type aliases), as the checker sees them. */
function typeOnlyExports(file: string): string[] {
  const project = projects.find((p) => p.program.getSourceFile(file) !== undefined)
  if (project === undefined) return expect.unreachable(`${file} is in no tsconfig.json`)
  const { checker, program } = project
  const source = program.getSourceFile(file) ?? expect.unreachable()
  const module = checker.getSymbolAtLocation(source) ?? expect.unreachable(`${file} is not a module`)
  return checker
    .getExportsOfModule(module)
    .filter((symbol) => {
      const target = symbol.flags & SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
      return (target.flags & SymbolFlags.Value) === 0
    })
    .map((symbol) => symbol.name)
    .sort()
}

test('every published entry point has a row', () => {
  expect([...published.keys()].sort()).toEqual(ENTRIES.map(({ entry }) => entry).sort())
})

describe.each(ENTRIES)('$entry', ({ entry: specifier, readme }) => {
  test('runtime and type exports match the snapshot', async () => {
    const file = entryFile(specifier)
    const runtime = Object.keys(await import(file)).sort()
    expect({ runtime, types: typeOnlyExports(file) }).toMatchSnapshot()
  })

  test('no `export *`: each entry point names what it exports', () => {
    const file = entryFile(specifier)
    expect(readFileSync(file, 'utf8')).not.toMatch(/export\s+(type\s+)?\*/)
  })

  test.runIf(readme !== undefined)('the README names every export', async () => {
    const file = entryFile(specifier)
    const text = readFileSync(join(ROOT, readme ?? ''), 'utf8')
    const names = [...Object.keys(await import(file)), ...typeOnlyExports(file)].filter(
      (n) => n !== 'default',
    )
    expect(names.filter((name) => !new RegExp(`\\b${name}\\b`).test(text))).toEqual([])
  })
})
