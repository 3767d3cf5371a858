// Compiles every TypeScript example the docs show, extracted from the docs themselves so they cannot drift:
// the ```ts blocks of every README (and SECURITY.md), and every TSDoc `@example` in packages/*/src. They are
// compiled against the BUILT packages (dist .d.ts, as a user gets them) under the strictest settings a user
// may have (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, skipLibCheck false), with both
// `moduleResolution: nodenext` and `bundler`, once against Express 5 / Fastify 5 / Koa 3 and once against
// Express 4 / Fastify 4 / Koa 2. Run after `pnpm build`.
//
// A fragment (an example with no import of its own) gets the exports of the package it documents imported
// for it, and may use the few free names declared in GLOBALS below (`identity`, `token`, …), as a reader
// would assume them. A block preceded by `<!-- snippet: skip -->` (Markdown) is not compiled: use it only
// for text that is not TypeScript meant to compile, and say why next to it.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')
const OUT = join(ROOT, '.snippets')
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc')

function filesUnder(dir, filter) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : filesUnder(path, filter)
    return filter(path) ? [path] : []
  })
}

function packageDirs() {
  return readdirSync(join(ROOT, 'packages'))
    .map((name) => join(ROOT, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
}

/** The package a file belongs to: its name, its entry points' type files, and whether it runs in a browser. */
function packageOf(file) {
  for (const dir of packageDirs()) {
    if (!file.startsWith(`${dir}/`)) continue
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    return { name: manifest.name, dir, manifest }
  }
  return undefined
}

/** The framework a root-README fragment is about, from what it imports. */
function guessPackage(code) {
  return /@plexauth\/(express|fastify|koa)/.exec(code)?.[0]
}

/** The names a built entry point exports, read from its .d.ts (tsc emits plain export statements). */
function exportedNames(dtsFile) {
  if (!existsSync(dtsFile)) return []
  const text = readFileSync(dtsFile, 'utf8')
  const names = []
  for (const match of text.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    const allTypes = match[1] !== undefined
    for (const part of (match[2] ?? '').split(',')) {
      const spec = part.trim()
      if (spec === '') continue
      const isType = allTypes || spec.startsWith('type ')
      const name = spec
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .at(-1)
      if (name !== undefined && name !== 'default') names.push(isType ? `type ${name}` : name)
    }
  }
  for (const match of text.matchAll(
    /export\s+declare\s+(?:const|function|class|let|enum)\s+([A-Za-z0-9_$]+)/g,
  )) {
    names.push(match[1])
  }
  for (const match of text.matchAll(/export\s+(?:declare\s+)?(?:interface|type)\s+([A-Za-z0-9_$]+)/g)) {
    names.push(`type ${match[1]}`)
  }
  return [...new Set(names)]
}

/** `import { … } from '<entry>'` lines for every entry point of a package, one name imported once. */
function importsFor(pkg) {
  const seen = new Set()
  const lines = []
  for (const [subpath, target] of Object.entries(pkg.manifest.exports ?? {})) {
    const types = typeof target === 'object' ? target.types : undefined
    if (typeof types !== 'string') continue
    const names = exportedNames(join(pkg.dir, types)).filter((name) => {
      const bare = name.replace(/^type /, '')
      if (seen.has(bare)) return false
      seen.add(bare)
      return true
    })
    if (names.length > 0) {
      lines.push(
        `import { ${names.join(', ')} } from '${pkg.name}${subpath === '.' ? '' : subpath.slice(1)}'`,
      )
    }
  }
  return lines
}

/**
 * A TSDoc example may also use what its own module exports (an internal helper documents itself): those
 * names come from the module's built declarations, after the package's public ones.
 */
function ownModuleImports(pkg, file) {
  if (!file.endsWith('.ts')) return []
  const dts = join(pkg.dir, 'dist', relative(join(pkg.dir, 'src'), file).replace(/\.ts$/, '.d.ts'))
  const taken = new Set(
    importsFor(pkg)
      .flatMap((line) => (/\{(.*)\}/.exec(line)?.[1] ?? '').split(','))
      .map((n) => n.trim().replace(/^type /, '')),
  )
  const names = exportedNames(dts).filter((name) => !taken.has(name.replace(/^type /, '')))
  if (names.length === 0) return []
  const spec = relative(OUT, dts).replace(/\.d\.ts$/, '.js')
  return [`import { ${names.join(', ')} } from '${spec}'`]
}

// Free names a reader assumes in a fragment of one package's docs, each declared only where the fragment
// uses it without declaring or importing it itself. Precisely typed, never \`any\`.
const PRELUDES = {
  '': {
    MACHINE_ID: 'string',
    OWNER_ID: 'number',
    OWNER_TOKEN: 'string',
    /** A Node request, in the framework-free examples. */
    req: "import('node:http').IncomingMessage",
    /** The reader's own app factory, in the testing examples. */
    createApp:
      "(options: import('@plexauth/express').PlexAuthOptions & { machineIdentifier?: string }) => import('express').Express",
  },
  '@plexauth/express': {
    app: "import('express').Express",
    router: "import('express').Router",
    handler: "import('express').RequestHandler",
    req: "import('express').Request",
    res: "import('express').Response",
  },
  '@plexauth/fastify': {
    app: "import('fastify').FastifyInstance",
    handler: "import('fastify').RouteHandlerMethod",
    request: "import('fastify').FastifyRequest",
    reply: "import('fastify').FastifyReply",
  },
  '@plexauth/koa': {
    app: "import('koa')",
    /** A @koa/router router, as in the Koa README. */
    router: "import('@koa/router').Router<import('@plexauth/koa').PlexAuthState>",
    handler: "import('koa').Middleware",
    ctx: "import('koa').Context",
  },
}

/**
 * Whether a fragment declares or imports `name` itself (a binding, a destructured binding, an import), so
 * that a free name is not declared twice. A name merely passed as an argument (`get('/', guard, handler)`)
 * is a use, not a declaration.
 */
function declares(code, name) {
  return (
    new RegExp(`\\b(?:const|let|var|function|class)\\s+${name}\\b`).test(code) ||
    new RegExp(`\\b(?:const|let|var)\\s*[{[][^=]*\\b${name}\\b[^=]*=`).test(code) ||
    new RegExp(
      `\\bimport\\s+(?:type\\s+)?(?:\\{[^}]*\\b${name}\\b[^}]*\\}|\\*\\s*as\\s+${name}\\b|${name}\\b)`,
    ).test(code)
  )
}

function preludeFor(pkgName, code) {
  const names = { ...PRELUDES[''], ...(PRELUDES[pkgName ?? ''] ?? {}) }
  return Object.entries(names)
    .filter(([name]) => new RegExp(`\\b${name}\\b`).test(code))
    .filter(([name]) => !declares(code, name))
    .map(([name, type]) => `declare const ${name}: ${type}`)
}

function markdownSnippets(file) {
  const lines = readFileSync(file, 'utf8').split('\n')
  const snippets = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)\s*$/.exec(lines[i] ?? '')
    if (open === null) continue
    const skip =
      /<!--\s*snippet:\s*skip/.test(lines[i - 1] ?? '') || /<!--\s*snippet:\s*skip/.test(lines[i - 2] ?? '')
    const start = i + 1
    let end = start
    while (end < lines.length && !/^```\s*$/.test(lines[end] ?? '')) end++
    if (!skip) snippets.push({ file, line: start + 1, code: lines.slice(start, end).join('\n') })
    i = end
  }
  return snippets
}

function tsdocSnippets(file) {
  const lines = readFileSync(file, 'utf8').split('\n')
  const snippets = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example\b/.test(lines[i] ?? '')) continue
    let j = i + 1
    while (j < lines.length && !/^\s*\*\s*```(ts|typescript)\s*$/.test(lines[j] ?? '')) {
      if (/^\s*\*\//.test(lines[j] ?? '') || /^\s*\*\s*@/.test(lines[j] ?? '')) break
      j++
    }
    if (!/```(ts|typescript)/.test(lines[j] ?? '')) continue
    const start = j + 1
    let end = start
    while (end < lines.length && !/^\s*\*\s*```\s*$/.test(lines[end] ?? '')) end++
    const code = lines
      .slice(start, end)
      .map((line) => line.replace(/^\s*\* ?/, ''))
      .join('\n')
    snippets.push({ file, line: start + 1, code })
    i = end
  }
  return snippets
}

// Free names a reader assumes in a fragment: declared once, precisely typed, never `any`.
const GLOBALS = `import type { PlexIdentity, PlexVerifier } from '@plexauth/core'
import type { FakePlex } from '@plexauth/testing'
declare global {
  /** The fake plex.tv of a test (\`await createFakePlex()\`). */
  const plex: FakePlex
  /** The test runner's assertions and mocks, as in the reader's own tests. */
  const expect: typeof import('vitest').expect
  const vi: typeof import('vitest').vi
  /** An identity a verifier or middleware returned. */
  const identity: PlexIdentity
  /** A Plex token (a JWT or a legacy token) the app received. */
  const token: string
  /** A verifier the app built once. */
  const verifier: PlexVerifier
}
export {}
`

function collect() {
  const docs = [
    join(ROOT, 'README.md'),
    join(ROOT, 'SECURITY.md'),
    ...packageDirs().map((dir) => join(dir, 'README.md')),
    ...filesUnder(join(ROOT, 'examples'), (f) => f.endsWith('README.md')),
  ].filter((f) => existsSync(f))
  const sources = packageDirs().flatMap((dir) => filesUnder(join(dir, 'src'), (f) => f.endsWith('.ts')))
  return [...docs.flatMap(markdownSnippets), ...sources.flatMap(tsdocSnippets)]
}

function write(snippets) {
  rmSync(OUT, { recursive: true, force: true })
  mkdirSync(OUT, { recursive: true })
  writeFileSync(join(OUT, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  writeFileSync(join(OUT, 'globals.ts'), GLOBALS)
  const origins = new Map()
  const groups = { node: [], browser: [] }
  snippets.forEach((snippet, index) => {
    const pkg = packageOf(snippet.file)
    const browser = pkg?.name === '@plexauth/browser'
    const hasImports = /^\s*import\s/m.test(snippet.code)
    const head = [
      ...(!hasImports && pkg !== undefined
        ? [...importsFor(pkg), ...ownModuleImports(pkg, snippet.file)]
        : []),
      ...preludeFor(pkg?.name ?? guessPackage(snippet.code), snippet.code),
    ]
    const name = `s${String(index).padStart(3, '0')}.ts`
    const header = `// ${relative(ROOT, snippet.file)}:${snippet.line}\n`
    writeFileSync(join(OUT, name), `${header}${head.join('\n')}\n${snippet.code}\nexport {}\n`)
    origins.set(name, { ...snippet, offset: 2 + head.length })
    ;(browser ? groups.browser : groups.node).push(name)
  })
  return { origins, groups }
}

const FRAMEWORKS = {
  'express 5, fastify 5, koa 3': {},
  'express 4, fastify 4, koa 2': {
    express: ['./node_modules/@types/express4'],
    fastify: ['./node_modules/fastify4'],
    koa: ['./node_modules/@types/koa2'],
    // @fastify/cors 11 is for Fastify 5; Fastify 4 apps use 9.x, as the Fastify README says.
    '@fastify/cors': ['./node_modules/fastify-cors4'],
  },
}
const RESOLUTIONS = {
  nodenext: { module: 'NodeNext', moduleResolution: 'NodeNext' },
  bundler: { module: 'ESNext', moduleResolution: 'Bundler' },
}

// A package's declaration entry, not its folder: in an ES module under `nodenext`, a `paths` target that
// is a folder does not resolve, and TypeScript would silently fall back to the newer framework.
function typesEntry(dir) {
  const manifest = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'))
  const types = manifest.types ?? manifest.typings ?? 'index.d.ts'
  return `${dir}/${types.replace(/^\.\//, '')}`
}

function compile(files, group, frameworkPaths, resolution) {
  const paths = Object.fromEntries(
    Object.entries(frameworkPaths).map(([k, v]) => [k, v.map((p) => `.${typesEntry(p)}`)]),
  )
  const config = {
    compilerOptions: {
      target: 'ES2022',
      lib: group === 'browser' ? ['ES2023', 'DOM', 'DOM.Iterable'] : ['ES2023'],
      types: group === 'browser' ? [] : ['node'],
      ...resolution,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: false,
      noEmit: true,
      ...(Object.keys(paths).length > 0 ? { paths } : {}),
    },
    files: group === 'browser' ? files : ['globals.ts', ...files],
  }
  const configFile = join(OUT, `tsconfig.${group}.json`)
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  const result = spawnSync(TSC, ['-p', configFile, '--pretty', 'false'], { cwd: OUT, encoding: 'utf8' })
  return `${result.stdout ?? ''}${result.stderr ?? ''}`
}

// Errors that belong to us: in a snippet, or in a built @plexauth package's declarations. Third-party
// declaration files are the frameworks' business (and are what they are under these settings).
function ours(line) {
  return /^s\d{3}\.ts\(/.test(line) || /packages\/[a-z]+\/dist\//.test(line) || /@plexauth\//.test(line)
}

function report(output, origins) {
  const errors = []
  for (const line of output.split('\n')) {
    if (!/error TS\d+/.test(line) || !ours(line)) continue
    const match = /^(s\d{3}\.ts)\((\d+),(\d+)\)(.*)$/.exec(line)
    const origin = match ? origins.get(match[1]) : undefined
    if (match && origin) {
      const docLine = origin.line + Number(match[2]) - 1 - origin.offset
      errors.push(`${relative(ROOT, origin.file)}:${docLine}:${match[3]}${match[4]}`)
    } else {
      errors.push(line.replace(`${ROOT}/`, ''))
    }
  }
  return [...new Set(errors)]
}

const snippets = collect()
const { origins, groups } = write(snippets)
let failures = 0
for (const [frameworks, frameworkPaths] of Object.entries(FRAMEWORKS)) {
  for (const [resolutionName, resolution] of Object.entries(RESOLUTIONS)) {
    for (const [group, files] of Object.entries(groups)) {
      if (files.length === 0) continue
      const errors = report(compile(files, group, frameworkPaths, resolution), origins)
      const label = `${group} snippets, ${frameworks}, moduleResolution ${resolutionName}`
      if (errors.length === 0) {
        console.log(`snippets ok: ${files.length} ${label}`)
      } else {
        failures += errors.length
        console.error(`snippets failing (${label}):\n  ${errors.join('\n  ')}`)
      }
    }
  }
}
if (failures === 0) rmSync(OUT, { recursive: true, force: true })
process.exit(failures === 0 ? 0 : 1)
