// One instance of an app, run as a process of its own by fleet.test.ts: Express, plexAuth on one shared
// Redis store, and the fake plex.tv given by URL. It reports its port to the parent over IPC.
import type { AddressInfo } from 'node:net'
import { plexAuth, plexLogin } from '@plexauth/express'
import { createRedisStore, type RedisStoreEvent } from '@plexauth/redis'
import express from 'express'

const { REDIS_URL, PLEX_URL, PLEXAUTH_SECRET, CLIENT_IDENTIFIER } = process.env
const events: Record<string, number> = {}
const shared = createRedisStore({
  url: REDIS_URL!,
  secret: PLEXAUTH_SECRET!,
  legacyLookupsPerSecond: 1000,
  // Generous: this machine is shared, and a test must not mistake a busy Redis for a dead one.
  timeout: 2,
  onEvent: (event: RedisStoreEvent) => {
    events[event.type] = (events[event.type] ?? 0) + 1
  },
})
await shared.ready()

const app = express()
app.get('/status', (_req, res) => {
  res.json({ available: shared.available, events })
})
app.post('/sessions/:id/revoke', async (req, res) => {
  await shared.revocations.revoke(req.params.id, 60)
  res.status(204).end()
})
app.get('/sessions/:id', async (req, res) => {
  const revoked = await shared.revocations.isRevoked({
    sessionId: req.params.id,
    userId: Number(req.query.user),
    issuedAt: Number(req.query.issuedAt),
  })
  res.json({ revoked })
})
// Sign-in and sessions: one PIN budget for the fleet, and revocations every instance hears of.
const session = { secret: PLEXAUTH_SECRET!, revocations: shared.revocations }
app.use(
  plexLogin({
    product: 'Fleet Test',
    clientIdentifier: CLIENT_IDENTIFIER!,
    session,
    plexTvUrl: PLEX_URL!,
    clientsUrl: PLEX_URL!,
    authAppUrl: `${PLEX_URL}/auth`,
    jwksUrl: `${PLEX_URL}/api/v2/auth/keys`,
    pollInterval: 0.1,
    rateLimit: {
      perClient: 1000,
      total: 1000,
      budget: shared.budget('pins', { perSecond: 0.001, burst: 3 }),
    },
  }),
)
app.use(
  plexAuth({
    session,
    clientIdentifier: CLIENT_IDENTIFIER!,
    jwksUrl: `${PLEX_URL}/api/v2/auth/keys`,
    plexTvUrl: PLEX_URL!,
    legacyTokens: true,
    legacyLookupsPerSecond: 1000,
    // Every instance is asked from one loopback address: no per-client budget in the way of the global one.
    legacyLookupsPerClient: 1000,
    ...shared.verifierOptions,
  }),
)
app.get('/whoami', (req, res) => {
  res.json({ id: req.plex?.user.id, kind: req.plex?.kind })
})

const server = app.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port })
})
process.on('disconnect', async () => {
  server.closeAllConnections()
  server.close()
  await shared.close()
  process.exit(0)
})
