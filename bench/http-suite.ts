import { fork } from 'node:child_process'
import type { FakePlex } from '@plexauth/testing'
import type { AppOptions, AuthMode } from './app-options.js'
import { startExpressApp } from './express-app.js'
import { startFastifyApp } from './fastify-app.js'
import { startKoaApp } from './koa-app.js'
import type { RunningApp } from './listen.js'
import { type Credentials, type LoadResult, load, sampleApp, stopLoadClient } from './load.js'
import { progress } from './log.js'
import { signInCookie } from './session-cookie.js'
import type { BenchSettings } from './settings.js'
import { median, spread } from './stats.js'

export const FRAMEWORKS = ['express', 'fastify', 'koa'] as const
export type Framework = (typeof FRAMEWORKS)[number]

export const HTTP_VARIANTS = [
  'express-none',
  'express-none-cookie',
  'express-empty',
  'express-plexauth',
  'express-session',
  'express-peer',
  'fastify-none',
  'fastify-none-cookie',
  'fastify-empty',
  'fastify-plexauth',
  'fastify-session',
  'fastify-peer',
  'koa-none',
  'koa-none-cookie',
  'koa-empty',
  'koa-plexauth',
  'koa-session',
  'koa-peer',
] as const
export type HttpVariant = (typeof HTTP_VARIANTS)[number]

export const HTTP_LABELS: Record<HttpVariant, string> = {
  'express-none': 'Express 5, no auth',
  'express-none-cookie': 'Express 5, no auth, cookie request',
  'express-empty': 'Express 5 + an empty middleware',
  'express-plexauth': 'Express 5 + plexauth',
  'express-session': 'Express 5 + plexauth session cookie',
  'express-peer': 'Express 5 + express-oauth2-jwt-bearer',
  'fastify-none': 'Fastify 5, no auth',
  'fastify-none-cookie': 'Fastify 5, no auth, cookie request',
  'fastify-empty': 'Fastify 5 + an empty onRequest hook',
  'fastify-plexauth': 'Fastify 5 + plexauth',
  'fastify-session': 'Fastify 5 + plexauth session cookie',
  'fastify-peer': 'Fastify 5 + @fastify/jwt',
  'koa-none': 'Koa 3, no auth',
  'koa-none-cookie': 'Koa 3, no auth, cookie request',
  'koa-empty': 'Koa 3 + an empty middleware',
  'koa-plexauth': 'Koa 3 + plexauth',
  'koa-session': 'Koa 3 + plexauth session cookie',
  'koa-peer': 'Koa 3 + jose jwtVerify middleware',
}

/**
 * One app: requests per second (median over rounds) and each round, their spread in %, the median p99
 * latency in ms, and the server's CPU time per request in µs (median, and each round), which a busy
 * machine disturbs less than the request rate.
 */
export interface HttpMeasure {
  requestsPerSec: number
  rounds: number[]
  spread: number
  p99: number
  cpuPerRequest: number
  cpuRounds: number[]
  errors: number
}
export type HttpResult = Record<HttpVariant, HttpMeasure>

const STARTERS: Record<Framework, (options: AppOptions) => Promise<RunningApp>> = {
  express: startExpressApp,
  fastify: startFastifyApp,
  koa: startKoaApp,
}

/**
 * A variant's framework, what protects its app, and what its requests carry: the session cookie for the
 * `session` app and for the `none-cookie` app (the session row's baseline: the same request, without auth),
 * a bearer token otherwise. Each goal compares apps given the same request bytes, so that a ratio measures
 * the auth step alone, not the parsing of a longer header (the cookie header is about twice the token's).
 */
function parse(variant: HttpVariant): { framework: Framework; auth: AuthMode; cookie: boolean } {
  const [framework, auth, carries] = variant.split('-') as [Framework, AuthMode, string | undefined]
  return { framework, auth, cookie: auth === 'session' || carries === 'cookie' }
}

/** What a framework's child process is asked to measure. */
export interface HttpChildRequest {
  framework: Framework
  settings: Pick<BenchSettings, 'httpRounds' | 'httpSeconds' | 'httpWarmupSeconds' | 'connections'>
}

