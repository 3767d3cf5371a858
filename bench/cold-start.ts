import { execFileSync } from 'node:child_process'
import { request } from 'node:http'
import { createPlexVerifier } from '@plexauth/core'
import { type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { type AppOptions, ROUTE } from './app-options.js'
import { startExpressApp } from './express-app.js'
import { CLIENT_ID, check, USER_ID } from './fixtures.js'
import { progress } from './log.js'
import type { BenchSettings } from './settings.js'
import { percentile } from './stats.js'

export interface ColdStartResult {
  requests: number
  /** Key fetches the verifier made, and requests the fake's key endpoint received: both must be 1. */
  keyFetches: number
  keyEndpointRequests: number
  /** Latency of each request from its start to the end of its answer, in ms. */
  p50: number
  p99: number
  max: number
  /** From the first request to the last answer, in ms. */
  wallMs: number
  /** From the first request to the key set being fetched and installed, in ms. */
  keysReadyMs: number
  /** Requests that got no answer at all (e.g. EMFILE when the file descriptor limit is low). */
  socketErrors: number
  /** The same burst on a fresh Express app without authentication. */
  baselineP50: number
  baselineP99: number
}

interface Outcome {
  status: number
  body: string
  ms: number
}

function get(url: string, token: string): Promise<Outcome | Error> {
  const started = performance.now()
  return new Promise((resolve) => {
    // A new connection per request: a server that just started has no kept-alive clients.
    const req = request(url, { agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }))
      res.on('error', resolve)
    })
    req.on('error', resolve)
    req.end()
  })
}

interface Burst {
  latencies: number[]
  wallMs: number
  socketErrors: number
}

/** All requests at once, one per token; every answer must be a 200 carrying the expected user. */
async function burst(
  url: string,
  tokens: readonly string[],
  expectedId: number,
  name: string,
): Promise<Burst> {
  const started = performance.now()
  const outcomes = await Promise.all(tokens.map((token) => get(url, token)))
  const wallMs = performance.now() - started
  const answered = outcomes.filter((outcome): outcome is Outcome => !(outcome instanceof Error))
  const socketErrors = outcomes.length - answered.length
  if (socketErrors > 0) {
    const first = outcomes.find((outcome) => outcome instanceof Error) as Error
    progress(`  warning: ${socketErrors} ${name} requests got no answer (${first.message})`)
  }
  check(answered.length > 0, `no ${name} request was answered`)
  for (const outcome of answered) {
    check(outcome.status === 200, `a ${name} request was answered ${outcome.status}: ${outcome.body}`)
    const id = (JSON.parse(outcome.body) as { id?: unknown }).id
    check(id === expectedId, `a ${name} answer carries user ${String(id)}`)
  }
  return { latencies: answered.map((outcome) => outcome.ms), wallMs, socketErrors }
}

/**
 * A freshly started Express app with a fresh verifier (no keys, no verified tokens) receives
 * `coldRequests` requests at once, each from a different user (a distinct token): all of them must
 * be answered 200 with their user, after one single key fetch. The same burst on a fresh app without
 * authentication then gives the latency that is not plexauth's.
 */
export async function runColdStart(plex: FakePlex, settings: BenchSettings): Promise<ColdStartResult> {
  const tokens = Array.from({ length: burstSize(settings.coldRequests) }, () => plex.issueToken())
  const backlog = 2 * settings.coldRequests
  // Both bursts below find Node's and Express's code equally warm.
  await withApp({ auth: 'none', plex, backlog }, (url) => burst(url, tokens.slice(0, 100), 0, 'warm-up'))
  plex.resetCounters()
  let keysAt = Number.NaN
  const verifier = createPlexVerifier({
    jwksUrl: plex.jwksUrl,
    clientIdentifier: CLIENT_ID,
    onEvent: (event) => {
      if (event.type === 'keys_fetched') keysAt = performance.now()
    },
  })
  let started = 0
  const cold = await withApp({ auth: 'plexauth', plex, verifier, backlog }, (url) => {
    started = performance.now()
    return burst(url, tokens, USER_ID, 'cold-start')
  })
  const keyFetches = verifier.stats().keyFetches
  const keyEndpointRequests = plex.requests(PLEX_PATHS.keys)
  check(keyFetches === 1, `the cold start made ${keyFetches} key fetches`)
  check(keyEndpointRequests === 1, `the key endpoint received ${keyEndpointRequests} requests`)
  const baseline = await withApp({ auth: 'none', plex, backlog }, (url) =>
    burst(url, tokens, 0, 'cold-start (no auth)'),
  )
  return {
    requests: tokens.length,
    keyFetches,
    keyEndpointRequests,
    p50: percentile(cold.latencies, 50),
    p99: percentile(cold.latencies, 99),
    max: Math.max(...cold.latencies),
    wallMs: cold.wallMs,
    keysReadyMs: keysAt - started,
    socketErrors: cold.socketErrors,
    baselineP50: percentile(baseline.latencies, 50),
    baselineP99: percentile(baseline.latencies, 99),
  }
}

/** Open files this process may have (`ulimit -n`); Infinity when unknown. */
function openFileLimit(): number {
  try {
    const limit = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()
    return limit === 'unlimited' ? Number.POSITIVE_INFINITY : Number(limit) || Number.POSITIVE_INFINITY
  } catch {
    return Number.POSITIVE_INFINITY
  }
}

/**
 * Each request holds two sockets (client and server side) in this process: with a low `ulimit -n`
 * the burst shrinks, rather than failing on EMFILE (the table shows the number actually sent).
 */
function burstSize(wanted: number): number {
  const fits = Math.floor((openFileLimit() - 200) / 2)
  if (fits >= wanted) return wanted
  progress(`  warning: ulimit -n allows ${Math.max(fits, 1)} concurrent requests, not ${wanted}`)
  return Math.max(fits, 1)
}

/** A fresh Express app for one burst. */
async function withApp<T>(options: AppOptions, run: (url: string) => Promise<T>): Promise<T> {
  const app = await startExpressApp(options)
  try {
    return await run(`${app.url}${ROUTE}`)
  } finally {
    await app.close()
  }
}
