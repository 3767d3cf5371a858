import express from 'express'
import { expectTypeOf } from 'vitest'
import {
  type PlexAuthOptions,
  type PlexIdentity,
  plexAuth,
  requireAnyScope,
  requireScopes,
  requireUser,
} from '../src/index.js'

const app = express()
app.use(
  plexAuth({ clientIdentifier: 'my-app', credentialsRequired: false, realm: 'api', forwardErrors: true }),
)

app.get('/me', (req, res) => {
  expectTypeOf(req.plex).toEqualTypeOf<PlexIdentity | undefined>()
  // @ts-expect-error req.plex is undefined for anonymous requests: it must be checked first
  const id: number = req.plex.user.id
  if (req.plex !== undefined) expectTypeOf(req.plex.user.id).toEqualTypeOf<number>()
  res.json({ id })
})

app.get('/mail', requireScopes('email'), requireAnyScope('email', 'username'), (_req, res) => res.end())
app.get(
  '/admin',
  requireUser((identity) => {
    expectTypeOf(identity).toEqualTypeOf<PlexIdentity>()
    return identity.user.id === 1
  }),
  requireUser(async (identity) => identity.scopes.includes('email')),
  (_req, res) => res.end(),
)

// @ts-expect-error the predicate must answer a boolean
requireUser((identity) => identity.user.id)
// @ts-expect-error a misspelt option is a type error (and a TypeError at run time)
plexAuth({ clientIdentifer: 'my-app' })
// @ts-expect-error scopes are strings
requireScopes(1)

expectTypeOf<PlexAuthOptions>().toHaveProperty('credentialsRequired')
expectTypeOf<PlexAuthOptions>().toHaveProperty('clientIdentifier')
