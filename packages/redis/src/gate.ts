import { backoffMs } from '@plexauth/core'
import { ErrorReply, TimeoutError } from '@redis/client'
import type { RedisOperation, RedisStoreEvent } from './events.js'

/** What `RedisGate.send` answers instead of a reply when Redis is down, slow, or backing off. */
export const UNAVAILABLE: unique symbol = Symbol('redis unavailable')

/** The part of a node-redis client the gate uses. */
export interface RedisConnection {
  readonly isReady: boolean
  sendCommand(args: readonly string[], options?: { timeout?: number }): Promise<unknown>
}

/**
 * Every Redis command goes through here. A command that fails or outlasts `timeoutMs` makes the caller fall
 * back to in-process state and trips core's backoff (1 s doubling to 60 s): until it expires, commands are
 * answered `UNAVAILABLE` at once, so a flood of requests during an outage costs Redis nothing. After it,
 * one command at a time probes. The connection coming back (`ready`) ends the backoff at once.
 */
export class RedisGate {
  readonly #connection: RedisConnection
  readonly #timeoutMs: number
  readonly #emit: (event: RedisStoreEvent) => void
  #failures = 0
  #retryAt = 0
  #probing = false
  #downSince: number | undefined
  #wasReady = false

  constructor(connection: RedisConnection, timeoutMs: number, emit: (event: RedisStoreEvent) => void) {
    this.#connection = connection
    this.#timeoutMs = timeoutMs
    this.#emit = emit
  }

  /** Whether commands are sent now (false while backing off or known to be disconnected). */
  get available(): boolean {
    return this.#open(Date.now()) && !this.#probing
  }

  /** The connection is (again) ready: end the backoff, so that sharing resumes with the next command. */
  connected(): void {
    this.#wasReady = true
    // The handshake of a new connection is the probe: every command may go again.
    this.#succeeded()
  }

  /** The connection dropped: report it now rather than at the next command. */
  disconnected(operation: RedisOperation): void {
    if (this.#downSince === undefined) this.#failed(operation, 'error')
  }

  /** Sends one command; its reply, or `UNAVAILABLE` (Redis down, slow, or backing off). */
  async send(operation: RedisOperation, args: readonly string[]): Promise<unknown> {
    const now = Date.now()
    if (!this.#open(now)) return UNAVAILABLE
    // After a failure, one command at a time finds out whether Redis is back.
    const probe = this.#downSince !== undefined
    if (probe) {
      if (this.#probing) return UNAVAILABLE
      this.#probing = true
    }
    let timer: NodeJS.Timeout | undefined
    try {
      // node-redis's own `timeout` only drops a command still waiting to be written; one already sent to a
      // hung server would wait forever, so the deadline is ours. Its late reply, if any, is dropped.
      const reply = await Promise.race([
        this.#connection.sendCommand(args, { timeout: this.#timeoutMs }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(reject, this.#timeoutMs, new TimeoutError())
        }),
      ])
      this.#succeeded()
      return reply
    } catch (err) {
      // An error reply (e.g. a key of the wrong type) is Redis answering: a miss, not an outage.
      if (err instanceof ErrorReply) {
        this.#succeeded()
        return UNAVAILABLE
      }
      // Commands in flight when Redis hangs or goes away fail together: that is one outage (reported by the
      // first of them, or by the connection's `error` event), not one per command, which would report it N times
      // and back off for a minute. A probe's failure is the outage going on.
      if (probe || this.#downSince === undefined) {
        this.#failed(operation, err instanceof TimeoutError ? 'timeout' : 'error')
      }
      return UNAVAILABLE
    } finally {
      clearTimeout(timer)
      if (probe) this.#probing = false
    }
  }

  // Before the first connection, commands wait in node-redis's queue (up to the timeout); once a connection
  // was lost, a known-dead connection is not waited for.
  #open(now: number): boolean {
    if (now < this.#retryAt) return false
    return this.#connection.isReady || !this.#wasReady
  }

  #succeeded(): void {
    this.#failures = 0
    this.#retryAt = 0
    if (this.#downSince !== undefined) {
      const downFor = Math.round((Date.now() - this.#downSince) / 1000)
      this.#downSince = undefined
      this.#emit({ type: 'redis_recovered', downFor })
    }
  }

  #failed(operation: RedisOperation, reason: 'timeout' | 'error'): void {
    this.#failures++
    const waitMs = backoffMs(this.#failures)
    this.#retryAt = Date.now() + waitMs
    this.#downSince ??= Date.now()
    this.#emit({ type: 'redis_unavailable', operation, reason, retryIn: Math.ceil(waitMs / 1000) })
  }
}
