// signInWithPlex in Node, every branch of it: the page's globals are a stand-in (fake-page.ts), the login
// routes a scripted fetch, time fake (the polling interval, Retry-After, backoff, the popup's one-second rule).
// Assertions are on what the package did: the coded error, the requests sent, where the popup and page went.
// The same behaviour in a real Chromium, against a real server: sign-in.browser.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type * as Browser from '../src/index.js'
import { AUTH_URL, type FakePage, FakePopup, installFakePage, type Reply } from './fake-page.js'

let browser: typeof Browser
let page: FakePage

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: new Date('2026-11-30T12:00:00Z') })
  // A fresh module each test: a sign-in a failed test left pending would otherwise be "under way" for the next.
  vi.resetModules()
  browser = await import('../src/index.js')
  page = installFakePage()
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

interface Outcome<T> {
  settled: boolean
  value?: T
  error?: unknown
}

/** Follows a promise without awaiting it (time is advanced by hand), so a rejection is never unhandled. */
function follow<T>(promise: Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = { settled: false }
  promise.then(
    (value) => Object.assign(outcome, { settled: true, value }),
    (error: unknown) => Object.assign(outcome, { settled: true, error }),
  )
  return outcome
}

/** The coded error a sign-in ended with (it must have ended with one). */
function failure(outcome: Outcome<unknown>): Browser.PlexSignInError {
  expect(outcome.settled).toBe(true)
  expect(outcome.error).toBeInstanceOf(browser.PlexSignInError)
  return outcome.error as Browser.PlexSignInError
}

const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms)
const pending: Reply = { status: 202, body: { status: 'pending' } }
const identity = { user: { id: 7, username: 'alice' }, access: { owner: true } }
const signedIn: Reply = { status: 200, body: { status: 'signed_in', identity } }
const denied = (code: string, reason?: string): Reply => ({
  status: code === 'PIN_EXPIRED' ? 410 : 403,
  body: { error: 'access_denied', error_description: 'Access denied', code, reason },
})

/** Starts a popup sign-in (pollInterval 1 s, so polls are at 1000, 2000, … ms while pending). */
function signIn(options: Browser.SignInOptions = {}): Outcome<Browser.PlexBrowserIdentity> {
  return follow(browser.signInWithPlex(options))
}

