import { PlexSignInError } from './errors.js'
import { type Answer, baseOf, call, cancelled, type PlexBrowserOptions, refusal } from './http.js'
import { identityOf, type PlexBrowserIdentity } from './session.js'

/**
 * How `signInWithPlex` shows Plex's sign-in page: `'auto'` (a popup, or a full-page redirect where a popup
 * can't open or can't work), `'popup'` or `'redirect'`.
 *
 * @example
 * ```ts
 * const mode: SignInMode = new URLSearchParams(location.search).has('no-popup') ? 'redirect' : 'auto'
 * ```
 */
export type SignInMode = 'auto' | 'popup' | 'redirect'

/**
 * Options of `signInWithPlex`.
 *
 * @example
 * ```ts
 * const options: SignInOptions = { basePath: '/auth/plex', mode: 'auto', signal: AbortSignal.timeout(600_000) }
 * ```
 */
export interface SignInOptions extends PlexBrowserOptions {
  /**
   * Default `'auto'`.
   * @default 'auto'
   */
  mode?: SignInMode
}

const MODES: readonly string[] = ['auto', 'popup', 'redirect']
/** How often the popup's state is looked at between polls. */
const WATCH_MS = 250
/** How long the popup must be seen open on Plex's page before `closed` is believed (see `collect`). */
const SETTLE_MS = 1000
/** The longest wait between two polls, whatever `Retry-After` says. */
const MAX_WAIT_MS = 60_000
/** Failed polls in a row (no answer, 429, 5xx) after which the sign-in gives up with `NETWORK`. */
const MAX_FAILURES = 8

// The popup sign-in under way: a second call (a double click) gets it, not a second PIN fighting over the
// same window (a new login-state cookie would orphan the first).
let current: { popup: Window; done: Promise<unknown> } | undefined

/**
 * Signs the user in with Plex and resolves to their identity; the server sets its HttpOnly session cookie.
 * Call it directly in a click handler: the popup is opened synchronously, before anything is awaited, so
 * that popup blockers let it through. The server creates the PIN (`POST {basePath}/pin`), the popup shows
 * Plex's page, and this polls `GET {basePath}/pin/:id` at the server's `pollInterval` (waiting longer on 429
 * and 503, as `Retry-After` asks) until the user is signed in, refused, the PIN expires or `signal` aborts.
 * A popup the user closed gets one more poll, since the approval may have landed just before. A call
 * while a popup sign-in is under way (a double click) focuses that popup and returns the same promise.
 *
 * With `mode: 'auto'` it navigates to `{basePath}/start?returnTo=<this page>` instead when the popup can't
 * open or the page is an iOS home-screen app; the page is then left and the promise never settles: on the
 * way back, `getSession()` tells who signed in, and a refusal arrives as `?plexauth_error=<CODE>`.
 *
 * Rejects with a `PlexSignInError`: `POPUP_BLOCKED`, `PIN_EXPIRED`, `ACCESS_DENIED` (with `reason`),
 * `CANCELLED` or `NETWORK`.
 *
 * @example
 * ```ts
 * const button = document.querySelector('button#sign-in')!
 * const status = document.querySelector('#status')!
 * button.addEventListener('click', async () => {
 *   try {
 *     const identity = await signInWithPlex()
 *     status.textContent = `Signed in as ${identity.user.username}`
 *   } catch (err) {
 *     if (err instanceof PlexSignInError && err.code !== 'CANCELLED') status.textContent = err.message
 *   }
 * })
 * ```
 */
export function signInWithPlex<T = PlexBrowserIdentity>(options: SignInOptions = {}): Promise<T> {
  const { mode = 'auto', signal } = options
  if (!MODES.includes(mode)) {
    return Promise.reject(new TypeError("plexauth: mode must be 'auto', 'popup' or 'redirect'"))
  }
  if (signal?.aborted) return Promise.reject(cancelled(signal))
  if (current !== undefined && mode !== 'redirect') {
    current.popup.focus()
    return current.done as Promise<T>
  }
  const base = baseOf(options)
  const popup = mode === 'redirect' || (mode === 'auto' && homeScreenApp()) ? null : openPopup()
  if (popup !== null) {
    const done = collect<T>(base, popup, signal).finally(() => {
      current = undefined
    })
    current = { popup, done }
    return done
  }
  if (mode === 'popup') return Promise.reject(new PlexSignInError('POPUP_BLOCKED'))
  const back = new URL(location.href)
  back.searchParams.delete('plexauth_error')
  location.assign(`${base}/start?returnTo=${encodeURIComponent(back.pathname + back.search)}`)
  return new Promise<T>(() => {})
}

