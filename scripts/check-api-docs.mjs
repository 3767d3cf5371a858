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
  for (const pkg of api.children ?? []) {
    for (const reflection of pkg.children ?? []) {
      const where = `${pkg.name}: ${reflection.name}`
      if (!tagsOf(reflection).some((tag) => tag.tag === '@example')) problems.push(`${where} has no @example`)
      for (const member of reflection.children ?? []) {
        const states = /\bdefault(?:s)?\b[^.]*?(?:`|\d|true|false)/i.test(text(member.comment))
        if (states && !tagsOf(member).some((tag) => tag.tag === '@default' || tag.tag === '@defaultValue')) {
          problems.push(`${where}.${member.name} states a default without a @default tag`)
        }
      }
    }
  }
}
if (build.status !== 0) problems.push(`typedoc exited with ${build.status}:\n${output}`)
if (problems.length > 0) {
  console.error(`api docs: ${problems.length} problem(s)\n  ${[...new Set(problems)].join('\n  ')}`)
  process.exit(1)
}
console.log('api docs ok: docs/api')
