import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { expect, test } from 'vitest'

const CLI = join(import.meta.dirname, '../src/cli.ts')

test('the bin runs the fake standalone, prints its URLs and accounts, and stops cleanly on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    ['--conditions=dev-source', '--import', 'tsx', CLI, '--port', '0', '--host', '127.0.0.1'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  try {
    await expect.poll(() => output, { timeout: 15_000, interval: 50 }).toContain('Ctrl-C stops it.')
    const url = /plex\.tv and clients\.plex\.tv\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
    expect(url).toBeDefined()
    expect(output).toContain(`app.plex.tv/auth             ${url}/auth`)
    expect(output).toContain(`control surface              ${url}/__fake`)
    expect(output).toMatch(/\d+ {2}friend {2}the server is shared with them/)
    const state = (await (await fetch(`${url}/__fake`)).json()) as { accounts: { username: string }[] }
    expect(state.accounts.map((account) => account.username)).toEqual(['plexuser', 'friend', 'stranger'])
    expect((await fetch(`${url}/api/v2/auth/keys`)).status).toBe(200)
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
  }
})
