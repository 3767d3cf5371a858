// The packaging check of the test command: packs every published package as `pnpm publish` would, checks
// each tarball (manifest, files, links, source maps), runs publint (strict) and @arethetypeswrong/cli
// (ESM-only profile) on it, then installs the tarballs into a clean project outside the workspace and runs
// one ESM app and one CommonJS app there against the fake plex.tv. Run after `pnpm build`.
//
//   node scripts/check-packages.mjs            everything
//   node scripts/check-packages.mjs --no-install   the tarball checks only (no consumer install)
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')
const PNPM = ['-y', 'pnpm@10.34.8']
const BIN = join(ROOT, 'node_modules', '.bin')
const install = !process.argv.includes('--no-install')
const problems = []

function problem(pkg, message) {
  problems.push(`${pkg}: ${message}`)
  console.error(`packaging: ${pkg}: ${message}`)
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options })
  return { code: result.status ?? 1, output: `${result.stdout ?? ''}${result.stderr ?? ''}` }
}

function published() {
  const dir = join(ROOT, 'packages')
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'package.json')))
    .map((name) => ({
      dir: join(dir, name),
      manifest: JSON.parse(readFileSync(join(dir, name, 'package.json'), 'utf8')),
    }))
    .filter(({ manifest }) => manifest.private !== true)
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  )
}

function checkManifest(name, manifest) {
  const text = JSON.stringify(manifest)
  if (text.includes('dev-source')) problem(name, 'the packed manifest still has the dev-source condition')
  if (text.includes('workspace:')) problem(name, 'the packed manifest still has a workspace: range')
  for (const field of ['license', 'repository', 'homepage', 'bugs', 'keywords', 'description', 'engines']) {
    if (manifest[field] === undefined) problem(name, `package.json has no "${field}"`)
  }
  for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
    if (dep.startsWith('@plexauth/') && !/^\^/.test(range)) {
      problem(name, `${dep} is pinned to "${range}": internal dependencies use a caret range`)
    }
  }
}

// A README link must work on the registry page: absolute, an anchor, or a file inside the tarball.
function checkReadme(name, root) {
  const readme = join(root, 'README.md')
  if (!existsSync(readme)) return problem(name, 'no README.md in the tarball')
  const text = readFileSync(readme, 'utf8')
  for (const match of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = match[1] ?? ''
    if (/^(?:[a-z]+:|#)/i.test(target)) continue
    const file = target.split('#')[0] ?? ''
    if (!existsSync(join(root, file))) problem(name, `README links to ${target}, which is not in the tarball`)
  }
}

// A source map is useful only with its sources: they are inlined (tsconfig `inlineSources`).
function checkSourceMaps(name, root) {
  for (const file of filesUnder(root).filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(file, 'utf8'))
    const contents = map.sourcesContent ?? []
    if (contents.length !== map.sources.length || contents.some((c) => typeof c !== 'string')) {
      problem(name, `${relative(root, file)} points at sources it does not carry`)
    }
  }
}

// A user's project: the tarballs and the frameworks from the registry, nothing from the workspace.
function consumer() {
  const app = mkdtempSync(join(tmpdir(), 'plexauth-consumer-'))
  try {
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }),
    )
    const deps = [...tarballs.values(), 'express@5', 'fastify@5', 'koa@3']
    const npm = run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', ...deps],
      { cwd: app },
    )
    if (npm.code !== 0) return problem('consumer', `npm install of the tarballs failed:\n${npm.output}`)
    writeFileSync(join(app, 'esm.mjs'), ESM_APP)
    writeFileSync(join(app, 'cjs.cjs'), CJS_APP)
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const result = run(process.execPath, ['--no-warnings', file], { cwd: app, timeout: 60_000 })
      if (result.code !== 0 || !result.output.includes('consumer ok')) {
        problem('consumer', `${file} failed:\n${result.output}`)
      } else {
        console.log(`consumer: ${file} ${result.output.trim().split('\n').at(-1)}`)
      }
    }
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
}

