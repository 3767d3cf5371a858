import { fork } from 'node:child_process'
import { createFakePlex } from '@plexauth/testing'
import type { AppKeys, AppOptions, AuthMode } from './app-options.js'
import { pinProcess } from './cpu-pinning.js'
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
  /** The user-space part of the CPU time per request (median, and each round); the kernel's is the rest. */
  userCpuPerRequest: number
  userCpuRounds: number[]
  errors: number
  /** How many processes of the app the rounds were measured in. */
  processes: number
}
export type HttpResult = Record<HttpVariant, HttpMeasure>

/** Each framework's benchmark app. */
export const STARTERS: Record<Framework, (options: AppOptions) => Promise<RunningApp>> = {
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

/** What the process of one app is told: start it, say how much CPU time it has used, close it. */
export type AppChildRequest =
  | { type: 'start'; framework: Framework; auth: AuthMode; keys: AppKeys }
  | { type: 'cpu' }
  | { type: 'close' }

/** What it answers. */
export type AppChildAnswer =
  | { type: 'started'; url: string }
  | { type: 'cpu'; cpu: NodeJS.CpuUsage }
  | { type: 'error'; error: string }

/** Starts one app in a process of its own (`http-child.ts`); its `cpuUsage` is that process's. */
async function startAppProcess(framework: Framework, auth: AuthMode, keys: AppKeys): Promise<RunningApp> {
  const child = fork(new URL('./http-child.ts', import.meta.url), {
    // V8 collects garbage with helper threads sized for the machine's CPUs, but the app is pinned to one
    // (cpu-pinning.ts): the helpers then take turns with the main thread on that CPU, and how they fall
    // moved a process's CPU per request by up to 31 % (six processes of the same app without auth, 21.5 to
    // 28.3 µs on Fastify). With the collector on the main thread the same six came within 2.4 % (22.5 to
    // 23.0 µs): the work is the same, only the contention is gone (BENCHMARKS.md, item 12).
    execArgv: ['--import', 'tsx', '--conditions=dev-source', '--single-threaded-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let exited: string | undefined
  const waiting = new Set<(answer: AppChildAnswer) => void>()
  child.on('message', (answer: AppChildAnswer) => {
    for (const settle of waiting) settle(answer)
  })
  child.once('exit', (code) => {
    exited = `the ${framework} ${auth} app's process exited (${code})`
    for (const settle of waiting) settle({ type: 'error', error: exited })
  })
  // One question at a time: the benchmark asks, waits, then asks again.
  const ask = (request: AppChildRequest) =>
    new Promise<AppChildAnswer>((resolve) => {
      if (exited !== undefined) return resolve({ type: 'error', error: exited })
      const settle = (answer: AppChildAnswer) => {
        waiting.delete(settle)
        resolve(answer)
      }
      waiting.add(settle)
      child.send(request)
    })
  const started = await ask({ type: 'start', framework, auth, keys })
  if (started.type !== 'started') {
    child.kill()
    throw new Error(started.type === 'error' ? started.error : `unexpected answer ${started.type}`)
  }
  pinProcess(child, 'app')
  return {
    url: started.url,
    cpuUsage: async () => {
      const answer = await ask({ type: 'cpu' })
      if (answer.type !== 'cpu') throw new Error(answer.type === 'error' ? answer.error : 'no CPU time')
      return answer.cpu
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (exited !== undefined) return resolve()
        child.once('exit', () => resolve())
        child.send({ type: 'close' } satisfies AppChildRequest)
      }),
  }
}

/**
 * Every app in a process of its own, as an app is deployed: one framework, one plexauth configuration;
 * each app's process pinned to one CPU and autocannon's to another (see cpu-pinning.ts).
 * Apps sharing a process share V8's inline caches and optimised code: with every framework in one
 * process, Express (measured first) left Node's HTTP code megamorphic and the Fastify and Koa apps after
 * it spent a third more CPU per request, with or without auth; with each framework's six apps in one
 * process, the session app and the peer left plexauth's core and Node's request handling shaped by their
 * requests too, and the bearer app paid for it (see BENCHMARKS.md). One fake plex.tv, here, serves every
 * app its keys, and signs the token and the session cookie all of them are sent.
 */
export async function runHttp(settings: BenchSettings): Promise<HttpResult> {
  const plex = await createFakePlex({ keyCount: 1 })
  const result = {} as HttpResult
  try {
    const keys: AppKeys = { jwksUrl: plex.jwksUrl, keys: plex.keys, signingKey: { kid: plex.signingKey.kid } }
    const bearer: Credentials = { authorization: `Bearer ${plex.issueToken()}` }
    // A session cookie as a browser holds it after "Sign in with Plex" against the fake.
    const cookie: Credentials = { cookie: await signInCookie(plex) }
    for (const framework of FRAMEWORKS) {
      Object.assign(result, await runFramework(framework, keys, { bearer, cookie }, settings))
    }
  } finally {
    stopLoadClient()
    await plex.close()
  }
  return result
}

/**
 * One framework: `httpProcesses` times, every variant up at once, each in its process, each sampled (a
 * 200 carrying the user) and warmed up, then measured in rounds whose order alternates, so that a noisy
 * moment on the machine hits all of them; then those processes closed and the next ones started. The
 * rounds of all processes of a variant make its figures; the i-th round of one variant is paired with the
 * i-th of another (same process generation, seconds apart).
 */
async function runFramework(
  framework: Framework,
  keys: AppKeys,
  sent: { bearer: Credentials; cookie: Credentials },
  settings: BenchSettings,
): Promise<Partial<HttpResult>> {
  const variants = HTTP_VARIANTS.filter((variant) => parse(variant).framework === framework)
  const rounds = new Map<HttpVariant, LoadResult[]>(variants.map((variant) => [variant, []]))
  for (let generation = 0; generation < settings.httpProcesses; generation++) {
    await runProcesses(framework, variants, keys, sent, settings, generation, rounds)
  }
  const result: Partial<HttpResult> = {}
  for (const variant of variants) {
    const runs = rounds.get(variant)!
    const rps = runs.map((run) => run.requestsPerSec)
    const cpu = runs.map((run) => run.cpuPerRequest)
    const userCpu = runs.map((run) => run.userCpuPerRequest)
    result[variant] = {
      requestsPerSec: median(rps),
      rounds: rps,
      spread: spread(rps),
      p99: median(runs.map((run) => run.p99)),
      cpuPerRequest: median(cpu),
      cpuRounds: cpu,
      userCpuPerRequest: median(userCpu),
      userCpuRounds: userCpu,
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      processes: settings.httpProcesses,
    }
  }
  return result
}

/** One process of each variant: started, sampled, warmed up, measured for `httpRounds`, closed. */
async function runProcesses(
  framework: Framework,
  variants: readonly HttpVariant[],
  keys: AppKeys,
  sent: { bearer: Credentials; cookie: Credentials },
  settings: BenchSettings,
  generation: number,
  rounds: Map<HttpVariant, LoadResult[]>,
): Promise<void> {
  const credentials = (variant: HttpVariant) => (parse(variant).cookie ? sent.cookie : sent.bearer)
  const apps = new Map<HttpVariant, RunningApp>()
  try {
    // The processes start side by side (each loads tsx and its framework: a second or two).
    const starting = variants.map(async (variant) => {
      apps.set(variant, await startAppProcess(framework, parse(variant).auth, keys))
    })
    const started = await Promise.allSettled(starting)
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason
    for (const variant of variants) {
      const { auth } = parse(variant)
      const app = apps.get(variant)!
      const label = HTTP_LABELS[variant]
      await sampleApp(app, credentials(variant), auth !== 'none' && auth !== 'empty', label)
      await load(app, credentials(variant), settings.httpWarmupSeconds, settings.connections, label)
    }
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
        rounds.get(variant)!.push(run)
        progress(
          `  ${HTTP_LABELS[variant].padEnd(40)} ${Math.round(run.requestsPerSec)} req/s, ` +
            `${run.cpuPerRequest.toFixed(1)} µs CPU/req (process ${generation + 1}, round ${round + 1})`,
        )
      }
    }
  } finally {
    for (const app of apps.values()) await app.close()
  }
}
