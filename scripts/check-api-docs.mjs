// Builds the API reference (docs/api, HTML and api.json) with TypeDoc from the TSDoc of the published
// packages, and fails when the docs have rotted: a TypeDoc warning (a broken {@link}, a referenced type
// that is not exported), an export without an `@example`, or an option whose text states a default
// without a `@default` tag.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')
const TOOL = join(ROOT, 'tools', 'api-docs')
const build = spawnSync(join(TOOL, 'node_modules', '.bin', 'typedoc'), ['--options', 'typedoc.json'], {
  cwd: TOOL,
  encoding: 'utf8',
})
const output = `${build.stdout ?? ''}${build.stderr ?? ''}`
const problems = output
  .split('\n')
  .filter((line) => /\[(warning|error)\]/.test(line) && !/Found \d+ errors and \d+ warnings/.test(line))

if (build.status === 0 || problems.length > 0) {
  const api = JSON.parse(readFileSync(join(ROOT, 'docs', 'api', 'api.json'), 'utf8'))
  const tagsOf = (reflection) => [
    ...(reflection.comment?.blockTags ?? []),
    ...(reflection.signatures ?? []).flatMap((signature) => signature.comment?.blockTags ?? []),
  ]
  const text = (comment) => (comment?.summary ?? []).map((part) => part.text).join('')
  const MODULE = 2
  // A package with several entry points (`@plexauth/core`, `/adapter`, `/plex-tv`) is a module per entry
  // point; a reference (`export default plexAuth`) points at a reflection checked under its own name.
  const check = (where, reflections) => {
    for (const reflection of reflections ?? []) {
      if (reflection.kind === MODULE) {
        check(`${where}/${reflection.name}`, reflection.children)
        continue
      }
      if (reflection.variant === 'reference') continue
      const name = `${where}: ${reflection.name}`
      if (!tagsOf(reflection).some((tag) => tag.tag === '@example')) problems.push(`${name} has no @example`)
      for (const member of reflection.children ?? []) {
        // Inherited members (`Error.stackTraceLimit`) are documented where they are declared.
        if (member.inheritedFrom !== undefined) continue
        const states = /\bdefault(?:s)?\b[^.]*?(?:`|\d|true|false)/i.test(text(member.comment))
        if (states && !tagsOf(member).some((tag) => tag.tag === '@default' || tag.tag === '@defaultValue')) {
          problems.push(`${name}.${member.name} states a default without a @default tag`)
        }
      }
    }
  }
  for (const pkg of api.children ?? []) check(pkg.name, pkg.children)
}
if (build.status !== 0) problems.push(`typedoc exited with ${build.status}:\n${output}`)
if (problems.length > 0) {
  console.error(`api docs: ${problems.length} problem(s)\n  ${[...new Set(problems)].join('\n  ')}`)
  process.exit(1)
}
console.log('api docs ok: docs/api')
