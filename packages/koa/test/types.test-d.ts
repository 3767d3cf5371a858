import Koa from 'koa'
import { expectTypeOf } from 'vitest'
import {
  type PlexAuthState,
  type PlexIdentity,
  plexAuth,
  requireAnyScope,
  requireScopes,
  requireUser,
} from '../src/index.js'

const app = new Koa<PlexAuthState>()
app.use(plexAuth({ clientIdentifier: 'my-app', tokenSources: ['authorization', 'query'] }))
app.use(requireScopes('email'))
app.use(requireAnyScope('email', 'username'))
app.use(requireUser(async (identity) => identity.user.id === 1))
app.use((ctx) => {
  expectTypeOf(ctx.state.plex).toEqualTypeOf<PlexIdentity | undefined>()
  // @ts-expect-error ctx.state.plex is undefined for anonymous requests: it must be checked first
  const id: number = ctx.state.plex.user.id
  ctx.body = { id, name: ctx.state.plex?.user.username }
})

// A plain Koa app picks the state type up from the middleware.
const plain = new Koa().use(plexAuth())
plain.use((ctx) => {
  ctx.body = ctx.state.plex?.user.uuid
})

// @ts-expect-error a misspelt option is a type error (and a TypeError at run time)
plexAuth({ realms: 'api' })
// @ts-expect-error the predicate must answer a boolean
requireUser((identity) => identity.user.id)
