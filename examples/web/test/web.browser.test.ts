// The example web app, for real: Express with plexLogin and plexAuth, @plexauth/browser in the page, the
// fake plex.tv's own sign-in page, all in a headless Chromium.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FakePlex } from '@plexauth/testing'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useChromium } from '../../../test/browser/chromium.js'
import { createDemoPlex, startWebDemo, type WebDemo } from '../src/start.js'

const chromium = useChromium()
const LOGIN = { pollInterval: 0.25, rateLimit: { perClient: 1_000, total: 1_000 } }
let plex: FakePlex
let app: WebDemo
/** The same app, behind a proxy that adds `Cross-Origin-Opener-Policy: same-origin`. */
let coopApp: WebDemo

beforeAll(async () => {
  plex = await createDemoPlex()
  app = await startWebDemo({ plex, login: LOGIN, env: {} })
  coopApp = await startWebDemo({ plex, login: LOGIN, env: {}, crossOriginOpenerPolicy: true })
})
afterAll(async () => {
  await app?.close()
  await coopApp?.close()
  await plex?.close()
})

const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000 })
const who = (page: Page) => page.locator('#who').textContent()
const message = (page: Page) => page.locator('#message').textContent()

async function openApp(context?: BrowserContext, url = app.url): Promise<Page> {
  const page = await (context ?? (await chromium.newContext())).newPage()
  await page.goto(url)
  await page.getByRole('button', { name: 'Sign in with Plex' }).waitFor()
  return page
}

/** On the fake's sign-in page (popup or full page): picks the account and presses the button. */
async function answer(plexPage: Page, username: string, button: 'Allow' | 'Deny'): Promise<void> {
  await plexPage.waitForURL(`${plex.url}/auth**`)
  await plexPage.getByLabel('Sign in as').selectOption({ label: `${username} (${username}@example.com)` })
  await plexPage.getByRole('button', { name: button }).click()
}

async function signInWithPopup(page: Page, username: string, button: 'Allow' | 'Deny' = 'Allow') {
  const [popup] = await Promise.all([
    page.waitForEvent('popup'),
    page.getByRole('button', { name: 'Sign in with Plex' }).click(),
  ])
  await answer(popup, username, button)
  return popup
}

describe('examples/web in Chromium', () => {
  it('signs in through the popup, loads the protected list with the cookie, survives a reload, signs out', async () => {
    const page = await openApp()
    const popup = await signInWithPopup(page, 'owner')
    await eventually(() => who(page)).toBe('Signed in as owner')
    expect(popup.isClosed()).toBe(true)
    await page.getByText('The Matrix (1999)').waitFor()
    expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0)

    await page.reload()
    await eventually(() => who(page)).toBe('Signed in as owner')
    await page.getByText('Arrival (2016)').waitFor()

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'Sign in with Plex' }).waitFor()
    await page.reload()
    await page.getByRole('button', { name: 'Sign in with Plex' }).waitFor()
    expect(await who(page)).toBe('')
    const api = await page.request.get(`${app.url}/api/library`)
    expect(api.status()).toBe(401)
  })

  it('the POST action works from the page, and a cross-origin form POST with the cookie is refused', async () => {
    const context = await chromium.newContext()
    const page = await openApp(context)
    await signInWithPopup(page, 'friend')
    await eventually(() => who(page)).toBe('Signed in as friend')
    await page.getByRole('button', { name: 'Request Spirited Away' }).click()
    await page.getByText('Spirited Away, requested by friend').waitFor()

    // Another origin's page posts a form to the app: same site (the cookie goes along), refused by the
    // Origin check; another site (localhost): the SameSite=Lax cookie stays home.
    const evil = await formPoster(`${app.url}/api/requests`)
    try {
      const attacker = await context.newPage()
      await attacker.goto(`http://127.0.0.1:${evil.port}/`)
      await attacker.waitForURL(`${app.url}/api/requests`)
      expect(JSON.parse((await attacker.locator('body').textContent()) ?? '')).toMatchObject({
        code: 'CSRF_REJECTED',
      })
      await attacker.goto(`http://localhost:${evil.port}/`)
      await attacker.waitForURL(`${app.url}/api/requests`)
      expect(JSON.parse((await attacker.locator('body').textContent()) ?? '')).toMatchObject({
        code: 'TOKEN_MISSING',
      })
    } finally {
      evil.server.closeAllConnections()
      evil.server.close()
    }
    await page.reload()
    await page.getByText('Spirited Away, requested by friend').waitFor()
    expect(await page.getByText('Paddington 2, requested by').count()).toBe(0)
  })

  it('a user the server is not shared with is told why', async () => {
    const page = await openApp()
    await signInWithPopup(page, 'stranger')
    await eventually(() => message(page)).toContain('This Plex account has no access to this Plex server')
    expect(await who(page)).toBe('')
    expect(await page.getByRole('button', { name: 'Sign in with Plex' }).isEnabled()).toBe(true)
  })

  it('Deny on the Plex page ends the sign-in with a message, and no session', async () => {
    const page = await openApp()
    await signInWithPopup(page, 'owner', 'Deny')
    await eventually(() => message(page)).toBe(
      'The sign-in was declined on Plex, or took too long. Try again.',
    )
    expect(await who(page)).toBe('')
    expect((await page.request.get(`${app.url}/auth/plex/session`)).status()).toBe(401)
  })

  it('falls back to the redirect flow when the popup is blocked, and comes back signed in', async () => {
    const context = await chromium.newContext()
    // A popup blocker as the page sees it: window.open answers null.
    await context.addInitScript({ content: 'window.open = () => null' })
    const page = await openApp(context)
    await page.getByRole('button', { name: 'Sign in with Plex' }).click()
    await answer(page, 'friend', 'Allow')
    await page.waitForURL(`${app.url}/`)
    await eventually(() => who(page)).toBe('Signed in as friend')
  })

  it('an iOS home-screen app uses the redirect flow; a refusal comes back as a message', async () => {
    const context = await chromium.newContext()
    await context.addInitScript({
      content: "Object.defineProperty(Navigator.prototype, 'standalone', { get: () => true })",
    })
    const page = await openApp(context)
    let popups = 0
    page.on('popup', () => popups++)
    await page.getByRole('button', { name: 'Sign in with Plex' }).click()
    await answer(page, 'stranger', 'Allow')
    await page.waitForURL(`${app.url}/**`)
    await eventually(() => message(page)).toContain('This Plex account has no access to this Plex server')
    expect(page.url()).toBe(`${app.url}/`)
    expect(popups).toBe(0)
  })

  it('with Cross-Origin-Opener-Policy: same-origin on the page, the popup sign-in still completes', async () => {
    const context = await chromium.newContext()
    const page = await context.newPage()
    const response = await page.goto(coopApp.url)
    expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin')
    await page.getByRole('button', { name: 'Sign in with Plex' }).waitFor()
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      page.getByRole('button', { name: 'Sign in with Plex' }).click(),
    ])
    await popup.waitForURL(`${plex.url}/auth**`)
    await page.waitForTimeout(1_500) // the severed popup "looks closed" to the page for a while
    await answer(popup, 'owner', 'Allow')
    await eventually(() => who(page)).toBe('Signed in as owner')
  })
})

/** A page on another origin that posts a form to `target` as soon as it loads. */
async function formPoster(target: string): Promise<{ server: Server; port: number }> {
  const html = `<!doctype html><form method="POST" action="${target}">
<input name="title" value="Paddington 2"></form><script>document.forms[0].submit()</script>`
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port }
}
