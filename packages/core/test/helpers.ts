import {
  createPlexVerifier,
  ERROR_CODES,
  isPlexAuthError,
  type PlexAuthError,
  type PlexAuthErrorCode,
  type PlexAuthEvent,
  type PlexVerifier,
  type PlexVerifierOptions,
} from '@plexauth/core'
import {
  createFakePlex,
  DEFAULT_CLIENT_IDENTIFIER,
  DEFAULT_THUMBPRINT,
  type Ed25519Key,
  type FakePlex,
  type FakePlexOptions,
  generateEd25519Key,
  PLEX_PATHS,
  signJwt,
} from '@plexauth/testing'
import { expect, onTestFinished, vi } from 'vitest'

/** A fixed "now" for tests that fake the clock: 2025-01-01T00:00:00Z. */
export const T0 = Date.UTC(2025, 0, 1)

export const CLIENT = DEFAULT_CLIENT_IDENTIFIER

/** Fakes `Date` only, so sockets and timers stay real, and restores it when the test ends. */
export function useFakeDate(at: number = T0): void {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(at)
  onTestFinished(() => {
    vi.useRealTimers()
  })
}

/** Moves the faked clock forward. */
export function advance(seconds: number): void {
  vi.setSystemTime(Date.now() + seconds * 1000)
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/** The `PlexAuthError` a promise rejects with; fails the test on success or on any other error. */
export async function rejection(promise: Promise<unknown>): Promise<PlexAuthError> {
  let outcome: unknown
  try {
    outcome = await promise
  } catch (err) {
    if (!isPlexAuthError(err)) throw err
    return err
  }
  throw new Error(`expected a PlexAuthError, got ${JSON.stringify(outcome)}`)
}

/** Asserts a rejection with `code` and that code's status. */
export async function expectCode(promise: Promise<unknown>, code: PlexAuthErrorCode): Promise<PlexAuthError> {
  const err = await rejection(promise)
  expect(err.code).toBe(code)
  expect(err.status).toBe(ERROR_CODES[code].status)
  return err
}

/** Asserts a synchronous `PlexAuthError` with `code`. */
export function expectThrowsCode(fn: () => unknown, code: PlexAuthErrorCode): PlexAuthError {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  expect(isPlexAuthError(thrown)).toBe(true)
  const err = thrown as PlexAuthError
  expect(err.code).toBe(code)
  expect(err.status).toBe(ERROR_CODES[code].status)
  return err
}

/** A fake plex.tv closed when the test ends. */
export async function startPlex(options?: FakePlexOptions): Promise<FakePlex> {
  const plex = await createFakePlex(options)
  onTestFinished(() => plex.close())
  return plex
}

export function keyRequests(plex: FakePlex): number {
  return plex.requests(PLEX_PATHS.keys)
}

/**
 * A verifier on the fake's key endpoint. The default fetch timeout stays generous so a loaded machine
 * cannot turn a healthy fetch into a failure; tests of slow endpoints pass a short `jwks.timeout`.
 */
export function plexVerifier(plex: FakePlex, options: PlexVerifierOptions = {}): PlexVerifier {
  return createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT, ...options })
}

/** Records events, and lets a test wait for the next event of a type. */
export function recordEvents(): {
  events: PlexAuthEvent[]
  onEvent: (event: PlexAuthEvent) => void
  next: (type: PlexAuthEvent['type']) => Promise<PlexAuthEvent>
  ofType: <T extends PlexAuthEvent['type']>(type: T) => Extract<PlexAuthEvent, { type: T }>[]
} {
  const events: PlexAuthEvent[] = []
  const waiters: { type: string; resolve: (event: PlexAuthEvent) => void }[] = []
  return {
    events,
    onEvent: (event) => {
      events.push(event)
      for (const waiter of waiters.splice(0)) {
        if (waiter.type === event.type) waiter.resolve(event)
        else waiters.push(waiter)
      }
    },
    next: (type) => new Promise((resolve) => waiters.push({ type, resolve })),
    ofType: (type) => events.filter((event) => event.type === type) as never,
  }
}

/** A `fetch` that fails the test if anything calls it. */
export function forbiddenFetch(): typeof globalThis.fetch & { calls: number } {
  const fn = Object.assign(
    (() => {
      fn.calls++
      throw new Error('fetch must not be called')
    }) as unknown as typeof globalThis.fetch,
    { calls: 0 },
  )
  return fn
}

