import Fastify from 'fastify'
import { expectTypeOf } from 'vitest'
import plexAuth, {
  type PlexAuthDecoration,
  type PlexGuard,
  type PlexIdentity,
  type PlexVerifier,
  requireAnyScope,
  requireScopes,
  requireUser,
} from '../src/index.js'

const app = Fastify()
await app.register(plexAuth, { clientIdentifier: 'my-app', realm: 'api' })
// @ts-expect-error a misspelt option is a type error (and a TypeError at run time)
await app.register(plexAuth, { clientIdentifer: 'my-app' })

expectTypeOf(app.plexAuth).toEqualTypeOf<PlexAuthDecoration>()
// @ts-expect-error the instance carries the verifier and realm, not the request plumbing
app.plexAuth.authenticate
expectTypeOf(app.plexAuth.verifier).toEqualTypeOf<PlexVerifier>()

app.get('/me', async (request) => {
  expectTypeOf(request.plex).toEqualTypeOf<PlexIdentity | null>()
  // @ts-expect-error request.plex is null for anonymous requests and skipped routes
  const id: number = request.plex.user.id
  return { id }
})

app.get('/health', { config: { plexAuth: false } }, async () => ({ ok: true }))
app.get('/feed', { config: { plexAuth: 'optional' } }, async (request) => request.plex?.user.username ?? null)
// @ts-expect-error plexAuth route config is false or 'optional'
app.get('/typo', { config: { plexAuth: 'sometimes' } }, async () => null)

app.get('/mail', { preHandler: requireScopes('email') }, async () => null)
app.get(
  '/admin',
  { preHandler: [requireAnyScope('email', 'username'), requireUser((identity) => identity.user.id === 1)] },
  async () => null,
)
app.get<{ Params: { id: string } }>(
  '/users/:id',
  { preHandler: requireUser(async (identity) => identity.scopes.includes('email')) },
  async (request) => request.params.id,
)
app.route({
  method: 'GET',
  url: '/route',
  config: { plexAuth: 'optional' },
  preHandler: requireScopes('a'),
  handler: async () => null,
})

expectTypeOf(requireScopes('email')).toEqualTypeOf<PlexGuard>()
// @ts-expect-error the predicate must answer a boolean
requireUser((identity) => identity.user.id)
