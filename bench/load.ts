import { type ChildProcess, fork } from 'node:child_process'
import { ROUTE } from './app-options.js'
import { pinProcess } from './cpu-pinning.js'
import { check, USER_ID } from './fixtures.js'
import type { RunningApp } from './listen.js'
import type { LoadAnswer, LoadRequest } from './load-client.js'

/** One autocannon run: requests per second and latency, in ms. */
export interface LoadResult {
  requestsPerSec: number
  /** CPU time (user + system) of the app's process per answered request, in µs (autocannon runs apart). */
  cpuPerRequest: number
  /** The user-space part of `cpuPerRequest` (the kernel's is the rest). */
  userCpuPerRequest: number
  p50: number
  p99: number
  requests: number
  errors: number
}

/** What each benchmark request carries: `Authorization: Bearer <token>`, or a session `Cookie`. */
export type Credentials = Record<string, string>

/**
 * Asserts what the app answers before it is measured: 200 with the user for an authenticated app given
 * its credentials (and 401 without), 200 with no user for the unauthenticated one. A benchmark of 401s
 * would be worthless.
 */
export async function sampleApp(
  app: RunningApp,
  credentials: Credentials,
  authenticated: boolean,
  name: string,
): Promise<void> {
  const withToken = await fetch(`${app.url}${ROUTE}`, { headers: credentials })
  const body = (await withToken.json().catch(() => undefined)) as { id?: unknown } | undefined
  check(withToken.status === 200, `${name} answered ${withToken.status} to valid credentials`)
  check(
    body?.id === (authenticated ? USER_ID : 0),
    `${name} answered ${JSON.stringify(body)} to valid credentials`,
  )
  if (authenticated) {
    const without = await fetch(`${app.url}${ROUTE}`)
    await without.arrayBuffer()
    check(without.status === 401, `${name} answered ${without.status} to a request without credentials`)
  }
}

let client: ChildProcess | undefined
let nextId = 0
const pending = new Map<number, (answer: LoadAnswer) => void>()

/** The load generator's process, started on first use; `stopLoadClient` ends it. */
function loadClient(): ChildProcess {
  if (client !== undefined) return client
  const child = fork(new URL('./load-client.ts', import.meta.url), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  pinProcess(child, 'load')
  child.on('message', (answer: LoadAnswer) => {
    pending.get(answer.id)?.(answer)
    pending.delete(answer.id)
  })
  child.on('exit', (code) => {
    for (const settle of pending.values()) settle({ id: -1, error: `load client exited (${code})` })
    pending.clear()
    client = undefined
  })
  client = child
  return child
}

export function stopLoadClient(): void {
  client?.kill()
  client = undefined
}

/**
 * autocannon in a process of its own, keep-alive, the same valid credentials repeated; every answer must
 * be a 2xx. The CPU time measured is that of the app's process (`app.cpuUsage`, else this process, which
 * then serves the app), not the load generator's.
 */
export async function load(
  app: RunningApp,
  credentials: Credentials,
  seconds: number,
  connections: number,
  name: string,
): Promise<LoadResult> {
  const id = nextId++
  const request: LoadRequest = {
    id,
    url: `${app.url}${ROUTE}`,
    connections,
    duration: seconds,
    headers: credentials,
  }
  const answered = new Promise<LoadAnswer>((resolve) => pending.set(id, resolve))
  const cpuUsage = app.cpuUsage ?? (() => Promise.resolve(process.cpuUsage()))
  const cpuBefore = await cpuUsage()
  loadClient().send(request)
  const answer = await answered
  const cpuAfter = await cpuUsage()
  const cpu = { user: cpuAfter.user - cpuBefore.user, system: cpuAfter.system - cpuBefore.system }
  const result = answer.result
  check(result !== undefined, `${name}: the load generator failed: ${answer.error}`)
  check(result.non2xx === 0, `${name} answered ${result.non2xx} non-2xx responses under load`)
  check(result.ok > 0, `${name} answered no request under load`)
  return {
    requestsPerSec: result.ok / result.duration,
    cpuPerRequest: (cpu.user + cpu.system) / result.ok,
    userCpuPerRequest: cpu.user / result.ok,
    p50: result.p50,
    p99: result.p99,
    requests: result.ok,
    errors: result.errors,
  }
}