/** The claims of a real Plex JWT, issued now. */
export function plexClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds()
  return {
    nonce: '5f0d3f0e-8c1b-4c59-9a55-3b8f6b6f2a11',
    thumbprint: DEFAULT_THUMBPRINT,
    user: {
      id: 123456,
      uuid: '0f1e2d3c4b5a6978',
      username: 'plexuser',
      email: 'plexuser@example.com',
      friendly_name: 'Plex User',
    },
    iss: 'plex.tv',
    aud: ['plex.tv', CLIENT],
    iat,
    exp: iat + 604_800,
    ...overrides,
  }
}

/** `object` without `key`. */
export function without(object: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _removed, ...rest } = object
  return rest
}

/** A verifier with a static key set (no network: its `fetch` throws), and a signer for that key. */
export function staticSetup(options: PlexVerifierOptions = {}): {
  key: Ed25519Key
  verifier: PlexVerifier
  fetch: ReturnType<typeof forbiddenFetch>
  sign: (payload: object, header?: Record<string, unknown>) => string
} {
  const key = generateEd25519Key()
  const fetch = forbiddenFetch()
  const verifier = createPlexVerifier({
    keys: { keys: [key.publicJwk] },
    clientIdentifier: CLIENT,
    fetch,
    ...options,
  })
  const sign = (payload: object, header: Record<string, unknown> = {}) =>
    signJwt({ kid: key.kid, typ: 'JWT', alg: 'EdDSA', ...header }, payload, key)
  return { key, verifier, fetch, sign }
}

/** Ed25519 points of small order (1, 2, 4, 8): a key made of one verifies forgeries. */
export const SMALL_ORDER_POINTS: Record<string, string> = {
  'all-zero bytes (order 4)': '0000000000000000000000000000000000000000000000000000000000000000',
  'identity 0x01 00..00 (order 1)': '0100000000000000000000000000000000000000000000000000000000000000',
  'y = -1 (order 2)': 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'y = 0, x negative (order 4)': '0000000000000000000000000000000000000000000000000000000000000080',
  'order 8, a': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'order 8, b': 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  'order 8, c': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'order 8, d': '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
}

/** Encodings that are not the canonical spelling of any point. */
export const NON_CANONICAL_POINTS: Record<string, string> = {
  'identity with the sign bit set': '0100000000000000000000000000000000000000000000000000000000000080',
  'y = -1 with the sign bit set': 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'y = p': 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'y = p + 1': 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'y = 2^255 - 1': 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
}

const P = 2n ** 255n - 19n

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n
  let b = ((base % P) + P) % P
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P
    b = (b * b) % P
  }
  return result
}

/** A 32-byte encoding whose y has no x on the curve (found with Euler's criterion, independently of src). */
export function offCurvePoint(): Buffer {
  const d = (((-121665n * modPow(121666n, P - 2n)) % P) + P) % P
  for (let y = 2n; ; y++) {
    const u = (y * y - 1n) % P
    const v = (d * y * y + 1n) % P
    const x2 = (u * modPow(v, P - 2n)) % P
    if (modPow(x2, (P - 1n) / 2n) === P - 1n) {
      const out = Buffer.alloc(32)
      for (let i = 0; i < 32; i++) out[i] = Number((y >> BigInt(8 * i)) & 0xffn)
      return out
    }
  }
}

/**
 * Fakes setTimeout for the rest of the test and gives a fetch whose `sent` resolves once its request has gone
 * out (a bounded fetch starts its timer just before), so that the test can step the clock to a timeout.
 */
export function fetchOnFakeTimers(): { fetch: typeof globalThis.fetch; sent: Promise<void> } {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  onTestFinished(() => {
    vi.useRealTimers()
  })
  let requested!: () => void
  const sent = new Promise<void>((resolve) => {
    requested = resolve
  })
  const fetch: typeof globalThis.fetch = (input, init) => {
    requested()
    return globalThis.fetch(input, init)
  }
  return { fetch, sent }
}

/**
 * Steps the faked clock to `ms` - 1, where `promise` must still be pending (`whilePending` then runs the test's
 * own checks), and then to `ms`, where it must have settled.
 */
export async function expectSettledAt(
  promise: Promise<unknown>,
  ms: number,
  whilePending: () => void = () => {},
): Promise<void> {
  let settled = false
  promise.then(
    () => {
      settled = true
    },
    () => {
      settled = true
    },
  )
  await vi.advanceTimersByTimeAsync(ms - 1)
  await new Promise((resolve) => setImmediate(resolve))
  expect(settled).toBe(false)
  whilePending()
  await vi.advanceTimersByTimeAsync(1)
  await new Promise((resolve) => setImmediate(resolve))
  expect(settled).toBe(true)
}
