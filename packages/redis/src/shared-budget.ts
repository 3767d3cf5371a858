import type { RateBudget } from '@plexauth/core'
import type { RedisGate } from './gate.js'

// A token bucket in Redis, timed by Redis's own clock so that the instances' clocks do not matter. Returns
// 0 when a unit was taken, else the milliseconds until one will be.
const TAKE = `
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens = tonumber(state[1]) or capacity
local last = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - last) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate * 1000) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return wait`

/**
 * One budget for the whole fleet: `perSecond` units a second, at most `burst` saved up. While Redis is
 * unavailable `take` answers `undefined`, and the caller falls back to its own in-process bucket.
 */
export class SharedBudget implements RateBudget {
  readonly #gate: RedisGate
  readonly #args: readonly string[]

  constructor(gate: RedisGate, key: string, perSecond: number, burst: number) {
    this.#gate = gate
    this.#args = ['EVAL', TAKE, '1', key, String(perSecond), String(burst)]
  }

  async take(): Promise<number | undefined> {
    const reply = await this.#gate.send('budget', this.#args)
    return typeof reply === 'number' && Number.isSafeInteger(reply) && reply >= 0 ? reply : undefined
  }
}
