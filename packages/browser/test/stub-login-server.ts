// A STUB of the issue-13 login routes (`plexLogin`) and a stand-in for Plex's sign-in page, for testing
// @plexauth/browser in a real Chromium before the real server half exists. It answers the contract's routes
// with the contract's statuses and bodies and nothing more: no plex.tv, no sealing, no real access checks.
// Two loopback servers on two ports, so the sign-in page is cross-origin to the app, as app.plex.tv is.
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { build } from 'esbuild'

export interface StubAccount {
  username: string
  /** False for a user the server is not shared with: ACCESS_DENIED `no_server_access`. */
  access: boolean
}

export const STUB_ACCOUNTS: readonly StubAccount[] = [
  { username: 'alice', access: true },
  { username: 'bob', access: true },
  { username: 'mallory', access: false },
]

/** Per-test behaviour; `reset()` restores these. */
export interface StubBehaviour {
  /** Seconds, as `pollInterval` in `POST /pin`. */
  pollInterval: number
  /** Seconds a PIN lives. */
  pinLifetime: number
  /** How many polls answer 429 with `Retry-After: 1` before the real answer. */
  throttledPolls: number
  /** Whether the stand-in Plex page closes its window after Allow/Deny (when it has no forwardUrl). */
  closeAfterDecision: boolean
}

const DEFAULTS: StubBehaviour = {
  pollInterval: 0.3,
  pinLifetime: 600,
  throttledPolls: 0,
  closeAfterDecision: true,
}

interface Pin {
  id: string
  code: string
  state: string
  expiresAt: number
  returnTo: string
  decision?: { allow: boolean; account: StubAccount }
}

export interface LoggedRequest {
  method: string
  path: string
  at: number
}

export interface StubLoginServer {
  /** The app's origin: its page at `/`, the package at `/plexauth-browser.js`, the routes at `/auth/plex`. */
  appUrl: string
  /** The stand-in Plex page's origin. */
  plexUrl: string
  behaviour: StubBehaviour
  /** Requests the app server received, oldest first. */
  requests: LoggedRequest[]
  reset(): void
  close(): Promise<void>
}

const PACKAGE_ENTRY = join(import.meta.dirname, '..', 'src', 'index.ts')

const APP_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stub app</title></head>
<body>
<button id="signin">Sign in with Plex</button> <button id="cancel">Cancel</button>
<button id="signout">Sign out</button>
<p id="status">Loading</p>
<script type="module">
import { getSession, signInWithPlex, signOut } from '/plexauth-browser.js'
const status = document.getElementById('status')
const params = new URLSearchParams(location.search)
// Also logged, for tests that must not evaluate in the page (Playwright's evaluation counts as a user gesture).
const say = (text) => { status.textContent = text; console.log('status: ' + text) }
const show = (identity) => say(identity ? 'Signed in as ' + identity.user.username : 'Signed out')
const fail = (err) => say('Error ' + err.code + (err.reason ? ' ' + err.reason : ''))
let controller
// Keeps the popup handle the package got, so a test can see that COOP severed it.
const open = window.open.bind(window)
window.open = (...args) => (window.lastPopup = open(...args))
function signIn() {
  controller = new AbortController()
  say('Signing in')
  signInWithPlex({ mode: params.get('mode') ?? 'auto', signal: controller.signal }).then(show, fail)
}
document.getElementById('signin').onclick = signIn
document.getElementById('cancel').onclick = () => controller?.abort()
document.getElementById('signout').onclick = () => signOut().then(() => show(null), fail)
const error = params.get('plexauth_error')
// autostart: a sign-in begun without a click, which the popup blocker refuses.
if (error) say('Error ' + error)
else getSession().then((identity) => (identity || !params.has('autostart') ? show(identity) : signIn()), fail)
</script>
</body></html>`

const PLEX_PAGE = (close: boolean) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stand-in Plex sign-in</title></head>
<body>
<h1>Sign in to <span id="product"></span></h1>
<p>Code <strong id="code"></strong></p>
<label>Account <select id="account">${STUB_ACCOUNTS.map((a) => `<option>${a.username}</option>`).join('')}</select></label>
<button id="allow">Allow</button> <button id="deny">Deny</button>
<script>
const params = new URLSearchParams(location.hash.replace(/^#\\??/, ''))
document.getElementById('product').textContent = params.get('context[device][product]')
document.getElementById('code').textContent = params.get('code')
async function decide(allow) {
  await fetch('/decide', {
    method: 'POST',
    body: JSON.stringify({ code: params.get('code'), account: document.getElementById('account').value, allow }),
  })
  const forward = params.get('forwardUrl')
  if (forward) location.href = forward
  else if (${close}) window.close()
  else document.body.textContent = 'You may close this window.'
}
document.getElementById('allow').onclick = () => decide(true)
document.getElementById('deny').onclick = () => decide(false)
</script>
</body></html>`