describe('the popup sign-in', () => {
  it('opens the window at once, creates the PIN, points the popup at Plex and polls until signed in', async () => {
    page.routes.polls = [pending, pending, signedIn]
    const popup = page.nextPopup!
    const run = signIn({ basePath: 'https://api.example/auth/plex/' })
    // Synchronously, before anything is awaited: what lets a popup blocker see the click.
    expect(page.opened).toEqual([['', 'plexauth', 'popup,width=600,height=720,left=600,top=190']])
    await advance(0)
    expect(popup.navigations).toEqual([AUTH_URL])
    expect(page.routes.requests).toEqual([
      {
        method: 'POST',
        url: 'https://api.example/auth/plex/pin',
        credentials: 'include',
        accept: 'application/json',
      },
    ])
    await advance(999)
    expect(page.routes.polled).toHaveLength(0)
    await advance(1)
    expect(page.routes.polled).toHaveLength(1)
    expect(page.routes.polled[0]).toMatchObject({ url: 'https://api.example/auth/plex/pin/1000' })
    await advance(2000)
    expect(run).toEqual({ settled: true, value: identity })
    expect(page.routes.polled).toHaveLength(3)
    expect(popup.closeCalls).toBe(1)
    expect(page.assigned).toEqual([])
  })

  it('uses /auth/plex by default, accepts 200 and a numeric id, and escapes the id in the poll URL', async () => {
    page.routes.pin = { status: 200, body: { id: 42, authUrl: AUTH_URL, pollInterval: 1 } }
    page.routes.polls = [signedIn]
    const run = signIn()
    await advance(1000)
    expect(run.value).toEqual(identity)
    expect(page.routes.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /auth/plex/pin',
      'GET /auth/plex/pin/42',
    ])

    page.routes.pin = {
      status: 201,
      body: { id: 'a/b?c', authUrl: 'HTTP://plex.example/auth', pollInterval: 1 },
    }
    page.nextPopup = new FakePopup()
    const second = signIn()
    await advance(1000)
    expect(second.value).toEqual(identity)
    expect(page.routes.requests.at(-1)?.url).toBe('/auth/plex/pin/a%2Fb%3Fc')
  })

  it('resolves to the body itself when a 200 has no identity field', async () => {
    page.routes.polls = [{ status: 200, body: { user: { id: 9 } } }]
    const run = signIn()
    await advance(1000)
    expect(run.value).toEqual({ user: { id: 9 } })
  })

  it.each([
    ['missing', undefined, 1000],
    ['not a number', 'soon', 1000],
    ['zero', 0, 1000],
    ['below 0.1 s', 0.01, 100],
    ['as given', 2.5, 2500],
    ['above 60 s', 600, 60_000],
  ])('pollInterval %s: the first poll comes after %s → %s ms', async (_label, pollInterval, ms) => {
    page.routes.pin = { status: 201, body: { id: '1', authUrl: AUTH_URL, pollInterval } }
    page.routes.polls = [signedIn]
    const run = signIn()
    await advance(ms - 1)
    expect(page.routes.polled).toHaveLength(0)
    await advance(1)
    expect(page.routes.polled).toHaveLength(1)
    expect(run.value).toEqual(identity)
  })

  it('a second call while a popup sign-in is under way focuses that popup and returns the same promise', async () => {
    page.routes.polls = [pending, signedIn]
    const popup = page.nextPopup!
    const first = browser.signInWithPlex()
    const second = browser.signInWithPlex({ mode: 'popup' })
    expect(second).toBe(first)
    expect(popup.focusCalls).toBe(1)
    expect(page.opened).toHaveLength(1)
    const run = follow(first)
    await advance(2000)
    expect(run.value).toEqual(identity)
    expect(page.routes.requests.filter((r) => r.method === 'POST')).toHaveLength(1)

    // Once it settled, a new sign-in starts afresh: a new window, a new PIN.
    page.nextPopup = new FakePopup()
    const again = signIn()
    await advance(1000)
    expect(again.value).toEqual(identity)
    expect(page.opened).toHaveLength(2)
    expect(page.routes.requests.filter((r) => r.method === 'POST')).toHaveLength(2)
  })

  it('a sign-in that failed is over: the next call starts afresh, it does not get the failure again', async () => {
    page.routes.polls = [denied('PIN_EXPIRED')]
    const first = signIn()
    await advance(1000)
    expect(failure(first).code).toBe('PIN_EXPIRED')
    page.routes.polls = [signedIn]
    page.nextPopup = new FakePopup()
    const again = signIn()
    await advance(1000)
    expect(again.value).toEqual(identity)
    expect(page.opened).toHaveLength(2)
  })

  it('a second call with an aborted signal while a sign-in is under way is CANCELLED, and leaves that one be', async () => {
    page.routes.polls = [pending, signedIn]
    const popup = page.nextPopup!
    const run = signIn()
    const second = signIn({ signal: AbortSignal.abort('user') })
    await advance(0)
    const err = failure(second)
    expect([err.code, err.cause]).toEqual(['CANCELLED', 'user'])
    expect(popup.focusCalls).toBe(0)
    await advance(2000)
    expect(run.value).toEqual(identity)
  })

  it("mode 'redirect' while a popup sign-in is under way redirects rather than joining it", async () => {
    page.routes.polls = [pending, signedIn]
    const run = signIn()
    const redirect = signIn({ mode: 'redirect' })
    expect(page.assigned).toEqual(['/auth/plex/start?returnTo=%2Fpage'])
    expect(page.opened).toHaveLength(1)
    await advance(2000)
    expect(run.value).toEqual(identity)
    expect(redirect.settled).toBe(false)
  })
})

