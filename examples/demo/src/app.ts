import { type PlexAuthOptions, plexAuth, requireScopes, requireUser } from '@plexauth/express'
import express, { type Express } from 'express'

/** What the example API needs to know. */
export interface ExampleAppOptions {
  /** Verifier options: where Plex's keys are and which client identifier tokens must be issued to. */
  auth: PlexAuthOptions
  /** The Plex account id of the server owner, who alone may open `/admin`. */
  ownerId: number
}

/**
 * A small companion-app API protected by plexauth: a public route, the signed-in user, a route that
 * needs the `email` scope and an owner-only route.
 *
 * @example
 * ```ts
 * const app = createExampleApp({ auth: { clientIdentifier: 'my-app' }, ownerId: 123456 })
 * app.listen(3000)
 * ```
 */
export function createExampleApp(options: ExampleAppOptions): Express {
  const app = express()
  app.disable('x-powered-by')
  app.get('/health', (_req, res) => {
    res.json({ ok: true })
  })
  app.use(plexAuth(options.auth))
  app.get('/me', (req, res) => {
    res.json(req.plex)
  })
  app.get('/mail', requireScopes('email'), (req, res) => {
    res.json({ to: req.plex?.user.email })
  })
  app.get(
    '/admin',
    requireUser((identity) => identity.user.id === options.ownerId),
    (_req, res) => {
      res.json({ welcome: 'owner' })
    },
  )
  return app
}