/** What it answers: the measures of that framework's apps, or why it failed. */
export type HttpChildAnswer = { result: Partial<HttpResult> } | { error: string }

/**
 * Each framework in a process of its own, as an app runs one framework: in one process, the frameworks
 * measured first leave Node's HTTP code and plexauth's core with inline caches shaped by their request
 * objects (Express gives every request a new prototype), which slowed every later framework's requests,
 * with and without auth, by up to a third.
 */
export async function runHttp(settings: BenchSettings): Promise<HttpResult> {
  const result = {} as HttpResult
  for (const framework of FRAMEWORKS) {
    const child = fork(new URL('./http-child.ts', import.meta.url), {
      execArgv: ['--import', 'tsx', '--conditions=dev-source'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const answer = await new Promise<HttpChildAnswer>((resolve) => {
      child.once('message', (message: HttpChildAnswer) => resolve(message))
      child.once('exit', (code) => resolve({ error: `the ${framework} benchmark process exited (${code})` }))
      const request: HttpChildRequest = {
        framework,
        settings: {
          httpRounds: settings.httpRounds,
          httpSeconds: settings.httpSeconds,
          httpWarmupSeconds: settings.httpWarmupSeconds,
          connections: settings.connections,
        },
      }
      child.send(request)
    })
    child.kill()
    if ('error' in answer) throw new Error(answer.error)
    Object.assign(result, answer.result)
  }
  return result
}

/**
 * One framework: every variant up at once, each sampled (a 200 carrying the user) and warmed up, then
 * measured in rounds whose order alternates, so that a noisy moment on the machine hits all of them.
 */
export async function runFramework(
  plex: FakePlex,
  settings: HttpChildRequest['settings'],
  framework: Framework,
): Promise<Partial<HttpResult>> {
  const token = plex.issueToken()
  const bearer: Credentials = { authorization: `Bearer ${token}` }
  // A session cookie as a browser holds it after "Sign in with Plex" against the fake.
  const cookie: Credentials = { cookie: await signInCookie(plex) }
  const credentials = (variant: HttpVariant) => (parse(variant).cookie ? cookie : bearer)
  const result: Partial<HttpResult> = {}
  try {
    const variants = HTTP_VARIANTS.filter((variant) => parse(variant).framework === framework)
    const apps = new Map<HttpVariant, RunningApp>()
    try {
      for (const variant of variants) {
        const { auth } = parse(variant)
        const app = await STARTERS[framework]({ auth, plex })
        apps.set(variant, app)
        const label = HTTP_LABELS[variant]
        await sampleApp(app, credentials(variant), auth !== 'none' && auth !== 'empty', label)
        await load(app, credentials(variant), settings.httpWarmupSeconds, settings.connections, label)
      }
      const rounds = new Map<HttpVariant, LoadResult[]>()
      for (let round = 0; round < settings.httpRounds; round++) {
        const order = round % 2 === 0 ? variants : [...variants].reverse()
        for (const variant of order) {
          const run = await load(
            apps.get(variant)!,
            credentials(variant),
            settings.httpSeconds,
            settings.connections,
            variant,
          )
          rounds.set(variant, [...(rounds.get(variant) ?? []), run])
          progress(
            `  ${HTTP_LABELS[variant].padEnd(40)} ${Math.round(run.requestsPerSec)} req/s, ` +
              `${run.cpuPerRequest.toFixed(1)} µs CPU/req (round ${round + 1})`,
          )
        }
      }
      for (const variant of variants) {
        const runs = rounds.get(variant)!
        const rps = runs.map((run) => run.requestsPerSec)
        const cpu = runs.map((run) => run.cpuPerRequest)
        result[variant] = {
          requestsPerSec: median(rps),
          rounds: rps,
          spread: spread(rps),
          p99: median(runs.map((run) => run.p99)),
          cpuPerRequest: median(cpu),
          cpuRounds: cpu,
          errors: runs.reduce((sum, run) => sum + run.errors, 0),
        }
      }
    } finally {
      for (const app of apps.values()) await app.close()
    }
  } finally {
    stopLoadClient()
  }
  return result
}