const CHECKS = `
  const fake = await createFakePlex()
  const options = { clientIdentifier: 'consumer-app', jwksUrl: fake.jwksUrl }
  const expressApp = express()
  expressApp.use(express.plexAuth(options))
  expressApp.get('/me', (req, res) => res.json({ id: req.plex.user.id }))
  const koaApp = new Koa()
  koaApp.use(koa.plexAuth(options))
  koaApp.use((ctx) => { ctx.body = { id: ctx.state.plex.user.id } })
  const fastifyApp = Fastify()
  await fastifyApp.register(fastify.plexAuth, options)
  fastifyApp.get('/me', async (request) => ({ id: request.plex.user.id }))
  await fastifyApp.listen({ port: 0, host: '127.0.0.1' })
  const servers = [expressApp.listen(0, '127.0.0.1'), koaApp.listen(0, '127.0.0.1')]
  await Promise.all(servers.map((s) => new Promise((r) => s.once('listening', r))))
  const urls = [...servers.map((s) => 'http://127.0.0.1:' + s.address().port), 'http://127.0.0.1:' + fastifyApp.server.address().port]
  const token = fake.issueToken({ clientIdentifier: 'consumer-app', user: { id: 77 } })
  const verifier = core.createPlexVerifier(options)
  if ((await verifier.verify(token)).user.id !== 77) throw new Error('verify')
  for (const url of urls) {
    const anonymous = await fetch(url + '/me')
    const signed = await fetch(url + '/me', { headers: { authorization: 'Bearer ' + token } })
    const body = await signed.json()
    if (anonymous.status !== 401 || signed.status !== 200 || body.id !== 77) {
      throw new Error(url + ': ' + anonymous.status + ' ' + signed.status + ' ' + JSON.stringify(body))
    }
  }
  for (const s of servers) s.close()
  await fastifyApp.close()
  await fake.close()
  console.log('consumer ok')
`

const ESM_APP = `import * as core from '@plexauth/core'
import * as expressAdapter from '@plexauth/express'
import * as fastify from '@plexauth/fastify'
import * as koa from '@plexauth/koa'
import { createFakePlex } from '@plexauth/testing'
import expressFactory from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
const express = Object.assign(() => expressFactory(), { plexAuth: expressAdapter.plexAuth })
${CHECKS}`

// require() of an ES module needs Node >= 20.19 (22.12), which is what the packages' engines say.
const CJS_APP = `const core = require('@plexauth/core')
const expressAdapter = require('@plexauth/express')
const fastify = require('@plexauth/fastify')
const koa = require('@plexauth/koa')
const { createFakePlex } = require('@plexauth/testing')
const expressFactory = require('express')
const Fastify = require('fastify')
const Koa = require('koa')
const express = Object.assign(() => expressFactory(), { plexAuth: expressAdapter.plexAuth })
;(async () => {
${CHECKS}
})().catch((err) => { console.error(err); process.exit(1) })`

const work = mkdtempSync(join(tmpdir(), 'plexauth-pack-'))
const tarballs = new Map()
try {
  for (const { dir, manifest } of published()) {
    const name = manifest.name
    const out = join(work, name.replace(/[@/]/g, '_'))
    mkdirSync(out)
    const packed = run('npx', [...PNPM, 'pack', '--pack-destination', out], { cwd: dir })
    const tarball = readdirSync(out).find((f) => f.endsWith('.tgz'))
    if (packed.code !== 0 || tarball === undefined) {
      problem(name, `pnpm pack failed:\n${packed.output}`)
      continue
    }
    const tgz = join(out, tarball)
    tarballs.set(name, tgz)
    execFileSync('tar', ['-xzf', tgz, '-C', out])
    const root = join(out, 'package')
    checkManifest(name, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')))
    if (!existsSync(join(root, 'LICENSE'))) problem(name, 'no LICENSE in the tarball')
    checkReadme(name, root)
    checkSourceMaps(name, root)
    const publint = run(join(BIN, 'publint'), ['run', tgz, '--strict'])
    if (publint.code !== 0 || !publint.output.includes('All good'))
      problem(name, `publint:\n${publint.output}`)
    const attw = run(join(BIN, 'attw'), [tgz, '--profile', 'esm-only', '--no-emoji', '--no-color'])
    if (attw.code !== 0) problem(name, `@arethetypeswrong/cli:\n${attw.output}`)
    console.log(`packed: ${name} (${tarball})`)
  }
  if (install && problems.length === 0) consumer()
} finally {
  rmSync(work, { recursive: true, force: true })
}

if (problems.length > 0) {
  console.error(`packaging: ${problems.length} problem(s)`)
  process.exit(1)
}
console.log('packaging ok')
