import { execFileSync } from 'node:child_process'
import {
  createMemoryCacheStore,
  createPlexVerifier,
  type PlexVerifier,
  type PlexVerifierOptions,
} from '@plexauth/core'
import { createRedisStore, type RedisStore } from '@plexauth/redis'
import { type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { type RedisServer, startRedis } from '../packages/redis/test/redis-server.js'
import { CLIENT_ID, check, USER_ID } from './fixtures.js'
import { progress } from './log.js'
import type { BenchSettings } from './settings.js'
import { median, pairedRatio } from './stats.js'

export const REDIS_VARIANTS = [
  'memory-cached',
  'redis-cached',
  'redis-shared',
  'memory-uncached',
  'redis-uncached',
] as const
export type RedisVariant = (typeof REDIS_VARIANTS)[number]

export const REDIS_LABELS: Record<RedisVariant, string> = {
  'memory-cached': 'in-process store, token cached',
  'redis-cached': 'Redis store, token cached by this instance',
  'redis-shared': 'Redis store, token cached by another instance (a Redis GET)',
  'memory-uncached': 'in-process store, new token (plex.tv lookup)',
  'redis-uncached': 'Redis store, new token (plex.tv lookup, budget, write)',
}

/** Per variant: verifications a second (wall) and CPU µs of this process per verification, each round. */
export interface RedisMeasure {
  rounds: number[]
  cpuRounds: number[]
  opsPerSec: number
  cpuPerOp: number
}
export type RedisResult = Record<RedisVariant, RedisMeasure> | { skipped: string }

const SECRET = 'the-benchmark-secret-of-at-least-32-characters'

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** `ops` calls of `run`, one after the other: wall verifications/s and CPU µs per verification. */
async function measure(ops: number, run: (i: number) => Promise<unknown>): Promise<[number, number]> {
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < ops; i++) await run(i)
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  return [(ops * 1000) / wallMs, (used.user + used.system) / ops]
}

/**
 * The cost of a legacy-token verification with `@plexauth/redis`'s store against the in-process one, cached
 * and uncached, in the same process against the same fake plex.tv and a real redis-server on loopback. A JWT
 * never touches either store, so legacy tokens are what it costs a request. Rounds alternate the variants.
 */
export async function runRedisStore(plex: FakePlex, settings: BenchSettings): Promise<RedisResult> {
  if (!hasRedisServer()) return { skipped: 'no redis-server on this machine (.ci/run installs it)' }
  const redis: RedisServer = await startRedis()
  const stores: RedisStore[] = []
  try {
    const base: PlexVerifierOptions = {
      jwksUrl: plex.jwksUrl,
      plexTvUrl: plex.url,
      clientIdentifier: CLIENT_ID,
      legacyTokens: true,
      legacyLookupsPerSecond: 100_000,
    }
    const shared = (localCacheSize?: number) => {
      const store = createRedisStore({
        url: redis.url,
        secret: SECRET,
        legacyLookupsPerSecond: 100_000,
        timeout: 5,
        ...(localCacheSize === undefined ? {} : { localCacheSize }),
      })
      stores.push(store)
      return store
    }
    const memory = createPlexVerifier({ ...base, legacyTokenCache: createMemoryCacheStore() })
    const redisVerifier = createPlexVerifier({ ...base, ...shared().verifierOptions })
    // One in-process entry: the two tokens it alternates evict each other, so every verification reads Redis.
    const fleetReader = createPlexVerifier({ ...base, ...shared(1).verifierOptions })
    for (const store of stores) check(await store.ready(), 'the benchmark could not connect to redis-server')

    // Cheap calls get more of them, so that each measurement lasts long enough to mean something.
    const cachedOps = settings.quick ? 5000 : 50_000
    const sharedOps = settings.quick ? 1000 : 10_000
    const ops = settings.quick ? 100 : 1000
    const cachedToken = plex.createLegacyToken()
    const sharedTokens = [plex.createLegacyToken(), plex.createLegacyToken()]
    await memory.verify(cachedToken)
    await redisVerifier.verify(cachedToken)
    // Verified by "another instance": redisVerifier writes them to Redis; fleetReader only reads them.
    for (const token of sharedTokens) await redisVerifier.verify(token)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const lookupsBefore = plex.requests(PLEX_PATHS.user)
    for (const token of sharedTokens) {
      check((await fleetReader.verify(token)).user.id === USER_ID, 'the Redis store returned another user')
    }
    check(plex.requests(PLEX_PATHS.user) === lookupsBefore, 'a token cached in Redis was looked up again')

    const verify = (verifier: PlexVerifier, token: string) => verifier.verify(token)
    const fresh = () => Array.from({ length: ops }, () => plex.createLegacyToken())
    const runs: Record<RedisVariant, () => Promise<[number, number]>> = {
      'memory-cached': () => measure(cachedOps, () => verify(memory, cachedToken)),
      'redis-cached': () => measure(cachedOps, () => verify(redisVerifier, cachedToken)),
      'redis-shared': () => measure(sharedOps, (i) => verify(fleetReader, sharedTokens[i % 2]!)),
      'memory-uncached': () => {
        const tokens = fresh()
        return measure(ops, (i) => verify(memory, tokens[i]!))
      },
      'redis-uncached': () => {
        const tokens = fresh()
        return measure(ops, (i) => verify(redisVerifier, tokens[i]!))
      },
    }
    // A warm-up pass of every variant, so that the first one measured does not pay for the JIT.
    for (const variant of REDIS_VARIANTS) await runs[variant]()
    const rounds = settings.quick ? 1 : 5
    const wall = new Map<RedisVariant, number[]>(REDIS_VARIANTS.map((variant) => [variant, []]))
    const cpu = new Map<RedisVariant, number[]>(REDIS_VARIANTS.map((variant) => [variant, []]))
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [...REDIS_VARIANTS] : [...REDIS_VARIANTS].reverse()
      for (const variant of order) {
        const before = plex.requests(PLEX_PATHS.user)
        const [opsPerSec, cpuPerOp] = await runs[variant]()
        const lookups = plex.requests(PLEX_PATHS.user) - before
        check(
          lookups === (variant.endsWith('uncached') ? ops : 0),
          `${variant} made ${lookups} plex.tv lookups for ${ops} verifications`,
        )
        wall.get(variant)!.push(opsPerSec)
        cpu.get(variant)!.push(cpuPerOp)
      }
      progress(`  redis round ${round + 1}/${rounds} done`)
    }
    const result = {} as Record<RedisVariant, RedisMeasure>
    for (const variant of REDIS_VARIANTS) {
      result[variant] = {
        rounds: wall.get(variant)!,
        cpuRounds: cpu.get(variant)!,
        opsPerSec: median(wall.get(variant)!),
        cpuPerOp: median(cpu.get(variant)!),
      }
    }
    return result
  } finally {
    await Promise.all(stores.map((store) => store.close()))
    await redis.stop()
  }
}

/** Redis ÷ in-process, in verifications a second and (inverted) in CPU time per verification. */
export function redisRatios(result: Record<RedisVariant, RedisMeasure>) {
  const vs = (a: RedisVariant, b: RedisVariant) => ({
    wall: pairedRatio(result[a].rounds, result[b].rounds),
    cpu: pairedRatio(result[b].cpuRounds, result[a].cpuRounds),
  })
  return {
    cached: vs('redis-cached', 'memory-cached'),
    shared: vs('redis-shared', 'memory-cached'),
    uncached: vs('redis-uncached', 'memory-uncached'),
  }
}
