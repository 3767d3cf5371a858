import { randomBytes } from 'node:crypto'
import { accountById, randomToken } from './accounts.js'
import { isoTime } from './pins.js'
import type { FakePlexState, ServerRecord } from './state.js'
import type { XmlElement } from './xml.js'

/**
 * What `addServer` may set. Every member is optional.
 *
 * @example
 * ```ts
 * const friend = plex.addAccount({ username: 'friend' })
 * const server = plex.addServer({ name: 'Basement', sharedWith: [friend.id] })
 * ```
 */
export interface AddServerOptions {
  /**
   * Default a random 40-hex-digit identifier.
   * @default a random 40-hex-digit identifier
   */
  machineIdentifier?: string
  /**
   * Default `'Fake Media Server'`.
   * @default 'Fake Media Server'
   */
  name?: string
  /** Account id of the owner. Default the default account. */
  ownerId?: number
  /** Account ids it is shared with. */
  sharedWith?: readonly number[]
  /**
   * `provides` of its resource entry. Default `'server'`.
   * @default 'server'
   */
  provides?: string
}

/**
 * A fake Plex Media Server. Its own endpoints (`POST /security/token`) are served by the fake under
 * `url`, so one origin serves plex.tv and every server.
 *
 * @example
 * ```ts
 * const server = plex.addServer()
 * declare const client: import('@plexauth/client').PlexClient // signed in against the fake
 * const transient = await client.getTransientToken(server.url, server.accessToken())
 * expect(server.transientTokens).toContain(transient)
 * ```
 */
export interface FakeServer {
  readonly machineIdentifier: string
  readonly name: string
  /** `${plex.url}/pms/<machineIdentifier>`: the `uri` of its connection in `/api/v2/resources`. */
  readonly url: string
  readonly ownerId: number
  readonly sharedWith: readonly number[]
  /** The `accessToken` that `/api/v2/resources` gives an account (the owner when absent); `undefined` without access. */
  accessToken(accountId?: number): string | undefined
  /** Transient tokens it has issued. */
  readonly transientTokens: readonly string[]
  /** Shares the server with an account (listed in its `/api/v2/resources` and the owner's `/api/users`). */
  share(accountId: number): void
  /** Ends a share: the account loses its access token and leaves the owner's friends list. */
  unshare(accountId: number): void
}

/** Base URL of a fake server's own endpoints. */
export function serverUrl(state: FakePlexState, machineIdentifier: string): string {
  return `${state.url}/pms/${encodeURIComponent(machineIdentifier)}`
}

/** Grants an account access to a server (the owner always has it), with an access token only that server accepts. */
export function grantAccess(server: ServerRecord, accountId: number): void {
  if (server.accessTokens.has(accountId)) return
  if (accountId !== server.ownerId) server.sharedWith.add(accountId)
  server.accessTokens.set(accountId, randomToken())
}

export function addServer(state: FakePlexState, options: AddServerOptions = {}): FakeServer {
  const ownerId = options.ownerId ?? state.account.id
  accountById(state, ownerId)
  const machineIdentifier = options.machineIdentifier ?? randomBytes(20).toString('hex')
  if (state.servers.has(machineIdentifier)) throw new Error(`FakePlex: server ${machineIdentifier} exists`)
  const server: ServerRecord = {
    machineIdentifier,
    name: options.name ?? 'Fake Media Server',
    ownerId,
    provides: options.provides ?? 'server',
    createdAt: Math.floor(Date.now() / 1000),
    sharedWith: new Set(),
    accessTokens: new Map(),
    transientTokens: new Set(),
  }
  state.servers.set(machineIdentifier, server)
  for (const accountId of [ownerId, ...(options.sharedWith ?? [])]) {
    accountById(state, accountId)
    grantAccess(server, accountId)
  }
  return serverView(state, server)
}

/** The live, read-only view of a server record. */
export function serverView(state: FakePlexState, server: ServerRecord): FakeServer {
  return {
    machineIdentifier: server.machineIdentifier,
    name: server.name,
    get url() {
      return serverUrl(state, server.machineIdentifier)
    },
    ownerId: server.ownerId,
    get sharedWith() {
      return [...server.sharedWith]
    },
    accessToken: (accountId = server.ownerId) => server.accessTokens.get(accountId),
    get transientTokens() {
      return [...server.transientTokens]
    },
    share: (accountId) => {
      accountById(state, accountId)
      grantAccess(server, accountId)
    },
    unshare: (accountId) => {
      if (accountId === server.ownerId) throw new Error('FakePlex: the owner cannot be unshared')
      server.sharedWith.delete(accountId)
      server.accessTokens.delete(accountId)
    },
  }
}

/**
 * A server's entry in `/api/v2/resources`, as seen by `accountId`: JSON, and XML
 * (`<resource …><connections><connection …/></connections></resource>`, as python-plexapi reads it).
 */
export function resourceDocument(
  state: FakePlexState,
  server: ServerRecord,
  accountId: number,
): { json: Record<string, unknown>; xml: XmlElement } {
  const owned = server.ownerId === accountId
  const url = new URL(state.url)
  const owner = state.accounts.get(server.ownerId)
  const fields = {
    name: server.name,
    product: 'Plex Media Server',
    productVersion: '1.41.0.0000-fake',
    platform: 'Linux',
    platformVersion: '6.1',
    device: 'PC',
    clientIdentifier: server.machineIdentifier,
    createdAt: isoTime(server.createdAt * 1000),
    lastSeenAt: isoTime(Date.now()),
    provides: server.provides,
    ownerId: owned ? null : server.ownerId,
    sourceTitle: owned ? null : (owner?.username ?? null),
    publicAddress: '203.0.113.10',
    accessToken: server.accessTokens.get(accountId) ?? null,
    owned,
    home: false,
    synced: false,
    relay: true,
    presence: true,
    httpsRequired: false,
    publicAddressMatches: true,
    dnsRebindingProtection: false,
    natLoopbackSupported: false,
  }
  const connection = {
    protocol: url.protocol.slice(0, -1),
    address: url.hostname,
    port: Number(url.port),
    uri: serverUrl(state, server.machineIdentifier),
    local: true,
    relay: false,
    IPv6: false,
  }
  return {
    json: { ...fields, connections: [connection] },
    xml: {
      tag: 'resource',
      attributes: fields,
      children: [{ tag: 'connections', children: [{ tag: 'connection', attributes: connection }] }],
    },
  }
}
