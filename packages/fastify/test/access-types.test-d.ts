import Fastify from 'fastify'
import { expectTypeOf } from 'vitest'
import plexAuth, {
  type PlexGuard,
  requireServerAccess,
  requireServerOwner,
  type ServerAccess,
} from '../src/index.js'

const app = Fastify()
await app.register(plexAuth, { clientIdentifier: 'my-app', legacyTokens: true })
const access: PlexGuard = requireServerAccess({ machineIdentifier: 'abc123' })
app.get('/requests', { preHandler: access }, async (request) => {
  expectTypeOf(request.plex?.access).toEqualTypeOf<ServerAccess | undefined>()
  return { owner: request.plex?.access?.owner === true }
})
app.get('/settings', { preHandler: [requireServerOwner({ machineIdentifier: 'abc123' })] }, async () => 'ok')

// @ts-expect-error machineIdentifier is required
requireServerOwner({ ownerToken: 'x' })
