import type { KeyObject } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import type { FakePlex } from '@plexauth/testing'

/**
 * A Plex token cut around its nonce: every token is `header.base64url(prefix + n + suffix).signature`,
 * so a million distinct valid tokens cost one JSON template and a million signatures.
 */
export interface TokenTemplate {
  header: string
  prefix: string
  suffix: string
  key: KeyObject
}

const MARK = 'plexauth-bench-nonce'

/** The fake's own token, with its nonce replaced by a counter (`bench-<n>`). */
export function tokenTemplate(plex: FakePlex): TokenTemplate {
  const [header, payload] = plex.issueToken().split('.') as [string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
  claims.nonce = MARK
  const [before, after] = JSON.stringify(claims).split(JSON.stringify(MARK)) as [string, string]
  return { header, prefix: `${before}"bench-`, suffix: `"${after}`, key: plex.signingKey.privateKey }
}

/** The nonce of the token numbered `n`. */
export function nonceOf(n: number): string {
  return `bench-${n}`
}

// Plain CommonJS, evaluated in the worker: tsx does not hook worker threads on Node 20.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { sign } = require('node:crypto')
const { header, prefix, suffix, key } = workerData
parentPort.on('message', ({ start, count }) => {
  const tokens = new Array(count)
  for (let i = 0; i < count; i++) {
    const input = header + '.' + Buffer.from(prefix + (start + i) + suffix, 'utf8').toString('base64url')
    tokens[i] = input + '.' + sign(null, Buffer.from(input, 'latin1'), key).toString('base64url')
  }
  parentPort.postMessage(tokens)
})
`

/**
 * Signs batches of tokens on a worker thread (node:crypto, in a tight loop), so that signing the next
 * batch overlaps with verifying this one on the main thread.
 */
export class TokenSigner {
  readonly #worker: Worker
  readonly #waiting: { resolve: (tokens: string[]) => void; reject: (err: unknown) => void }[] = []

  constructor(template: TokenTemplate) {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: template })
    this.#worker.on('message', (tokens: string[]) => this.#waiting.shift()?.resolve(tokens))
    this.#worker.on('error', (err) => {
      for (const waiter of this.#waiting.splice(0)) waiter.reject(err)
    })
  }

  /** Tokens numbered `start` to `start + count - 1`. */
  sign(start: number, count: number): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject })
      this.#worker.postMessage({ start, count })
    })
  }

  async close(): Promise<void> {
    await this.#worker.terminate()
  }
}
