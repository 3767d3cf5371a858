// The companion app: Express, plexLogin (the sign-in routes), plexAuth on /api (a token header or the session
// cookie), one page whose script uses @plexauth/browser.
import type { PlexLoginOptions } from '@plexauth/express'
import { plexAuth, plexLogin, requireServerAccess } from '@plexauth/express'
import express, { type Express } from 'express'
import { clientBundle } from './bundle.js'
import { PAGE, PAGE_CSP } from './page.js'

export interface WebAppOptions {
  /** plexLogin's options; `plexAuth` gets the same client identifier, session and plex.tv URLs. */
  login: PlexLoginOptions
  /** The server's name, shown on the page. */
  serverName: string
  /** Send `Cross-Origin-Opener-Policy: same-origin` with the page, as some reverse proxies do. */
  crossOriginOpenerPolicy?: boolean
}

/** What the protected API lists: the "library" of the server, the same for every user with access. */
export const LIBRARY: readonly { title: string; year: number }[] = [
  { title: 'The Matrix', year: 1999 },
  { title: 'Spirited Away', year: 2001 },
  { title: 'Arrival', year: 2016 },
  { title: 'Paddington 2', year: 2017 },
]

interface WatchRequest {
  title: string
  by: string
}

export async function createWebApp(options: WebAppOptions): Promise<Express> {
  const { login } = options
  const script = await clientBundle()
  const requests: WatchRequest[] = []
  const app = express()
  app.disable('x-powered-by')
  app.use(plexLogin(login))
  app.use(
    '/api',
    plexAuth({
      clientIdentifier: login.clientIdentifier,
      session: login.session,
      ...(login.jwksUrl === undefined ? {} : { jwksUrl: login.jwksUrl }),
      ...(login.plexTvUrl === undefined ? {} : { plexTvUrl: login.plexTvUrl }),
      ...(login.publicUrl === undefined ? {} : { publicUrl: login.publicUrl }),
    }),
  )
  // plexLogin checked server access at sign-in, but /api also takes a token header, and any Plex account can
  // get a token for this client identifier: hold every request to the same access (cached per user).
  const { access } = login
  if (access !== undefined) {
    app.use(
      '/api',
      requireServerAccess({
        machineIdentifier: access.machineIdentifier,
        ...(access.ownerId === undefined ? {} : { ownerId: access.ownerId }),
        ...(access.ownerToken === undefined ? {} : { ownerToken: access.ownerToken }),
        ...(login.plexTvUrl === undefined ? {} : { plexTvUrl: login.plexTvUrl }),
      }),
    )
  }

  app.get('/', (_req, res) => {
    res.set({ 'content-security-policy': PAGE_CSP, 'cache-control': 'no-store' })
    if (options.crossOriginOpenerPolicy === true) res.set('cross-origin-opener-policy', 'same-origin')
    res.type('html').send(PAGE(options.serverName))
  })
  app.get('/app.js', (_req, res) => {
    res.type('text/javascript').set('cache-control', 'no-store').send(script)
  })

  // Everything under /api needs a signed-in user (plexAuth answered 401 otherwise).
  app.get('/api/library', (_req, res) => {
    res.json({ server: options.serverName, items: LIBRARY })
  })
  app.get('/api/requests', (_req, res) => {
    res.json({ requests })
  })
  // An unsafe method: plexAuth has already refused it (403 CSRF_REJECTED) unless it came from this origin.
  app.post('/api/requests', express.json({ limit: '1kb' }), (req, res) => {
    const title: unknown = req.body?.title
    if (!LIBRARY.some((item) => item.title === title)) {
      res.status(400).json({ error: 'invalid_request', error_description: 'Unknown title' })
      return
    }
    const by = req.plex?.user.username ?? String(req.plex?.user.id)
    if (!requests.some((r) => r.title === title && r.by === by)) requests.push({ title: title as string, by })
    res.status(201).json({ requests })
  })
  return app
}
