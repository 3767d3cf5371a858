import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPlexVerifier, type PlexJwtIdentity } from '@plexauth/core'
import {
  type ApprovePinOptions,
  createFakePlex,
  type FakePlex,
  type FakePlexOptions,
} from '@plexauth/testing'
import { expect, onTestFinished, vi } from 'vitest'
import {
  createPlexClient,
  isPlexClientError,
  memoryStore,
  type PlexClient,
  type PlexClientErrorCode,
  type PlexClientOptions,
  type PlexClientState,
  type PlexClientStore,
} from '../src/index.js'

export const DAY = 86_400

/** A fake plex.tv closed when the test ends. */
export async function startFake(options?: FakePlexOptions): Promise<FakePlex> {
  const plex = await createFakePlex(options)
  onTestFinished(() => plex.close())
  return plex
}

/** A store that keeps the last state in memory and counts saves. */
export function spyStore(
  initial?: PlexClientState,
): PlexClientStore & { state(): PlexClientState | undefined; saves: number } {
  const inner = memoryStore(initial)
  const spy = {
    saves: 0,
    load: () => inner.load(),
    save: (state: PlexClientState) => {
      spy.saves++
      return inner.save(state)
    },
    state: () => inner.load() as PlexClientState | undefined,
  }
  return spy
}

/** A client of the fake that polls fast. */
export function clientFor(plex: FakePlex, options: Partial<PlexClientOptions> = {}): PlexClient {
  return createPlexClient({ product: 'Client Test', baseUrl: plex.url, pollInterval: 0.01, ...options })
}

/** A full PIN login, the test standing in for the user. */
export async function login(
  client: PlexClient,
  plex: FakePlex,
  approve?: ApprovePinOptions,
): Promise<string> {
  const pin = await client.startLogin()
  plex.approvePin(pin.code, approve)
  return client.waitForLogin(pin)
}

/** Verifies a token the way a server would, for the client's own identifier. */
export function verifyAsServer(
  plex: FakePlex,
  token: string,
  clientIdentifier: string,
): Promise<PlexJwtIdentity> {
  return createPlexVerifier({ jwksUrl: plex.jwksUrl, clientIdentifier })
    .verify(token)
    .then((identity) => {
      if (identity.kind !== 'jwt') throw new Error('expected a Plex JWT identity')
      return identity
    })
}

/** Fakes `Date` only (sockets and timers stay real), restored when the test ends. */
export function useFakeDate(): void {
  vi.useFakeTimers({ toFake: ['Date'] })
  onTestFinished(() => {
    vi.useRealTimers()
  })
}

export function advance(seconds: number): void {
  vi.setSystemTime(Date.now() + seconds * 1000)
}

/** The code of the `PlexClientError` a promise rejects with; fails the test otherwise. */
export async function errorCode(promise: Promise<unknown>): Promise<PlexClientErrorCode> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(isPlexClientError(outcome), `expected a PlexClientError, got ${String(outcome)}`).toBe(true)
  return (outcome as { code: PlexClientErrorCode }).code
}

/** A fresh temporary directory, removed when the test ends. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'plexauth-client-'))
  onTestFinished(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Starts `store.lock` on a change that only records that it ran, without waiting for it: `outcome` is what
 * the lock threw (`undefined` once the change ran), `ran()` and `settled()` say how far it got.
 */
export function lockAttempt(store: PlexClientStore): {
  outcome: Promise<unknown>
  ran: () => boolean
  settled: () => boolean
} {
  let ran = false
  let settled = false
  const outcome = Promise.resolve()
    .then(() =>
      store.lock?.(async () => {
        ran = true
      }),
    )
    .then(
      () => undefined,
      (err: unknown) => err,
    )
    .finally(() => {
      settled = true
    })
  return { outcome, ran: () => ran, settled: () => settled }
}