describe('answers that end a popup sign-in', () => {
  it.each([
    ['PIN_EXPIRED', denied('PIN_EXPIRED'), 'PIN_EXPIRED', 410, undefined],
    [
      'ACCESS_DENIED no_server_access',
      denied('ACCESS_DENIED', 'no_server_access'),
      'ACCESS_DENIED',
      403,
      'no_server_access',
    ],
    ['ACCESS_DENIED not_owner', denied('ACCESS_DENIED', 'not_owner'), 'ACCESS_DENIED', 403, 'not_owner'],
    ['ACCESS_DENIED refused', denied('ACCESS_DENIED', 'refused'), 'ACCESS_DENIED', 403, 'refused'],
    ['ACCESS_DENIED without a reason', denied('ACCESS_DENIED'), 'ACCESS_DENIED', 403, undefined],
    ['LOGIN_STATE_INVALID', denied('LOGIN_STATE_INVALID'), 'NETWORK', 403, 'LOGIN_STATE_INVALID'],
    ['404 without JSON', { status: 404, text: 'Not found' }, 'NETWORK', 404, undefined],
    // An app's index.html served for every path: a 200, but no identity.
    ['200 with HTML', { status: 200, text: '<!doctype html><title>App</title>' }, 'NETWORK', 200, undefined],
    ['200 without an identity', { status: 200, body: { status: 'signed_in' } }, 'NETWORK', 200, undefined],
    // Only 202 means "still pending": another 2xx is nothing the server sends.
    ['204', { status: 204 }, 'NETWORK', 204, undefined],
  ] satisfies [string, Reply, string, number, string | undefined][])(
    'a poll answered %s',
    async (_label, reply, code, status, reason) => {
      page.routes.polls = [pending, reply]
      const popup = page.nextPopup!
      const run = signIn()
      await advance(2000)
      const err = failure(run)
      expect([err.code, err.status, err.reason]).toEqual([code, status, reason])
      expect(page.routes.polled).toHaveLength(2)
      expect(popup.closeCalls).toBe(1)
      // It stopped: no poll after the answer that ended it.
      await advance(10_000)
      expect(page.routes.polled).toHaveLength(2)
    },
  )

  it.each([
    ['cannot be reached', 'network-error', undefined, undefined],
    ['answers 500', { status: 500, body: { code: 'INTERNAL_ERROR' } }, 500, 'INTERNAL_ERROR'],
    ['answers 429', { status: 429, body: { code: 'RATE_LIMITED' }, retryAfter: '1' }, 429, 'RATE_LIMITED'],
    ['answers 201 with an HTML page', { status: 201, text: '<h1>Hello</h1>' }, 201, undefined],
    ['answers 201 with nothing', { status: 201 }, 201, undefined],
    ['sends no id', { status: 201, body: { authUrl: AUTH_URL } }, 201, undefined],
    ['sends an object as id', { status: 201, body: { id: { $gt: 1 }, authUrl: AUTH_URL } }, 201, undefined],
    [
      'sends a javascript: authUrl',
      { status: 201, body: { id: '1', authUrl: 'javascript:alert(1)' } },
      201,
      undefined,
    ],
    ['sends no authUrl', { status: 201, body: { id: '1' } }, 201, undefined],
    // The scheme must open the URL: an https:// further in does not make a javascript: URL safe.
    [
      'sends a javascript: authUrl holding an https:// URL',
      { status: 201, body: { id: '1', authUrl: 'javascript:alert("https://app.plex.tv/")' } },
      201,
      undefined,
    ],
    [
      'sends an authUrl without //',
      { status: 201, body: { id: '1', authUrl: 'https:app.plex.tv/auth' } },
      201,
      undefined,
    ],
  ] satisfies [string, Reply, number | undefined, string | undefined][])(
    'creating the PIN fails with NETWORK when the server %s; the popup is closed, never pointed anywhere',
    async (_label, reply, status, reason) => {
      page.routes.pin = reply
      const popup = page.nextPopup!
      const run = signIn()
      await advance(0)
      const err = failure(run)
      expect([err.code, err.status, err.reason]).toEqual(['NETWORK', status, reason])
      if (reply === 'network-error') expect(err.cause).toBeInstanceOf(TypeError)
      expect(popup.navigations).toEqual([])
      expect(popup.closeCalls).toBe(1)
      expect(page.routes.requests).toHaveLength(1)
    },
  )

  it('creating the PIN refused with ACCESS_DENIED keeps the reason', async () => {
    page.routes.pin = denied('ACCESS_DENIED', 'refused')
    const run = signIn()
    await advance(0)
    const err = failure(run)
    expect([err.code, err.reason]).toEqual(['ACCESS_DENIED', 'refused'])
  })
})

