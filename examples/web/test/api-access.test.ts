// The app's API lets in the users of the server whichever way they authenticate: a token header (which any
// Plex account can get for this app's client identifier) is held to the same server access as a sign-in.
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { startWebDemo, type WebDemo } from '../src/start.js'

let demo: WebDemo | undefined
afterEach(async () => {
  await demo?.close()
  demo = undefined
})

const CLIENT_ID = 'plexauth-web-example'

describe('examples/web API', () => {
  it('refuses a token header of an account without access to the server, and lets the owner and a friend in', async () => {
    demo = await startWebDemo({ env: {} })
    const plex = demo.plex!
    const user = (username: string) => plex.accounts.find((a) => a.username === username)!
    const get = (username: string) =>
      fetch(`${demo!.url}/api/library`, {
        headers: {
          authorization: `Bearer ${plex.issueToken({ clientIdentifier: CLIENT_ID, user: user(username) })}`,
        },
      })
    expect((await get('stranger')).status).toBe(403)
    const post = await fetch(`${demo.url}/api/requests`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${plex.issueToken({ clientIdentifier: CLIENT_ID, user: user('stranger') })}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ title: 'Arrival' }),
    })
    expect(post.status).toBe(403)
    expect((await get('owner')).status).toBe(200)
    expect((await get('friend')).status).toBe(200)
  })

  it("sends a CSP that allows the page's own style by its hash, with no 'unsafe-inline'", async () => {
    demo = await startWebDemo({ env: {} })
    const page = await fetch(demo.url)
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).not.toContain('unsafe-inline')
    const style = /<style>([\s\S]*?)<\/style>/.exec(await page.text())?.[1] ?? ''
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`)
    expect(csp).toContain("script-src 'self'")
  })

  it('against the real plex.tv, refuses to start with a server id but no owner id', async () => {
    await expect(
      startWebDemo({
        env: { PLEXAUTH_JWKS_URL: 'https://clients.plex.tv/api/v2/auth/keys', PLEXAUTH_SERVER_ID: 'abc123' },
      }),
    ).rejects.toThrow(/PLEXAUTH_OWNER_ID/)
  })
})
