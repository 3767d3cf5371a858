// A minimal, explicit stand-in for the few browser globals @plexauth/browser touches, so that its sign-in runs
// in Node under fake time: window.open (returning a FakePopup whose `closed` the test controls), location,
// navigator, matchMedia, the window's screen position, document.hasFocus, and fetch (a scripted stand-in for
// the login routes that records every request). Installed with vi.stubGlobal: vi.unstubAllGlobals() undoes it.
// What only a real browser shows (popup blockers, COOP severing a popup) stays in sign-in.browser.test.ts.
import { vi } from 'vitest'

/** Where the popup goes once the PIN exists: what reading `popup.location.href` then gives. */
export type PopupNavigation =
  /** Plex's page on another origin, as in real life: reading the location throws. */
  | 'cross-origin'
  /** A page whose location the opener can read (an auth page on the app's own origin). */
  | 'same-origin'
  /** The navigation never commits: the popup still reads about:blank. */
  | 'stays-blank'

export class FakePopup {
  /** What the user (or the test) did: true once the window is gone. */
  closed = false
  /** Every URL the page pointed the popup at. */
  readonly navigations: string[] = []
  focusCalls = 0
  /** Calls of `close()` by the page (not the user closing the window: set `closed` for that). */
  closeCalls = 0
  readonly location: { href: string }

  constructor(navigation: PopupNavigation = 'cross-origin') {
    let shown = 'about:blank'
    const navigations = this.navigations
    this.location = {
      get href(): string {
        if (shown !== 'about:blank' && navigation === 'cross-origin') {
          throw new DOMException('Blocked a frame from accessing a cross-origin frame.', 'SecurityError')
        }
        return shown
      },
      set href(url: string) {
        navigations.push(url)
        if (navigation !== 'stays-blank') shown = url
      },
    }
  }

  focus(): void {
    this.focusCalls++
  }

  close(): void {
    this.closeCalls++
    this.closed = true
  }
}

/** One scripted answer of the login routes. */
export type Reply =
  | { status: number; body?: unknown; text?: string; retryAfter?: string }
  /** fetch rejects, as when the server cannot be reached. */
  | 'network-error'
  /** No answer until the request's signal aborts. */
  | 'hang'

export interface RecordedRequest {
  method: string
  url: string
  credentials: RequestCredentials | undefined
  accept: string | null
}

export const AUTH_URL = 'https://app.plex.tv/auth#?clientID=stub-app&code=ABCD'

/** The login routes as a scripted fetch: `POST …/pin` answers `pin`; `GET …/pin/:id` the next of `polls`. */
export class StubRoutes {
  readonly requests: RecordedRequest[] = []
  pin: Reply = { status: 201, body: { id: '1000', code: 'ABCD', authUrl: AUTH_URL, pollInterval: 1 } }
  /** Answers to the polls, in order; the last one repeats. */
  polls: Reply[] = [{ status: 202, body: { status: 'pending' } }]

  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = String(input)
    const method = init.method ?? 'GET'
    this.requests.push({
      method,
      url,
      credentials: init.credentials,
      accept: new Headers(init.headers).get('accept'),
    })
    const signal = init.signal ?? undefined
    if (signal?.aborted) throw signal.reason
    const reply = method === 'POST' && url.endsWith('/pin') ? this.pin : this.#nextPoll()
    if (reply === 'network-error') throw new TypeError('fetch failed')
    if (reply === 'hang') {
      return new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (reply.retryAfter !== undefined) headers['retry-after'] = reply.retryAfter
    const text = reply.text ?? (reply.body === undefined ? null : JSON.stringify(reply.body))
    return new Response(text, { status: reply.status, headers })
  }

  /** The polls received (`GET …/pin/:id`). */
  get polled(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'GET' && /\/pin\/[^/]+$/.test(r.url))
  }

  #nextPoll(): Reply {
    return (this.polls.length > 1 ? this.polls.shift() : this.polls[0]) ?? 'network-error'
  }
}

export interface FakePageOptions {
  /** The page's URL (location.href). */
  href?: string
  userAgent?: string
  /** iOS Safari's `navigator.standalone` (a home-screen app). */
  standalone?: boolean
  maxTouchPoints?: number
  /** Whether `(display-mode: standalone)` matches. */
  displayStandalone?: boolean
}

export interface FakePage {
  routes: StubRoutes
  /** What the next `window.open` returns: a popup, or null as when a popup blocker refuses it. */
  nextPopup: FakePopup | null
  /** The arguments of every `window.open` call. */
  readonly opened: [url: string | URL | undefined, target: string | undefined, features: string | undefined][]
  /** Every URL given to `location.assign` (a full-page redirect). */
  readonly assigned: string[]
  /** What `document.hasFocus()` answers. */
  focused: boolean
}

/** Installs the stand-in globals; restore them with `vi.unstubAllGlobals()`. */
export function installFakePage(options: FakePageOptions = {}): FakePage {
  const page: FakePage = {
    routes: new StubRoutes(),
    nextPopup: new FakePopup(),
    opened: [],
    assigned: [],
    focused: true,
  }
  vi.stubGlobal('fetch', page.routes.fetch)
  vi.stubGlobal('window', {
    open(url?: string | URL, target?: string, features?: string): FakePopup | null {
      page.opened.push([url, target, features])
      return page.nextPopup
    },
  })
  vi.stubGlobal('location', {
    href: options.href ?? 'https://app.example/page',
    assign(url: string) {
      page.assigned.push(url)
    },
  })
  vi.stubGlobal('navigator', {
    userAgent: options.userAgent ?? 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0',
    maxTouchPoints: options.maxTouchPoints ?? 0,
    ...(options.standalone === undefined ? {} : { standalone: options.standalone }),
  })
  vi.stubGlobal('matchMedia', (query: string) => ({
    matches: query === '(display-mode: standalone)' && options.displayStandalone === true,
  }))
  vi.stubGlobal('document', { hasFocus: () => page.focused })
  vi.stubGlobal('screenX', 100)
  vi.stubGlobal('screenY', 50)
  vi.stubGlobal('outerWidth', 1600)
  vi.stubGlobal('outerHeight', 1000)
  return page
}
