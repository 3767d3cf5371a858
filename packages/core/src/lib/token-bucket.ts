import type { RateBudget } from './store-types.js'

/**
 * A token bucket: `rate` tokens a second, at most `capacity` saved up. Time is `Date.now()`, so a faked
 * clock drives it in tests.
 */
export class TokenBucket {
  readonly #rate: number
  readonly #capacity: number
  #tokens: number
  #last: number

  constructor(rate: number, capacity: number = Math.max(1, rate)) {
    this.#rate = rate
    this.#capacity = capacity
    this.#tokens = capacity
    this.#last = Date.now()
  }

  /** Takes a token: 0 when one was taken, else the milliseconds until one will be available. */
  take(now: number = Date.now()): number {
    const elapsed = Math.max(0, now - this.#last)
    this.#last = Math.max(this.#last, now)
    this.#tokens = Math.min(this.#capacity, this.#tokens + (elapsed / 1000) * this.#rate)
    if (this.#tokens >= 1) {
      this.#tokens -= 1
      return 0
    }
    return Math.ceil(((1 - this.#tokens) / this.#rate) * 1000)
  }
}

/**
 * The wait a shared budget asks for (0: a unit was taken), or, when it cannot tell (it answers `undefined`,
 * throws or rejects), the in-process `bucket`'s: a budget's store being down never blocks nor floods.
 */
export async function takeFromBudget(budget: RateBudget, bucket: TokenBucket): Promise<number> {
  let shared: number | undefined
  try {
    shared = (await budget.take()) ?? undefined
  } catch {
    shared = undefined
  }
  return shared ?? bucket.take()
}
