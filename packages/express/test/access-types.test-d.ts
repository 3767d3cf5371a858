import express from 'express'
import { expectTypeOf } from 'vitest'
import {
  type PlexIdentity,
  plexAuth,
  requireServerAccess,
  requireServerOwner,
  type ServerAccess,
} from '../src/index.js'

const app = express()
app.use(
  plexAuth({
    clientIdentifier: 'my-app',
    legacyTokens: true,
    legacyTokenTtl: 300,
    legacyLookupsPerSecond: 5,
  }),
)
app.get('/requests', requireServerAccess({ machineIdentifier: 'abc123', accessTtl: 600 }), (req, res) => {
  expectTypeOf(req.plex?.access).toEqualTypeOf<ServerAccess | undefined>()
  res.json({ owner: req.plex?.access?.owner === true })
})
app.get(
  '/settings',
  requireServerOwner({ machineIdentifier: 'abc123', ownerToken: 'owner-token' }),
  (_req, res) => res.end(),
)
app.get('/kind', (req, res) => {
  const identity: PlexIdentity | undefined = req.plex
  // @ts-expect-error thumbprint exists only on Plex JWT identities: narrow on kind first
  const thumbprint: string | undefined = identity?.thumbprint
  if (identity?.kind === 'jwt') expectTypeOf(identity.thumbprint).toEqualTypeOf<string>()
  if (identity?.kind === 'legacy') expectTypeOf(identity.claims).toEqualTypeOf<undefined>()
  res.json({ thumbprint })
})

// @ts-expect-error machineIdentifier is required
requireServerAccess({})
// @ts-expect-error a misspelt option is a type error (and a TypeError at run time)
requireServerOwner({ machineIdentifier: 'abc123', acessTtl: 1 })
// @ts-expect-error legacyTokens is a boolean
plexAuth({ clientIdentifier: 'my-app', legacyTokens: 'yes' })