// iOS home-screen apps open a popup in a separate Safari that shares nothing with the app: redirect instead.
function homeScreenApp(): boolean {
  const nav = navigator as Navigator & { standalone?: boolean }
  return (
    nav.standalone === true ||
    ((/iPhone|iPad|iPod/.test(nav.userAgent) || (/Mac/.test(nav.userAgent) && nav.maxTouchPoints > 1)) &&
      matchMedia('(display-mode: standalone)').matches)
  )
}

function openPopup(): Window | null {
  const width = 600
  const height = 720
  const left = screenX + (outerWidth - width) / 2
  const top = screenY + (outerHeight - height) / 2
  // A blank window first (named: one left over from an earlier sign-in is reused, not joined by a second);
  // it is pointed at Plex once the PIN exists.
  const popup = window.open('', 'plexauth', `popup,width=${width},height=${height},left=${left},top=${top}`)
  return popup === null || popup.closed ? null : popup
}

function sleep(ms: number, signal: AbortSignal | undefined, watch: () => unknown): Promise<void> {
  const end = Date.now() + ms
  return new Promise((resolve, reject) => {
    const tick = () => {
      watch()
      if (signal?.aborted) return reject(cancelled(signal))
      const left = end - Date.now()
      if (left <= 0) resolve()
      else setTimeout(tick, Math.min(left, WATCH_MS))
    }
    tick()
  })
}

async function collect<T>(base: string, popup: Window, signal: AbortSignal | undefined): Promise<T> {
  // `popup.closed` lies under Cross-Origin-Opener-Policy: when the popup leaves our blank page for a page
  // of another browsing context group, the opener loses it and `closed` reads true although the user still
  // sees it. So `closed` counts as "the user closed it" only after the popup was seen open on Plex's page
  // (its location unreadable, or no longer about:blank) for SETTLE_MS: Chromium shows a severed popup that
  // way for a few milliseconds before it reads closed. A popup that vanishes before that was either
  // severed (it keeps working: poll until success, refusal, expiry or abort) or closed while loading.
  // One seen on Plex's page can still be cut off later (Plex's page going on to a login page with its own
  // COOP), so it also takes this page having the focus back: a closed popup returns the focus to its
  // opener, while a severed one keeps it.
  let seen = 0
  let reached = false
  const closed = (): boolean => {
    if (popup.closed) return true
    let away = true
    try {
      away = popup.location.href !== 'about:blank'
    } catch {}
    if (away) {
      seen ||= Date.now()
      reached ||= Date.now() - seen >= SETTLE_MS
    }
    return false
  }
  try {
    let answer = await call(`${base}/pin`, 'POST', signal)
    if (answer.status !== 201 && answer.status !== 200) throw refusal(answer)
    const { id, authUrl, pollInterval } = answer.body ?? {}
    if (!/^(string|number)$/.test(typeof id) || !/^https?:\/\//i.test(authUrl)) {
      throw new PlexSignInError('NETWORK', { status: answer.status })
    }
    // Still our own blank window, so `closed` is the truth here, and nothing can have been approved yet.
    if (popup.closed) throw new PlexSignInError('CANCELLED')
    popup.location.href = authUrl
    const interval = Math.min(Math.max(Number(pollInterval) || 1, 0.1), 60) * 1000
    let wait = interval
    let failures = 0
    for (;;) {
      await sleep(wait, signal, closed)
      // Read before the poll is sent, so that a pending answer to it means "not approved before closing".
      const gone = closed() && reached && document.hasFocus()
      answer = await call(`${base}/pin/${encodeURIComponent(id)}`, 'GET', signal).catch(
        (err: PlexSignInError): Answer => {
          if (err.code === 'CANCELLED') throw err
          return { status: 0, body: undefined, retryAfter: undefined }
        },
      )
      if (answer.status === 200) return identityOf<T>(answer)
      if (answer.status === 202) {
        if (gone) throw new PlexSignInError('CANCELLED')
        wait = interval
        failures = 0
      } else if (answer.status === 0 || answer.status === 429 || answer.status >= 500) {
        if (++failures >= MAX_FAILURES) throw refusal(answer)
        wait = Math.min(answer.retryAfter ?? interval * 2 ** failures, MAX_WAIT_MS)
      } else {
        throw refusal(answer)
      }
    }
  } finally {
    if (!popup.closed) popup.close()
  }
}
