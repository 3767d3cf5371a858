import { createHash } from 'node:crypto'
import { CONTROL_PATH, SIGN_IN_PATH } from '../paths.js'
import type { Route } from '../router.js'
import type { FakePlexState } from '../state.js'
import { escapeXml } from '../xml.js'

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; color: #1b1b1b; background: #f4f4f4; margin: 0; }
main { max-width: 26rem; margin: 3rem auto; padding: 1.5rem 2rem; background: #fff; border-radius: 8px; }
h1 { font-size: 1.4rem; margin-top: 0; }
code { font-size: 1.2rem; letter-spacing: 0.1em; }
label, select { display: block; width: 100%; margin-bottom: 1rem; }
select { font: inherit; padding: 0.3rem; }
button { font: inherit; padding: 0.5rem 1.5rem; margin-right: 0.5rem; border-radius: 4px; border: 1px solid #888; cursor: pointer; }
#allow { background: #e5a00d; border-color: #c98b00; }
#status:empty { display: none; }
`

// Reads the fragment as app.plex.tv/auth does (`#?clientID=…&code=…&context%5Bdevice%5D%5Bproduct%5D=…&forwardUrl=…`),
// approves or denies through the control surface, then closes the window or goes to forwardUrl.
const SCRIPT = `
(() => {
  const params = new URLSearchParams(location.hash.replace(/^#!?\\??/, ''))
  const code = params.get('code') || ''
  const clientID = params.get('clientID')
  const forwardUrl = params.get('forwardUrl')
  const product = params.get('context[device][product]')
  const $ = (id) => document.getElementById(id)
  if (product) $('product').textContent = product
  $('code').textContent = code || '(none)'
  const buttons = [$('allow'), $('deny')]
  const say = (text) => { $('status').textContent = text }
  if (!code) {
    say('This sign-in link carries no code.')
    for (const button of buttons) button.disabled = true
  }
  const leave = () => {
    let target
    try { target = forwardUrl ? new URL(forwardUrl, location.href) : undefined } catch { target = undefined }
    if (target && (target.protocol === 'http:' || target.protocol === 'https:')) {
      location.assign(target.href)
      return
    }
    window.close()
  }
  const decide = async (decision) => {
    for (const button of buttons) button.disabled = true
    say(decision === 'approve' ? 'Signing in…' : 'Refusing…')
    const body = { code, accountId: Number($('account').value) }
    if (clientID) body.clientIdentifier = clientID
    let status = 0
    try {
      const response = await fetch('${CONTROL_PATH}/pins/' + decision, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      status = response.status
    } catch {}
    if (status !== 204) {
      say(status === 404 ? 'This code is unknown or has expired.' : 'The sign-in could not be recorded.')
      for (const button of buttons) button.disabled = false
      return
    }
    document.body.dataset.decision = decision === 'approve' ? 'allowed' : 'denied'
    say(decision === 'approve' ? 'Signed in. You can close this window.' : 'Sign-in refused. You can close this window.')
    leave()
  }
  $('consent').addEventListener('submit', (event) => { event.preventDefault(); return decide('approve') })
  $('deny').addEventListener('click', () => decide('deny'))
})()
`

const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

/**
 * The page's Content-Security-Policy: its own inline style and script (by hash), requests to its own origin
 * only, an inline empty icon, nothing else loaded.
 */
export const SIGN_IN_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hashOf(SCRIPT)}`,
  `style-src ${hashOf(STYLE)}`,
  "connect-src 'self'",
  // The empty icon keeps browsers from asking the fake for /favicon.ico (a request tests would count).
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ')

function accountOptions(state: FakePlexState): string {
  return [...state.accounts.values()]
    .map((account) => {
      const name = account.username ?? account.friendly_name ?? `account ${account.id}`
      const label = account.email === undefined ? name : `${name} (${account.email})`
      const selected = account.id === state.account.id ? ' selected' : ''
      return `<option value="${account.id}"${selected}>${escapeXml(label)}</option>`
    })
    .join('\n        ')
}

function page(state: FakePlexState): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Sign in with Plex (fake plex.tv)</title>
  <link rel="icon" href="data:,">
  <style>${STYLE}</style>
</head>
<body>
  <main>
    <h1>Sign in with Plex</h1>
    <p><strong id="product">An app</strong> asks to sign you in with your Plex account.</p>
    <p>Code: <code id="code"></code></p>
    <form id="consent">
      <label for="account">Sign in as</label>
      <select id="account" name="account">
        ${accountOptions(state)}
      </select>
      <button type="submit" id="allow">Allow</button>
      <button type="button" id="deny">Deny</button>
    </form>
    <p id="status" role="status" aria-live="polite"></p>
    <p><small>This is the fake plex.tv of @plexauth/testing, standing in for app.plex.tv/auth.</small></p>
  </main>
  <script>${SCRIPT}</script>
</body>
</html>
`
}

/**
 * `GET /auth`: the fake's stand-in for `https://app.plex.tv/auth`. It reads `clientID`, `code`, `forwardUrl`
 * and `context[device][product]` from the URL fragment, shows the product and the code, lets the tester pick
 * one of the fake's accounts, and has an "Allow" and a "Deny" button: they `POST /__fake/pins/approve` or
 * `/__fake/pins/deny` (same origin) with `{ code, accountId, clientIdentifier }`, then go to `forwardUrl`
 * when there is one, else close the window.
 */
export const signInPageRoute: Route = {
  method: 'GET',
  path: SIGN_IN_PATH,
  handle: ({ state }) => ({
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': SIGN_IN_PAGE_CSP,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
    body: page(state),
  }),
}
