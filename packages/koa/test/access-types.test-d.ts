import Koa from 'koa'
import { expectTypeOf } from 'vitest'
import {
  type PlexAuthState,
  plexAuth,
  requireServerAccess,
  requireServerOwner,
  type ServerAccess,
} from '../src/index.js'

const app = new Koa<PlexAuthState>()
app.use(plexAuth({ clientIdentifier: 'my-app', legacyTokens: true, plexTvUrl: 'https://plex.tv' }))
app.use(requireServerAccess({ machineIdentifier: 'abc123', staleIfError: 600 }))
app.use(requireServerOwner({ machineIdentifier: 'abc123' }))
app.use((ctx) => {
  expectTypeOf(ctx.state.plex?.access).toEqualTypeOf<ServerAccess | undefined>()
  ctx.body = { owner: ctx.state.plex?.access?.owner === true }
})

// @ts-expect-error machineIdentifier is a string
requireServerAccess({ machineIdentifier: 42 })
