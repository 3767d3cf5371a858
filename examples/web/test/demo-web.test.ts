// `pnpm demo:web` as a user runs it: the command prints the app's URL and the accounts, honours --port,
// serves the page, and stops on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')
let child: ChildProcess | undefined

function run(args: string[]): { output: () => string; exit: Promise<number | null> } {
  let output = ''
  const proc = spawn(TSX, ['--conditions=dev-source', 'examples/web/src/web.ts', ...args], {
    cwd: ROOT,
    // On the embedded fake, whatever the environment of the test run says.
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PLEXAUTH_'))),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child = proc
  proc.stdout.on('data', (chunk) => {
    output += chunk
  })
  proc.stderr.on('data', (chunk) => {
    output += chunk
  })
  return { output: () => output, exit: new Promise((resolve) => proc.once('exit', resolve)) }
}

afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL')
})

describe('pnpm demo:web', () => {
  it('prints the URL and the accounts, serves the page on the port asked for, stops on SIGTERM', async () => {
    // The --port given is taken as is: 0 asks for any free port, and the URL printed says which.
    const demo = run(['--port', '0'])
    await expect.poll(demo.output, { timeout: 30_000, interval: 200 }).toContain('Ctrl-C to stop')
    const url = /plexauth web example: (http:\/\/127\.0\.0\.1:\d+)/.exec(demo.output())?.[1]
    expect(url).toBeDefined()
    expect(demo.output()).toMatch(/owner\s+owns "Home Theater"/)
    expect(demo.output()).toMatch(/friend\s+"Home Theater" is shared with them/)
    expect(demo.output()).toMatch(/stranger\s+no access to "Home Theater"/)
    const page = await fetch(url!)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Sign in with Plex')
    child?.kill('SIGTERM')
    expect(await demo.exit).toBe(0)
  }, 40_000)

  it('refuses a --port that is not a port', async () => {
    const demo = run(['--port', 'eighty'])
    expect(await demo.exit).toBe(1)
    expect(demo.output()).toContain('--port needs a port number')
  }, 40_000)
})