describe('a struggling server: Retry-After, backoff, giving up', () => {
  it('waits as Retry-After asks on 429 and 503, then polls at the interval again', async () => {
    page.routes.polls = [
      { status: 429, body: { code: 'RATE_LIMITED' }, retryAfter: '3' },
      { status: 503, body: {}, retryAfter: '5' },
      pending,
      signedIn,
    ]
    const run = signIn()
    await advance(1000)
    expect(page.routes.polled).toHaveLength(1)
    await advance(2999)
    expect(page.routes.polled).toHaveLength(1)
    await advance(1)
    expect(page.routes.polled).toHaveLength(2)
    await advance(4999)
    expect(page.routes.polled).toHaveLength(2)
    await advance(1)
    expect(page.routes.polled).toHaveLength(3)
    await advance(1000)
    expect(run.value).toEqual(identity)
    expect(page.routes.polled).toHaveLength(4)
  })

  it('Retry-After: 0 means poll again at once', async () => {
    page.routes.polls = [{ status: 503, body: {}, retryAfter: '0' }, signedIn]
    const run = signIn()
    await advance(1000)
    expect(page.routes.polled).toHaveLength(2)
    expect(run.value).toEqual(identity)
  })

  it('never waits longer than a minute, whatever Retry-After says', async () => {
    page.routes.polls = [{ status: 429, body: {}, retryAfter: '3600' }, signedIn]
    const run = signIn()
    await advance(1000 + 59_999)
    expect(page.routes.polled).toHaveLength(1)
    await advance(1)
    expect(run.value).toEqual(identity)
  })

  it('backs off exponentially without Retry-After (5xx, garbage, no answer), capped at a minute', async () => {
    page.routes.polls = [
      { status: 502, text: '<h1>Bad gateway</h1>' },
      'network-error',
      { status: 500, body: { code: 'INTERNAL_ERROR' } },
      { status: 503 },
      { status: 504 },
      { status: 500 },
      { status: 500 },
      signedIn,
    ]
    const run = signIn()
    const pollTimes: number[] = []
    const start = Date.now()
    for (let i = 0; i < 8 && !run.settled; i++) {
      const before = page.routes.polled.length
      while (page.routes.polled.length === before) await advance(250)
      pollTimes.push(Date.now() - start)
    }
    const gaps = pollTimes.slice(1).map((t, i) => t - pollTimes[i]!)
    // interval × 2^failures: 2, 4, 8, 16, 32 s, then the one-minute cap.
    expect(pollTimes[0]).toBe(1000)
    expect(gaps).toEqual([2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000])
    expect(run.value).toEqual(identity)
  })

  it.each([
    ['no answer at all', 'network-error', undefined],
    ['503', { status: 503, body: { code: 'SERVICE_UNAVAILABLE' }, retryAfter: '1' }, 503],
  ] satisfies [string, Reply, number | undefined][])(
    'eight failed polls in a row (%s) end with NETWORK',
    async (_label, reply, status) => {
      page.routes.polls = [reply]
      const run = signIn()
      await advance(10 * 60_000)
      const err = failure(run)
      expect([err.code, err.status]).toEqual(['NETWORK', status])
      expect(page.routes.polled).toHaveLength(8)
    },
  )

  it('a pending answer resets the count of failures and the wait', async () => {
    const throttled: Reply = { status: 429, body: {}, retryAfter: '1' }
    page.routes.polls = [...Array(7).fill(throttled), pending, ...Array(7).fill(throttled), signedIn]
    const run = signIn()
    await advance(1000 + 7 * 1000)
    expect(page.routes.polled).toHaveLength(8)
    // After the pending answer the wait is the interval again, not the last Retry-After nor a backoff.
    await advance(999)
    expect(page.routes.polled).toHaveLength(8)
    await advance(1 + 7 * 1000)
    expect(run.value).toEqual(identity)
    expect(page.routes.polled).toHaveLength(16)
  })
})

