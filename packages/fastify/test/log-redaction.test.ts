import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, test } from 'vitest'

const CHILD = fileURLToPath(new URL('./fixtures/log-flood.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const MIB = 1 << 20

// Issue 11: the plugin's request serializer redacts every logged URL before authentication. With a
// backtracking redaction, 64 KB of `eyJ` held a core for seconds; 1 MiB would hold it for many minutes. The
// flood runs in a child process that the stop below kills (a test timeout cannot interrupt synchronous work):
// linear redaction finishes the 32 requests in a second or two, far inside it.
test('1 MiB adversarial URLs go through the logger of Fastify 5 and 4 redacted, in linear time', async () => {
  const secret = '2ffLuB84dqLswk9skLos'
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--conditions=dev-source', CHILD, String(MIB), secret],
    { cwd: ROOT, timeout: 60_000, maxBuffer: 1 << 20 },
  )
  const results = JSON.parse(stdout) as {
    name: string
    requests: number
    logged: number
    shortest: number
    redacted: number
    leaked: boolean
  }[]
  expect(results.map((result) => result.name)).toEqual(['Fastify 5', 'Fastify 4'])
  for (const result of results) {
    // Every request was logged with its whole (flood) URL, and its token replaced.
    expect(result.logged, result.name).toBe(result.requests)
    expect(result.shortest, result.name).toBeGreaterThan(MIB / 4)
    expect(result.redacted, result.name).toBe(result.requests)
    expect(result.leaked, result.name).toBe(false)
  }
}, 90_000)
