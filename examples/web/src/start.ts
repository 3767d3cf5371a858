// Starts the example web app: on the embedded fake plex.tv (three accounts and a server), or, when
// PLEXAUTH_JWKS_URL is set as for the API demo, against the real plex.tv.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PlexLoginOptions } from '@plexauth/express'
import { createFakePlex, type FakePlex } from '@plexauth/testing'
import { createWebApp } from './app.js'

export interface DemoAccount {
  username: string
  /** What happens when this account signs in. */
  role: string
}

export interface WebDemo {
  /** The app's origin, e.g. `http://127.0.0.1:3000`. */
  url: string
  /** The embedded fake plex.tv; absent against the real plex.tv. */
  plex: FakePlex | undefined
  /** The fake's accounts, for the sign-in page's account picker. */
  accounts: readonly DemoAccount[]
  serverName: string
  close(): Promise<void>
}

export interface WebDemoOptions {
  /** Default 0 (any free port). */
  port?: number
  /** Default `127.0.0.1`. */
  host?: string
  /** Default `process.env`: `PLEXAUTH_JWKS_URL` (real plex.tv), `PLEXAUTH_CLIENT_ID`, `PLEXAUTH_SECRET`, `PLEXAUTH_SERVER_ID` with `PLEXAUTH_OWNER_ID`. */
  env?: Record<string, string | undefined>
  /** plexLogin options over the demo's (tests: a shorter `pollInterval`, a larger `rateLimit`). */
  login?: Partial<PlexLoginOptions>
  /** Send `Cross-Origin-Opener-Policy: same-origin` with the page. */
  crossOriginOpenerPolicy?: boolean
  /** Use this fake plex.tv (several apps on one fake); default a new one, closed with the app. */
  plex?: FakePlex
}

export const SERVER_NAME = 'Home Theater'

/** Sets up a fake with the demo's accounts: the owner of the server, a friend it is shared with, a stranger. */
export async function createDemoPlex(): Promise<FakePlex> {
  const plex = await createFakePlex({
    user: { username: 'owner', friendly_name: 'Server Owner', email: 'owner@example.com' },
  })
  const friend = plex.addAccount({
    username: 'friend',
    friendly_name: 'A Friend',
    email: 'friend@example.com',
  })
  plex.addAccount({ username: 'stranger', friendly_name: 'A Stranger', email: 'stranger@example.com' })
  plex.addServer({ name: SERVER_NAME, ownerId: plex.account.id, sharedWith: [friend.id] })
  return plex
}

const ACCOUNTS: readonly DemoAccount[] = [
  { username: 'owner', role: `owns "${SERVER_NAME}": signs in` },
  { username: 'friend', role: `"${SERVER_NAME}" is shared with them: signs in` },
  { username: 'stranger', role: `no access to "${SERVER_NAME}": refused, and told why` },
]

export async function startWebDemo(options: WebDemoOptions = {}): Promise<WebDemo> {
  const env = options.env ?? process.env
  const clientIdentifier = env.PLEXAUTH_CLIENT_ID ?? 'plexauth-web-example'
  // A secret per start unless one is given: sessions then end when the demo stops, which suits a demo.
  const session = { secret: env.PLEXAUTH_SECRET ?? randomBytes(32).toString('base64url') }
  const product = 'plexauth web example'
  let plex: FakePlex | undefined
  let ownsPlex = false
  let login: PlexLoginOptions
  let serverName = SERVER_NAME
  if (env.PLEXAUTH_JWKS_URL !== undefined) {
    const machineIdentifier = env.PLEXAUTH_SERVER_ID
    // Only the owner's account id says who owns the server and whose shares count: a user's own device
    // list is written by clients, and anyone can register a device under the server's identifier.
    const ownerId = Number(env.PLEXAUTH_OWNER_ID)
    if (machineIdentifier !== undefined && !(Number.isSafeInteger(ownerId) && ownerId > 0)) {
      throw new Error('PLEXAUTH_SERVER_ID needs PLEXAUTH_OWNER_ID (the Plex account id of the server owner)')
    }
    serverName = 'your Plex server'
    login = {
      product,
      clientIdentifier,
      session,
      jwksUrl: env.PLEXAUTH_JWKS_URL,
      ...(machineIdentifier === undefined ? {} : { access: { machineIdentifier, ownerId } }),
      ...options.login,
    }
  } else {
    ownsPlex = options.plex === undefined
    plex = options.plex ?? (await createDemoPlex())
    const server = plex.servers.find((s) => s.name === SERVER_NAME) ?? plex.servers[0]
    if (server === undefined) throw new Error('startWebDemo: the fake has no server')
    login = {
      product,
      clientIdentifier,
      session,
      access: { machineIdentifier: server.machineIdentifier, ownerId: server.ownerId },
      plexTvUrl: plex.url,
      clientsUrl: plex.url,
      authAppUrl: plex.authAppUrl,
      jwksUrl: plex.jwksUrl,
      pollInterval: 1,
      ...options.login,
    }
  }
  const app = await createWebApp({
    login,
    serverName,
    ...(options.crossOriginOpenerPolicy === undefined
      ? {}
      : { crossOriginOpenerPolicy: options.crossOriginOpenerPolicy }),
  })
  const server = createServer(app)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve)
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  return {
    url: `http://${host}:${port}`,
    plex,
    accounts: plex === undefined ? [] : ACCOUNTS,
    serverName,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (ownsPlex) await plex?.close()
    },
  }
}