describe('the popup closed: believed only once seen on Plex’s page for a second, with the focus back', () => {
  it('closed after a second on Plex’s page: one more poll, then CANCELLED', async () => {
    const popup = page.nextPopup!
    const run = signIn()
    await advance(1500)
    expect(page.routes.polled).toHaveLength(1)
    popup.closed = true
    await advance(500)
    expect(page.routes.polled).toHaveLength(2)
    const err = failure(run)
    expect(err.code).toBe('CANCELLED')
    expect(popup.closeCalls).toBe(0)
    await advance(10_000)
    expect(page.routes.polled).toHaveLength(2)
  })

  it('the poll after closing failing (503, no answer) is not an answer: polling goes on until one comes', async () => {
    page.routes.polls = [pending, { status: 503, body: {}, retryAfter: '1' }, 'network-error', signedIn]
    const popup = page.nextPopup!
    const run = signIn()
    await advance(1500)
    popup.closed = true
    await advance(500)
    expect(page.routes.polled).toHaveLength(2)
    expect(run.settled).toBe(false)
    // 503 with Retry-After 1 s, then no answer (backoff 4 s), then the approval that had landed.
    await advance(1000 + 4000)
    expect(page.routes.polled).toHaveLength(4)
    expect(run.value).toEqual(identity)
  })

  it('an approval that landed just before the window closed still signs in (the poll after closing)', async () => {
    page.routes.polls = [pending, signedIn]
    const popup = page.nextPopup!
    const run = signIn()
    await advance(1500)
    popup.closed = true
    await advance(500)
    expect(run.value).toEqual(identity)
  })

  it('seen on Plex’s page for exactly a second is enough: closed right after, the next poll cancels', async () => {
    const popup = page.nextPopup!
    const run = signIn()
    // The watch tick at 1000 ms, just before the first poll, is the last one to see the popup open.
    await advance(1000)
    expect(page.routes.polled).toHaveLength(1)
    popup.closed = true
    await advance(1000)
    expect(failure(run).code).toBe('CANCELLED')
    expect(page.routes.polled).toHaveLength(2)
  })

  it('closed while a poll is on its way: a pending answer to that poll is not the last word, one more poll is', async () => {
    page.routes.polls = [pending, pending, signedIn]
    const popup = page.nextPopup!
    const { fetch } = page.routes
    vi.stubGlobal('fetch', (input: string, init?: RequestInit) => {
      // The user closes the window as the second poll leaves: the approval may land after the server read the PIN.
      if (init?.method === 'GET' && page.routes.polled.length === 1) popup.closed = true
      return fetch(input, init)
    })
    const run = signIn()
    await advance(2000)
    expect(page.routes.polled).toHaveLength(2)
    expect(popup.closed).toBe(true)
    expect(run.settled).toBe(false)
    await advance(1000)
    expect(run.value).toEqual(identity)
    expect(page.routes.polled).toHaveLength(3)
  })

  it('a page whose location the opener can read counts as Plex’s page too', async () => {
    page.nextPopup = new FakePopup('same-origin')
    const popup = page.nextPopup
    const run = signIn()
    await advance(1500)
    popup.closed = true
    await advance(500)
    expect(failure(run).code).toBe('CANCELLED')
    expect(page.routes.polled).toHaveLength(2)
  })

  it('closed (or severed by COOP) within the first second: polling goes on until an answer ends it', async () => {
    page.routes.polls = [pending, pending, pending, pending, denied('PIN_EXPIRED')]
    const popup = page.nextPopup!
    const run = signIn()
    await advance(750)
    popup.closed = true
    await advance(3250)
    expect(run.settled).toBe(false)
    expect(page.routes.polled).toHaveLength(4)
    await advance(1000)
    expect(failure(run).code).toBe('PIN_EXPIRED')
    expect(page.routes.polled).toHaveLength(5)
  })

  it('a popup that never left about:blank was never seen on Plex’s page: closing it does not cancel', async () => {
    page.nextPopup = new FakePopup('stays-blank')
    page.routes.polls = [pending, pending, pending, signedIn]
    const popup = page.nextPopup
    const run = signIn()
    await advance(1500)
    popup.closed = true
    await advance(1500)
    expect(run.settled).toBe(false)
    await advance(1000)
    expect(run.value).toEqual(identity)
    expect(popup.navigations).toEqual([AUTH_URL])
  })

  it('while this page lacks the focus (the popup may only be cut off), polling goes on until the focus is back', async () => {
    const popup = page.nextPopup!
    const run = signIn()
    await advance(1500)
    page.focused = false
    popup.closed = true
    await advance(2500)
    expect(run.settled).toBe(false)
    expect(page.routes.polled).toHaveLength(4)
    page.focused = true
    await advance(1000)
    expect(failure(run).code).toBe('CANCELLED')
    expect(page.routes.polled).toHaveLength(5)
  })

  it('closed before the PIN existed: CANCELLED, no poll, the popup never pointed at Plex', async () => {
    const popup = page.nextPopup!
    const run = signIn()
    popup.closed = true
    await advance(5000)
    expect(failure(run).code).toBe('CANCELLED')
    expect(popup.navigations).toEqual([])
    expect(page.routes.requests).toHaveLength(1)
    expect(popup.closeCalls).toBe(0)
  })
})

