import { verify as cryptoVerify } from 'node:crypto'
import { createPlexVerifier, type PlexVerifier } from '@plexauth/core'
import { type FakePlex, generateEd25519Key } from '@plexauth/testing'
import { createVerifier } from 'fast-jwt'
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose'
import { Bench } from 'tinybench'
import { CLIENT_ID, check, USER_ID } from './fixtures.js'
import { progress } from './log.js'
import type { BenchSettings } from './settings.js'
import { median, spread } from './stats.js'

export const MICRO_TASKS = [
  'crypto',
  'plexauth-cold',
  'plexauth-repeat',
  'jose',
  'fast-jwt',
  'fast-jwt-cache',
] as const
export type MicroTask = (typeof MICRO_TASKS)[number]

export const MICRO_LABELS: Record<MicroTask, string> = {
  crypto: 'bare crypto.verify (signature only)',
  'plexauth-cold': 'plexauth verify, cold (tokenCacheSize: 0)',
  'plexauth-repeat': 'plexauth verify, repeat (cache hit)',
  jose: 'jose jwtVerify + createLocalJWKSet',
  'fast-jwt': 'fast-jwt createVerifier (sync, key)',
  'fast-jwt-cache': 'fast-jwt createVerifier (sync, key, cache)',
}

/** Verifications per second of one task: the median over rounds, each round, and their spread in %. */
export interface MicroMeasure {
  opsPerSec: number
  rounds: number[]
  spread: number
}
export type MicroResult = Record<MicroTask, MicroMeasure>

interface Candidate {
  /** Calls per tinybench iteration, so that sub-microsecond calls are not lost in timer overhead. */
  batch: number
  /** One verification of the benchmark token. */
  run: () => unknown
  /** The user id this candidate reads from `token`; undefined when it refuses the token. */
  userOf: (token: string) => Promise<number | undefined>
}

function splitToken(token: string): { input: Buffer; signature: Buffer } {
  const last = token.lastIndexOf('.')
  return {
    input: Buffer.from(token.slice(0, last), 'latin1'),
    signature: Buffer.from(token.slice(last + 1), 'base64url'),
  }
}

function userId(payload: unknown): number | undefined {
  const user = (payload as { user?: { id?: unknown } } | undefined)?.user
  return typeof user?.id === 'number' ? user.id : undefined
}

async function settle(read: () => unknown): Promise<number | undefined> {
  try {
    return userId(await read())
  } catch {
    return undefined
  }
}

interface Candidates {
  all: Record<MicroTask, Candidate>
  cold: PlexVerifier
  repeat: PlexVerifier
}

async function candidates(plex: FakePlex, token: string): Promise<Candidates> {
  const publicKey = plex.signingKey.publicKey
  // plexauth as a server runs it: keys from the (fake) key endpoint, fetched once before measuring.
  const cold = createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT_ID, tokenCacheSize: 0 })
  const repeat = createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT_ID })
  await Promise.all([cold.ready(), repeat.ready()])
  const jwks = createLocalJWKSet(plex.keys as unknown as JSONWebKeySet)
  const joseOptions = { issuer: 'plex.tv', audience: CLIENT_ID, algorithms: ['EdDSA'] }
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const fastOptions = {
    key: pem,
    algorithms: ['EdDSA' as const],
    allowedIss: 'plex.tv',
    allowedAud: CLIENT_ID,
  }
  const fast = createVerifier(fastOptions)
  const fastCached = createVerifier({ ...fastOptions, cache: true })
  // The physical limit: the signature check alone, on buffers prepared outside the measured calls.
  const { input, signature } = splitToken(token)
  const all: Record<MicroTask, Candidate> = {
    crypto: {
      batch: 8,
      run: () => {
        if (!cryptoVerify(null, input, publicKey, signature))
          throw new Error('crypto.verify refused the token')
      },
      userOf: async (t) => {
        const parts = splitToken(t)
        return cryptoVerify(null, parts.input, publicKey, parts.signature) ? USER_ID : undefined
      },
    },
    'plexauth-cold': {
      batch: 8,
      run: () => cold.verify(token),
      userOf: (t) => settle(() => cold.verify(t)),
    },
    'plexauth-repeat': {
      batch: 2000,
      run: () => repeat.verify(token),
      userOf: (t) => settle(() => repeat.verify(t)),
    },
    jose: {
      batch: 8,
      run: () => jwtVerify(token, jwks, joseOptions),
      userOf: (t) => settle(async () => (await jwtVerify(t, jwks, joseOptions)).payload),
    },
    'fast-jwt': { batch: 8, run: () => fast(token), userOf: (t) => settle(() => fast(t)) },
    'fast-jwt-cache': {
      batch: 200,
      run: () => fastCached(token),
      userOf: (t) => settle(() => fastCached(t)),
    },
  }
  return { all, cold, repeat }
}

function batched({ batch, run }: Candidate): () => unknown {
  if (run() instanceof Promise) {
    return async () => {
      for (let i = 0; i < batch; i++) await run()
    }
  }
  return () => {
    for (let i = 0; i < batch; i++) run()
  }
}

/**
 * Every candidate on the same token in the same process. A round's figure is verifications per second
 * from the median iteration time; the result is the median over rounds (task order alternates).
 */
export async function runMicro(plex: FakePlex, settings: BenchSettings): Promise<MicroResult> {
  const token = plex.issueToken()
  const forged = plex.issueToken({ signWith: generateEd25519Key() })
  const { all, cold, repeat } = await candidates(plex, token)
  for (const task of MICRO_TASKS) {
    check((await all[task].userOf(token)) === USER_ID, `${task} did not accept the benchmark token`)
    check((await all[task].userOf(forged)) === undefined, `${task} accepted a token with a forged signature`)
  }
  const rounds = new Map<MicroTask, number[]>(MICRO_TASKS.map((task) => [task, []]))
  for (let round = 0; round < settings.microRounds; round++) {
    const order = round % 2 === 0 ? [...MICRO_TASKS] : [...MICRO_TASKS].reverse()
    const bench = new Bench({
      time: settings.microTimeMs,
      iterations: 1,
      warmupTime: settings.quick ? 50 : 200,
      throws: true,
    })
    for (const task of order) bench.add(task, batched(all[task]))
    await bench.run()
    for (const task of bench.tasks) {
      const result = task.result
      if (result.state !== 'completed')
        throw new Error(`bench: micro task ${task.name} ended ${result.state}`)
      const name = task.name as MicroTask
      rounds.get(name)!.push((all[name].batch * 1000) / result.latency.p50)
    }
    progress(`  micro round ${round + 1}/${settings.microRounds} done`)
  }
  // The cold path must never have hit the cache, the repeat path must have; keys fetched once each.
  const coldStats = cold.stats()
  const repeatStats = repeat.stats()
  check(coldStats.cacheHits === 0 && coldStats.verified > 0, 'the cold verifier used its token cache')
  check(repeatStats.cacheHits >= repeatStats.verified - 2, 'the repeat verifier missed its token cache')
  check(
    coldStats.keyFetches === 1 && repeatStats.keyFetches === 1,
    'a verifier fetched its keys more than once',
  )
  const result = {} as MicroResult
  for (const task of MICRO_TASKS) {
    const values = rounds.get(task)!
    result[task] = { opsPerSec: median(values), rounds: values, spread: spread(values) }
  }
  return result
}
