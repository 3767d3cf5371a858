import { createPublicKey } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import fastifyJwt from '@fastify/jwt'
import { plexAuth } from '@plexauth/fastify'
import Fastify from 'fastify'
import type { AppOptions } from './app-options.js'
import { ROUTE } from './app-options.js'
import { CLIENT_ID } from './fixtures.js'
import type { RunningApp } from './listen.js'
import { plexAuthOptions } from './plexauth-options.js'

/** The tiny Fastify 5 app: one JSON route answering the user id it was given (0 without auth). */
export async function startFastifyApp(options: AppOptions): Promise<RunningApp> {
  const app = Fastify({ logger: false })
  if (options.auth === 'empty') app.addHook('onRequest', (_request, _reply, done) => done())
  if (options.auth === 'plexauth' || options.auth === 'session')
    await app.register(plexAuth, plexAuthOptions(options))
  if (options.auth === 'peer') {
    // @fastify/jwt as its README sets it up: the public key (the fake plex.tv's signing key, as PEM), the
    // algorithm, issuer and audience; every request verified in an onRequest hook.
    const { plex } = options
    const jwk = plex.keys.keys.find((key) => key.kid === plex.signingKey.kid)
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' })
    await app.register(fastifyJwt, {
      secret: { public: pem },
      verify: { algorithms: ['EdDSA'], allowedIss: 'plex.tv', allowedAud: CLIENT_ID },
    })
    app.addHook('onRequest', async (request, reply) => {
      try {
        await request.jwtVerify()
      } catch {
        return reply.code(401).send()
      }
    })
  }
  app.get(ROUTE, async (request) => {
    const fromJwt = (request as { user?: { user?: { id?: number } } }).user?.user?.id
    return { id: request.plex?.user.id ?? fromJwt ?? 0 }
  })
  await app.listen({ host: '127.0.0.1', port: 0, backlog: options.backlog ?? 511 })
  const { port } = app.server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() }
}
