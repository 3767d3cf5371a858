import { createHash } from 'node:crypto'
import { runInNewContext } from 'node:vm'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { createFakePlex, type FakePlex, PLEX_PATHS } from '../src/index.js'
import { plexHeaders } from './helpers.js'

let plex: FakePlex
beforeEach(async () => {
  plex = await createFakePlex()
})
afterEach(async () => {
  await plex.close()
})

async function createPin(clientIdentifier = 'page-test-client') {
  const response = await fetch(`${plex.url}${PLEX_PATHS.pins}?strong=true`, {
    method: 'POST',
    headers: plexHeaders(undefined, clientIdentifier),
  })
  return (await response.json()) as { id: number; code: string }
}

async function poll(id: number, clientIdentifier = 'page-test-client') {
  const response = await fetch(`${plex.url}${PLEX_PATHS.pins}/${id}`, {
    headers: plexHeaders(undefined, clientIdentifier),
  })
  return { status: response.status, body: (await response.json()) as { authToken?: string | null } }
}

async function loadPage() {
  const response = await fetch(plex.authAppUrl)
  return { response, html: await response.text() }
}

/** A stand-in for the browser: the page's own script, run against element stubs, with fetch aimed at the fake. */
async function runPage(html: string, hash: string, choose?: { accountId: number }) {
  const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? expect.unreachable('no script')
  const elements = new Map<string, Record<string, unknown>>()
  const listeners = new Map<string, (event: { preventDefault(): void }) => unknown>()
  const selected = /<option value="(\d+)" selected>/.exec(html)?.[1]
  for (const id of ['product', 'code', 'status', 'allow', 'deny', 'account', 'consent']) {
    elements.set(id, {
      textContent: '',
      disabled: false,
      value: id === 'account' ? String(choose?.accountId ?? selected) : '',
      addEventListener: (type: string, listener: (event: { preventDefault(): void }) => unknown) =>
        listeners.set(`${id}:${type}`, listener),
    })
  }
  const outcome = {
    closed: false,
    assigned: undefined as string | undefined,
    pending: [] as Promise<unknown>[],
  }
  const body = { dataset: {} as Record<string, string> }
  const context = {
    URL,
    URLSearchParams,
    location: {
      hash,
      href: plex.authAppUrl + hash,
      assign: (url: string) => {
        outcome.assigned = url
      },
    },
    window: {
      close: () => {
        outcome.closed = true
      },
    },
    document: { getElementById: (id: string) => elements.get(id), body },
    fetch: (path: string, init: RequestInit) => fetch(new URL(path, plex.url), init),
  }
  runInNewContext(script, context)
  const click = async (button: 'allow' | 'deny') => {
    const listener = button === 'allow' ? listeners.get('consent:submit') : listeners.get('deny:click')
    await listener?.({ preventDefault: () => {} })
  }
  return { elements, outcome, body, click }
}

const fragment = (values: Record<string, string>) => `#?${new URLSearchParams(values)}`

describe('GET /auth: the sign-in page standing in for app.plex.tv/auth', () => {
  test('HTML with Allow and Deny buttons and a choice of every account, no external resources', async () => {
    plex.addAccount({ username: 'alice<script>', email: 'alice@example.com' })
    const { response, html } = await loadPage()
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(html).toMatch(/<button type="submit" id="allow">Allow<\/button>/)
    expect(html).toMatch(/<button type="button" id="deny">Deny<\/button>/)
    const options = [...html.matchAll(/<option value="(\d+)"( selected)?>([^<]*)<\/option>/g)]
    expect(options.map(([, id]) => Number(id))).toEqual(plex.accounts.map((account) => account.id))
    expect(options[0]?.[2]).toBe(' selected')
    expect(options[1]?.[3]).toBe('alice&lt;script&gt; (alice@example.com)')
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(?!data:)/)
    expect(plex.authAppUrl).toBe(`${plex.url}/auth`)
  })

  test('its CSP allows exactly its own inline script and style', async () => {
    const { response, html } = await loadPage()
    const csp = response.headers.get('content-security-policy') ?? ''
    const hash = (text: string) => createHash('sha256').update(text).digest('base64')
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? ''
    const style = /<style>([\s\S]*)<\/style>/.exec(html)?.[1] ?? ''
    expect(csp).toContain(`script-src 'sha256-${hash(script)}'`)
    expect(csp).toContain(`style-src 'sha256-${hash(style)}'`)
    expect(csp).toContain("default-src 'none'")
  })

  test('Allow: shows product and code from the fragment, approves the PIN as the chosen account, closes', async () => {
    const bob = plex.addAccount({ username: 'bob' })
    const pin = await createPin()
    const { html } = await loadPage()
    const page = await runPage(
      html,
      fragment({ clientID: 'page-test-client', code: pin.code, 'context[device][product]': 'My App' }),
      { accountId: bob.id },
    )
    expect(page.elements.get('product')?.textContent).toBe('My App')
    expect(page.elements.get('code')?.textContent).toBe(pin.code)
    await page.click('allow')
    expect(page.outcome).toMatchObject({ closed: true, assigned: undefined })
    expect(page.body.dataset.decision).toBe('allowed')
    const { body } = await poll(pin.id)
    const user = await fetch(`${plex.url}${PLEX_PATHS.user}`, {
      headers: plexHeaders(body.authToken ?? ''),
    })
    expect(((await user.json()) as { username: string }).username).toBe('bob')
  })

  test('Deny: the PIN is withdrawn (404 code 1020) and the page goes to forwardUrl when set', async () => {
    const pin = await createPin()
    const { html } = await loadPage()
    const forwardUrl = 'http://127.0.0.1:9/back?x=1'
    const page = await runPage(html, fragment({ clientID: 'page-test-client', code: pin.code, forwardUrl }))
    await page.click('deny')
    expect(page.outcome).toMatchObject({ closed: false, assigned: forwardUrl })
    expect(await poll(pin.id)).toMatchObject({ status: 404, body: { errors: [{ code: 1020 }] } })
  })

  test('a code from another client identifier, an unknown code, or none: an error on the page, nothing approved', async () => {
    const pin = await createPin()
    const { html } = await loadPage()
    const foreign = await runPage(html, fragment({ clientID: 'someone-else', code: pin.code }))
    await foreign.click('allow')
    expect(foreign.elements.get('status')?.textContent).toBe('This code is unknown or has expired.')
    expect(foreign.outcome.closed).toBe(false)
    expect((await poll(pin.id)).body.authToken).toBeNull()

    const empty = await runPage(html, '')
    expect(empty.elements.get('allow')?.disabled).toBe(true)
    expect(empty.elements.get('status')?.textContent).toBe('This sign-in link carries no code.')
  })

  test('a javascript: forwardUrl is not followed; the window closes instead', async () => {
    const pin = await createPin()
    const { html } = await loadPage()
    const page = await runPage(
      html,
      fragment({ clientID: 'page-test-client', code: pin.code, forwardUrl: 'javascript:alert(1)' }),
    )
    await page.click('allow')
    expect(page.outcome).toMatchObject({ closed: true, assigned: undefined })
  })
})
