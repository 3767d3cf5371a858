import autocannon from 'autocannon'
import { ROUTE } from './app-options.js'
import { check, USER_ID } from './fixtures.js'
import type { RunningApp } from './listen.js'

/** One autocannon run: requests per second and latency, in ms. */
export interface LoadResult {
  requestsPerSec: number
  /** Process CPU time (user + system, server and autocannon together) per answered request, in µs. */
  cpuPerRequest: number
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

/** autocannon in this process, keep-alive, the same valid credentials repeated; every answer must be a 2xx. */
export async function load(
  app: RunningApp,
  credentials: Credentials,
  seconds: number,
  connections: number,
  name: string,
): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage()
  const result = await autocannon({
    url: `${app.url}${ROUTE}`,
    connections,
    duration: seconds,
    headers: credentials,
  })
  const cpu = process.cpuUsage(cpuBefore)
  check(result.non2xx === 0, `${name} answered ${result.non2xx} non-2xx responses under load`)
  check(result['2xx'] > 0, `${name} answered no request under load`)
  return {
    requestsPerSec: result['2xx'] / result.duration,
    cpuPerRequest: (cpu.user + cpu.system) / result['2xx'],
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result['2xx'],
    errors: result.errors,
  }
}