function cookies(req: IncomingMessage): Map<string, string> {
  const jar = new Map<string, string>()
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name) jar.set(name, value.join('='))
  }
  return jar
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}

function denied(res: ServerResponse, code: string, reason?: string) {
  const status = code === 'PIN_EXPIRED' ? 410 : 403
  json(res, status, { error: 'access_denied', error_description: 'Access denied', code, reason })
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export async function startStubLoginServer(): Promise<StubLoginServer> {
  const bundle = await build({ entryPoints: [PACKAGE_ENTRY], bundle: true, format: 'esm', write: false })
  const script = bundle.outputFiles[0]!.text
  const pins = new Map<string, Pin>()
  const sessions = new Map<string, StubAccount>()
  const requests: LoggedRequest[] = []
  const behaviour = { ...DEFAULTS }
  let throttled = 0
  let appUrl = ''
  let plexUrl = ''

  const newPin = (returnTo: string, res: ServerResponse): Pin => {
    const pin: Pin = {
      id: String(pins.size + 1000),
      code: randomBytes(4).toString('hex').toUpperCase(),
      state: randomBytes(16).toString('hex'),
      expiresAt: Date.now() + behaviour.pinLifetime * 1000,
      returnTo,
    }
    pins.set(pin.id, pin)
    res.setHeader(
      'set-cookie',
      `stub_login_state=${pin.id}.${pin.state}; HttpOnly; SameSite=Lax; Path=/auth/plex`,
    )
    return pin
  }
  const authUrl = (pin: Pin, forwardUrl?: string) => {
    const params = new URLSearchParams({ clientID: 'stub-app', code: pin.code })
    if (forwardUrl !== undefined) params.set('forwardUrl', forwardUrl)
    params.set('context[device][product]', 'Stub App')
    return `${plexUrl}/auth#?${params}`
  }
  const boundPin = (req: IncomingMessage): Pin | undefined => {
    const [id, state] = (cookies(req).get('stub_login_state') ?? '').split('.')
    const pin = pins.get(id ?? '')
    return pin !== undefined && pin.state === state ? pin : undefined
  }
  // What `GET /pin/:id` and `GET /callback` both decide: pending, signed in (a session id), or a refusal.
  const finish = (
    pin: Pin,
    res: ServerResponse,
  ): { code: string; reason?: string } | 'pending' | 'signed_in' => {
    if (Date.now() > pin.expiresAt) {
      pins.delete(pin.id)
      return { code: 'PIN_EXPIRED' }
    }
    if (pin.decision === undefined) return 'pending'
    // As plexLogin with plex.tv: "Deny" withdraws the PIN (plex.tv documents no refusal), so it reads expired.
    if (!pin.decision.allow) return { code: 'PIN_EXPIRED' }
    if (!pin.decision.account.access) return { code: 'ACCESS_DENIED', reason: 'no_server_access' }
    const sid = randomBytes(16).toString('hex')
    sessions.set(sid, pin.decision.account)
    pins.delete(pin.id)
    res.setHeader('set-cookie', `stub_session=${sid}; HttpOnly; SameSite=Lax; Path=/`)
    return 'signed_in'
  }
  const identity = (account: StubAccount) => ({
    user: { id: STUB_ACCOUNTS.indexOf(account) + 1, username: account.username },
    access: { owner: account === STUB_ACCOUNTS[0] },
  })

  const app = createServer((req, res) => {
    const url = new URL(req.url ?? '/', appUrl)
    requests.push({ method: req.method ?? '', path: url.pathname, at: Date.now() })
    const route = `${req.method} ${url.pathname}`
    if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/coop')) {
      const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' }
      if (url.pathname === '/coop') headers['cross-origin-opener-policy'] = 'same-origin'
      return res.writeHead(200, headers).end(APP_PAGE)
    }
    if (route === 'GET /plexauth-browser.js') {
      return res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    }
    if (route === 'POST /auth/plex/pin') {
      const pin = newPin('/', res)
      return json(res, 201, {
        id: pin.id,
        code: pin.code,
        authUrl: authUrl(pin),
        expiresAt: new Date(pin.expiresAt).toISOString(),
        pollInterval: behaviour.pollInterval,
      })
    }
    const poll = /^GET \/auth\/plex\/pin\/([^/]+)$/.exec(route)
    if (poll !== null) {
      if (throttled < behaviour.throttledPolls) {
        throttled++
        return json(res, 429, { error: 'slow_down' }, { 'retry-after': '1' })
      }
      const pin = boundPin(req)
      if (pin === undefined || pin.id !== poll[1]) return denied(res, 'LOGIN_STATE_INVALID')
      const outcome = finish(pin, res)
      if (outcome === 'pending') return json(res, 202, { status: 'pending' })
      if (outcome === 'signed_in') {
        return json(res, 200, { status: 'signed_in', identity: identity(pin.decision!.account) })
      }
      return denied(res, outcome.code, outcome.reason)
    }
    if (route === 'GET /auth/plex/start') {
      const wanted = url.searchParams.get('returnTo') ?? '/'
      const pin = newPin(/^\/(?![/\\])/.test(wanted) ? wanted : '/', res)
      return res.writeHead(302, { location: authUrl(pin, `${appUrl}/auth/plex/callback`) }).end()
    }
    if (route === 'GET /auth/plex/callback') {
      const pin = boundPin(req)
      if (pin === undefined) return denied(res, 'LOGIN_STATE_INVALID')
      const outcome = finish(pin, res)
      const back = new URL(pin.returnTo, appUrl)
      if (outcome !== 'signed_in') {
        back.searchParams.set('plexauth_error', outcome === 'pending' ? 'CANCELLED' : outcome.code)
      }
      return res.writeHead(303, { location: back.pathname + back.search }).end()
    }
    if (route === 'GET /auth/plex/session') {
      const account = sessions.get(cookies(req).get('stub_session') ?? '')
      return account === undefined
        ? json(res, 401, {
            error: 'unauthorized',
            error_description: 'Authentication required',
            code: 'TOKEN_MISSING',
          })
        : json(res, 200, identity(account))
    }
    if (route === 'POST /auth/plex/logout') {
      sessions.delete(cookies(req).get('stub_session') ?? '')
      return res.writeHead(204, { 'set-cookie': 'stub_session=; Max-Age=0; Path=/' }).end()
    }
    json(res, 404, { error: 'not_found' })
  })

  const plex = createServer((req, res) => {
    const url = new URL(req.url ?? '/', plexUrl)
    if (req.method === 'GET' && url.pathname === '/auth') {
      return res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(PLEX_PAGE(behaviour.closeAfterDecision))
    }
    if (req.method === 'POST' && url.pathname === '/decide') {
      let text = ''
      req.on('data', (chunk) => {
        text += chunk
      })
      req.on('end', () => {
        const { code, account, allow } = JSON.parse(text) as { code: string; account: string; allow: boolean }
        const pin = [...pins.values()].find((p) => p.code === code)
        const chosen = STUB_ACCOUNTS.find((a) => a.username === account)
        if (pin !== undefined && chosen !== undefined) pin.decision = { allow, account: chosen }
        res.writeHead(pin === undefined ? 404 : 204).end()
      })
      return
    }
    res.writeHead(404).end()
  })

  appUrl = await listen(app)
  plexUrl = await listen(plex)
  return {
    appUrl,
    plexUrl,
    behaviour,
    requests,
    reset() {
      Object.assign(behaviour, DEFAULTS)
      throttled = 0
      requests.length = 0
    },
    async close() {
      for (const server of [app, plex]) {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
      }
    },
  }
}