describe('the signal', () => {
  it('already aborted: CANCELLED with its reason, nothing opened or sent', async () => {
    const run = signIn({ signal: AbortSignal.abort('user') })
    await advance(0)
    const err = failure(run)
    expect([err.code, err.cause]).toEqual(['CANCELLED', 'user'])
    expect(page.opened).toEqual([])
    expect(page.routes.requests).toEqual([])
  })

  it('aborted while the PIN is being created: CANCELLED, the popup closed', async () => {
    page.routes.pin = 'hang'
    const popup = page.nextPopup!
    const controller = new AbortController()
    const run = signIn({ signal: controller.signal })
    await advance(5000)
    expect(run.settled).toBe(false)
    controller.abort('user')
    await advance(0)
    const err = failure(run)
    expect([err.code, err.cause]).toEqual(['CANCELLED', 'user'])
    expect(popup.closeCalls).toBe(1)
    expect(popup.navigations).toEqual([])
  })

  it('aborted between polls: CANCELLED within a watch tick, no further poll', async () => {
    const popup = page.nextPopup!
    const controller = new AbortController()
    const run = signIn({ signal: controller.signal })
    await advance(1100)
    controller.abort('user')
    await advance(250)
    const err = failure(run)
    expect([err.code, err.cause]).toEqual(['CANCELLED', 'user'])
    expect(popup.closeCalls).toBe(1)
    await advance(10_000)
    expect(page.routes.polled).toHaveLength(1)
  })

  it('aborted during a poll: CANCELLED, not counted as a failed poll (not NETWORK after seven failures)', async () => {
    page.routes.polls = [...Array<Reply>(7).fill('network-error'), 'hang']
    const controller = new AbortController()
    const run = signIn({ signal: controller.signal })
    await advance(10 * 60_000)
    expect(page.routes.polled).toHaveLength(8)
    expect(run.settled).toBe(false)
    controller.abort('gone')
    await advance(0)
    const err = failure(run)
    expect([err.code, err.cause]).toEqual(['CANCELLED', 'gone'])
    expect(page.routes.polled).toHaveLength(8)
  })
})

