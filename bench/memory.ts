import { createPlexVerifier } from '@plexauth/core'
import type { FakePlex } from '@plexauth/testing'
import { CLIENT_ID, check, USER_ID } from './fixtures.js'
import { fullGc } from './gc.js'
import { progress } from './log.js'
import type { BenchSettings } from './settings.js'
import { nonceOf, TokenSigner, tokenTemplate } from './token-signer.js'

/** plexauth's default `tokenCacheSize`. */
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000
const BATCH = 10_000
const MIB = 1024 * 1024

export interface HeapPoint {
  tokens: number
  heapUsed: number
}

export interface MemoryResult {
  tokens: number
  cacheSize: number
  /** Heap used after a full GC: before the loop, once the cache is full (twice its size), at the end. */
  heapBefore: number
  heapCacheFull: number
  heapAfter: number
  points: HeapPoint[]
  /** Growth after the cache filled, against what the full cache itself costs. */
  bounded: boolean
  seconds: number
}

function heapUsed(): number {
  fullGc()
  return process.memoryUsage().heapUsed
}

/**
 * `memoryTokens` distinct valid tokens (signed on a worker thread, in batches) verified one after the
 * other by one verifier with the default cache: the heap, measured after full GCs, must stop growing
 * once the cache is full.
 */
export async function runMemory(plex: FakePlex, settings: BenchSettings): Promise<MemoryResult> {
  const total = settings.memoryTokens
  const verifier = createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT_ID })
  await verifier.ready()
  const signer = new TokenSigner(tokenTemplate(plex))
  const cacheFullAt = Math.min(total, 2 * DEFAULT_TOKEN_CACHE_SIZE)
  const checkpoints = new Set([cacheFullAt, ...[0.25, 0.5, 0.75, 1].map((f) => Math.round(total * f))])
  const points: HeapPoint[] = []
  const started = performance.now()
  try {
    // Warm the code paths outside the measurement.
    const warm = await signer.sign(total, 1)
    await verifier.verify(warm[0])
    const heapBefore = heapUsed()
    points.push({ tokens: 0, heapUsed: heapBefore })
    let next: Promise<string[]> | undefined = signer.sign(0, Math.min(BATCH, total))
    let nextReport = 0.1
    for (let start = 0; start < total; ) {
      let tokens: string[] | undefined = await (next ?? signer.sign(start, Math.min(BATCH, total - start)))
      const end: number = start + tokens.length
      // Sign the next batch while this one is verified, unless the heap is measured in between.
      const boundary = [...checkpoints].some((point) => point > start && point <= end)
      next = end < total && !boundary ? signer.sign(end, Math.min(BATCH, total - end)) : undefined
      for (let i = 0; i < tokens.length; i++) {
        const identity = await verifier.verify(tokens[i])
        check(
          identity.user.id === USER_ID && identity.claims?.nonce === nonceOf(start + i),
          'a token verified wrong',
        )
      }
      tokens = undefined
      start = end
      if (boundary) points.push({ tokens: end, heapUsed: heapUsed() })
      if (end / total >= nextReport) {
        progress(`  memory: ${end.toLocaleString('en-US')} tokens verified`)
        nextReport += 0.1
      }
    }
    const stats = verifier.stats()
    check(
      stats.verified === total + 1 && stats.cacheHits === 0,
      'the memory run counted a wrong number of tokens',
    )
    check(stats.keyFetches === 1, 'the memory run fetched keys more than once')
    const heapCacheFull = points.find((point) => point.tokens === cacheFullAt)!.heapUsed
    const heapAfter = points.at(-1)!.heapUsed
    const cacheCost = heapCacheFull - heapBefore
    return {
      tokens: total,
      cacheSize: DEFAULT_TOKEN_CACHE_SIZE,
      heapBefore,
      heapCacheFull,
      heapAfter,
      points,
      bounded: heapAfter - heapCacheFull <= Math.max(2 * MIB, 0.1 * cacheCost),
      seconds: (performance.now() - started) / 1000,
    }
  } finally {
    await signer.close()
  }
}
