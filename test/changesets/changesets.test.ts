import { readdirSync, readFileSync } from 'node:fs'
import parse from '@changesets/parse'
import { describe, expect, test } from 'vitest'

// `changeset version` reads each pending changeset with @changesets/parse; one it cannot read fails the
// release, and one whose front matter became text (a formatter turning `'pkg': patch` over `---` into a
// heading) would lose its changelog entry. biome.json leaves .changeset alone for that reason.
const CHANGESETS = new URL('../../.changeset/', import.meta.url)
const PACKAGES = new URL('../../packages/', import.meta.url)

const names = new Set(
  readdirSync(PACKAGES).map(
    (dir) =>
      (JSON.parse(readFileSync(new URL(`${dir}/package.json`, PACKAGES), 'utf8')) as { name: string }).name,
  ),
)
const pending = readdirSync(CHANGESETS).filter((file) => file.endsWith('.md') && file !== 'README.md')

describe('pending changesets', () => {
  test.each(pending)('%s names plexauth packages, a bump for each, and a summary', (file) => {
    const { releases, summary } = parse(readFileSync(new URL(file, CHANGESETS), 'utf8'))
    expect(releases.length).toBeGreaterThan(0)
    for (const { name, type } of releases) {
      expect(names, name).toContain(name)
      expect(['patch', 'minor', 'major']).toContain(type)
    }
    expect(summary.trim()).not.toBe('')
  })

  test('a front matter turned into a heading is refused, so the check above can fail', () => {
    expect(() => parse("---\n\n## '@plexauth/core': patch\n\nA fix.\n")).toThrow()
    expect(parse("---\n'@plexauth/core': patch\n---\n\nA fix.\n").releases).toEqual([
      { name: '@plexauth/core', type: 'patch' },
    ])
  })
})
