import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// core/src is grouped in domain folders, lowest first: a folder may import from its own level or below,
// never from a higher one, so each domain can be read (and tested) without the ones built on it.
const LEVELS = ['lib', 'jwt', 'keys', 'plex-tv', 'verifier', 'http', 'session', 'login'] as const
// The only files outside the domain folders: the package's entry points (`exports` in package.json). Types
// live with their domain (e.g. jwt/identity-types.ts), never in a shared top-level file.
const ENTRY_POINTS = ['index.ts', 'adapter.ts', 'plex-tv.ts']
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  )
}

/** The domain of a file under src: its first folder, or '' for a file at the top (an entry point). */
function domainOf(file: string): string {
  const parts = relative(SRC, file).split('/')
  return parts.length > 1 ? (parts[0] ?? '') : ''
}

function relativeImports(text: string): string[] {
  return [...text.matchAll(/(?:from|import\(?)\s*'(\.{1,2}\/[^']+)'/g)].map((match) => match[1] ?? '')
}

describe('core/src layering', () => {
  const files = sourceFiles(SRC)

  it('every file sits in a known domain folder (or is a top-level entry point)', () => {
    const unknown = files.filter((file) => {
      const domain = domainOf(file)
      return domain !== '' && !(LEVELS as readonly string[]).includes(domain)
    })
    expect(unknown).toEqual([])
  })

  it('only entry points sit at the top level', () => {
    const top = files.filter((file) => domainOf(file) === '').map((file) => relative(SRC, file))
    expect(top.sort()).toEqual([...ENTRY_POINTS].sort())
  })

  it('no import runs from a lower domain up to a higher one', () => {
    const upward: string[] = []
    for (const file of files) {
      const from = domainOf(file)
      if (from === '') continue
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
        const target = domainOf(resolve(dirname(file), spec))
        if (target === '') {
          // The top level holds only entry points: a domain importing one would import every domain.
          upward.push(`${relative(SRC, file)} -> ${spec}`)
          continue
        }
        if (
          LEVELS.indexOf(target as (typeof LEVELS)[number]) > LEVELS.indexOf(from as (typeof LEVELS)[number])
        ) {
          upward.push(`${relative(SRC, file)} -> ${spec}`)
        }
      }
    }
    expect(upward).toEqual([])
  })
})