describe('no popup: blocked, or the redirect flow', () => {
  it.each([
    ['null', () => null],
    ['a window already closed', () => Object.assign(new FakePopup(), { closed: true })],
  ])("mode 'popup' with window.open returning %s rejects with POPUP_BLOCKED", async (_label, popup) => {
    page.nextPopup = popup()
    const run = signIn({ mode: 'popup' })
    await advance(0)
    expect(failure(run).code).toBe('POPUP_BLOCKED')
    expect(page.routes.requests).toEqual([])
    expect(page.assigned).toEqual([])
  })

  it("mode 'auto' with a blocked popup redirects to the start route, back to this page without plexauth_error", async () => {
    page = installFakePage({ href: 'https://app.example/shows/1?tab=cast&plexauth_error=CANCELLED#top' })
    page.nextPopup = null
    const run = signIn({ basePath: 'https://api.example/auth/plex' })
    expect(page.assigned).toEqual([
      `https://api.example/auth/plex/start?returnTo=${encodeURIComponent('/shows/1?tab=cast')}`,
    ])
    // The page is being left: the promise never settles, and nothing is sent from here.
    await advance(60_000)
    expect(run.settled).toBe(false)
    expect(page.routes.requests).toEqual([])
  })

  it("mode 'redirect' never opens a window", async () => {
    const run = signIn({ mode: 'redirect' })
    expect(page.opened).toEqual([])
    expect(page.assigned).toEqual(['/auth/plex/start?returnTo=%2Fpage'])
    await advance(0)
    expect(run.settled).toBe(false)
  })

  it('an unknown mode is a TypeError, and nothing happens', async () => {
    const run = follow(browser.signInWithPlex({ mode: 'tab' as Browser.SignInMode }))
    await advance(0)
    expect(run.error).toBeInstanceOf(TypeError)
    expect((run.error as Error).message).toBe("plexauth: mode must be 'auto', 'popup' or 'redirect'")
    expect(page.opened).toEqual([])
    expect(page.assigned).toEqual([])
  })

  const iPhone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148'
  const mac = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15'
  const iPadOS12 = 'Mozilla/5.0 (iPad; CPU OS 12_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148'
  const android =
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36'
  it.each([
    ['navigator.standalone', { standalone: true }, 'redirect'],
    ['an iPhone in display-mode standalone', { userAgent: iPhone, displayStandalone: true }, 'redirect'],
    [
      'an iPad as a Mac with touch, standalone',
      { userAgent: mac, maxTouchPoints: 5, displayStandalone: true },
      'redirect',
    ],
    // iOS 12 and older: no navigator.maxTouchPoints, and the iPad names itself.
    ['an iPad on iOS 12, standalone', { userAgent: iPadOS12, displayStandalone: true }, 'redirect'],
    ['an iPhone in Safari', { userAgent: iPhone, standalone: false, displayStandalone: false }, 'popup'],
    ['a Mac without touch', { userAgent: mac, maxTouchPoints: 0, displayStandalone: true }, 'popup'],
    ['a Mac with one touch point', { userAgent: mac, maxTouchPoints: 1, displayStandalone: true }, 'popup'],
    ['Chrome on Linux, even standalone', { displayStandalone: true }, 'popup'],
    // Touch alone is not iOS: an installed web app on Android opens popups that work.
    [
      'an Android phone, standalone',
      { userAgent: android, maxTouchPoints: 5, displayStandalone: true },
      'popup',
    ],
  ] as const)("mode 'auto' on %s: %s", async (_label, options, expected) => {
    page = installFakePage(options)
    page.routes.polls = [signedIn]
    const run = signIn()
    expect(page.opened).toHaveLength(expected === 'popup' ? 1 : 0)
    expect(page.assigned).toHaveLength(expected === 'redirect' ? 1 : 0)
    await advance(1000)
    expect(run.settled).toBe(expected === 'popup')
  })

  it("mode 'popup' opens a popup even in a home-screen app", async () => {
    page = installFakePage({ standalone: true })
    page.routes.polls = [signedIn]
    const run = signIn({ mode: 'popup' })
    expect(page.opened).toHaveLength(1)
    await advance(1000)
    expect(run.value).toEqual(identity)
  })
})
