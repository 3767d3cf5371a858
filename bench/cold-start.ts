import { request } from 'node:http'
import { createPlexVerifier } from '@plexauth/core'
import { type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { ROUTE } from './app-options.js'
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
  /** Requests that got no answer at all (e.g. EMFILE when the file descriptor limit is low). */
  socketErrors: number
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

/**
 * A freshly started Express app with a fresh verifier (no keys, no verified tokens) receives
 * `coldRequests` requests at once, each from a different user (a distinct token): all of them must
 * be answered 200 with their user, after one single key fetch.
 */
export async function runColdStart(plex: FakePlex, settings: BenchSettings): Promise<ColdStartResult> {
  const tokens = Array.from({ length: settings.coldRequests }, () => plex.issueToken())
  plex.resetCounters()
  const verifier = createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT_ID })
  const app = await startExpressApp({ auth: 'plexauth', plex, verifier, backlog: 2 * settings.coldRequests })
  try {
    const url = `${app.url}${ROUTE}`
    const started = performance.now()
    const outcomes = await Promise.all(tokens.map((token) => get(url, token)))
    const wallMs = performance.now() - started
    const answered = outcomes.filter((outcome): outcome is Outcome => !(outcome instanceof Error))
    const socketErrors = outcomes.length - answered.length
    if (socketErrors > 0) {
      const first = outcomes.find((outcome) => outcome instanceof Error) as Error
      progress(`  warning: ${socketErrors} cold-start requests got no answer (${first.message})`)
    }
    check(answered.length > 0, 'no cold-start request was answered')
    for (const outcome of answered) {
      check(outcome.status === 200, `a cold-start request was answered ${outcome.status}: ${outcome.body}`)
      check((JSON.parse(outcome.body) as { id?: unknown }).id === USER_ID, 'a cold-start answer lacks its user')
    }
    const latencies = answered.map((outcome) => outcome.ms)
    const result: ColdStartResult = {
      requests: outcomes.length,
      keyFetches: verifier.stats().keyFetches,
      keyEndpointRequests: plex.requests(PLEX_PATHS.keys),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      wallMs,
      socketErrors,
    }
    check(result.keyFetches === 1, `the cold start made ${result.keyFetches} key fetches`)
    check(result.keyEndpointRequests === 1, `the key endpoint received ${result.keyEndpointRequests} requests`)
    return result
  } finally {
    await app.close()
  }
}
