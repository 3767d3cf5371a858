import { PlexClientError } from './errors.js'

/**
 * A PIN waiting for the user: send them to `authUrl` (it carries `code`), then `waitForLogin(pin)`.
 *
 * @example
 * ```ts
 * declare const client: PlexClient
 * const pin = await client.startLogin()
 * console.log(`Open ${pin.authUrl} (code ${pin.code}, valid until ${pin.expiresAt.toLocaleTimeString()})`)
 * ```
 */
export interface PlexPin {
  readonly id: number
  readonly code: string
  readonly authUrl: string
  readonly expiresAt: Date
}

/**
 * The account of `GET /api/v2/user`, as plex.tv describes it (camelCase `friendlyName`).
 *
 * @example
 * ```ts
 * declare const client: PlexClient
 * const { username, email, subscription }: PlexAccount = await client.getUser()
 * ```
 */
export interface PlexAccount {
  id: number
  uuid: string
  username?: string
  title?: string
  email?: string
  friendlyName?: string
  thumb?: string
  /** Seconds since the epoch. */
  joinedAt?: number
  restricted?: boolean
  home?: boolean
  subscription?: { active?: boolean; status?: string; plan?: string }
}

/**
 * One way to reach a resource (`uri` is what to call).
 *
 * @example
 * ```ts
 * declare const resource: PlexResource
 * const best = resource.connections.find((c) => c.local && !c.relay) ?? resource.connections[0]
 * ```
 */
export interface PlexConnection {
  uri: string
  protocol?: string
  address?: string
  port?: number
  local: boolean
  relay: boolean
  IPv6: boolean
}

/**
 * A device of `GET /api/v2/resources`: a server when `provides` includes `'server'`. `accessToken` is the
 * token this account uses on it.
 *
 * @example
 * ```ts
 * declare const client: PlexClient
 * const servers = (await client.getResources()).filter((r) => r.provides.includes('server'))
 * ```
 */
export interface PlexResource {
  name: string
  /** The machine identifier, for a server. */
  clientIdentifier: string
  provides: string[]
  owned: boolean
  accessToken?: string
  product?: string
  productVersion?: string
  platform?: string
  publicAddress?: string
  /** Account id of the owner, for a resource shared with this account. */
  ownerId?: number
  sourceTitle?: string
  httpsRequired?: boolean
  presence?: boolean
  connections: PlexConnection[]
}

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalid(): PlexClientError {
  return new PlexClientError('RESPONSE_INVALID')
}

function object(value: unknown): Json {
  if (!isObject(value)) throw invalid()
  return value
}

function text(value: unknown, max = 8192): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined
}

function requiredText(value: unknown, max?: number): string {
  const result = text(value, max)
  if (result === undefined) throw invalid()
  return result
}

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined
}

function int(value: unknown): number | undefined {
  return Number.isSafeInteger(value) ? (value as number) : undefined
}

function pick<T extends object>(entries: [keyof T, unknown][]): Partial<T> {
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as Partial<T>
}

/** The PIN of `POST /api/v2/pins`: its id, code and lifetime. */
export function parsePin(body: unknown): { id: number; code: string; expiresIn: number } {
  const pin = object(body)
  const id = int(pin.id)
  if (id === undefined || id <= 0) throw invalid()
  const expiresIn = typeof pin.expiresIn === 'number' && pin.expiresIn > 0 ? pin.expiresIn : 900
  return { id, code: requiredText(pin.code, 256), expiresIn }
}

/** The `authToken` of a polled PIN, or `undefined` while it is still null. */
export function parsePinToken(body: unknown): string | undefined {
  const token = object(body).authToken
  if (token === null || token === undefined || token === '') return undefined
  return requiredText(token)
}

/** The nonce of `GET /api/v2/auth/nonce`. */
export function parseNonce(body: unknown): string {
  return requiredText(object(body).nonce, 512)
}

/** The `auth_token` of `POST /api/v2/auth/token` (snake_case, unlike the PIN's `authToken`). */
export function parseAuthToken(body: unknown): string {
  return requiredText(object(body).auth_token)
}

/** The transient token of a media server's `/security/token`. */
export function parseTransientToken(body: unknown): string {
  const container = object(object(body).MediaContainer)
  return requiredText(container.token)
}

/** The account of `GET /api/v2/user`: `id` and `uuid` required, other known fields kept when well-typed. */
export function parseAccount(body: unknown): PlexAccount {
  const raw = object(body)
  const id = int(raw.id)
  if (id === undefined) throw invalid()
  const subscription = isObject(raw.subscription)
    ? pick<NonNullable<PlexAccount['subscription']>>([
        ['active', bool(raw.subscription.active)],
        ['status', text(raw.subscription.status)],
        ['plan', text(raw.subscription.plan)],
      ])
    : undefined
  return {
    id,
    uuid: requiredText(raw.uuid, 512),
    ...pick<PlexAccount>([
      ['username', text(raw.username)],
      ['title', text(raw.title)],
      ['email', text(raw.email)],
      ['friendlyName', text(raw.friendlyName)],
      ['thumb', text(raw.thumb)],
      ['joinedAt', int(raw.joinedAt)],
      ['restricted', bool(raw.restricted)],
      ['home', bool(raw.home)],
      ['subscription', subscription],
    ]),
  }
}

function parseConnection(value: unknown): PlexConnection[] {
  if (!isObject(value)) return []
  const uri = text(value.uri)
  if (uri === undefined) return []
  return [
    {
      uri,
      ...pick<PlexConnection>([
        ['protocol', text(value.protocol)],
        ['address', text(value.address)],
        ['port', int(value.port)],
      ]),
      local: value.local === true,
      relay: value.relay === true,
      IPv6: value.IPv6 === true,
    },
  ]
}

function parseResource(value: unknown): PlexResource[] {
  if (!isObject(value)) return []
  const clientIdentifier = text(value.clientIdentifier)
  if (clientIdentifier === undefined) return []
  const provides = typeof value.provides === 'string' ? value.provides.split(',').filter(Boolean) : []
  return [
    {
      name: text(value.name) ?? '',
      clientIdentifier,
      provides,
      owned: value.owned === true,
      ...pick<PlexResource>([
        ['accessToken', text(value.accessToken)],
        ['product', text(value.product)],
        ['productVersion', text(value.productVersion)],
        ['platform', text(value.platform)],
        ['publicAddress', text(value.publicAddress)],
        ['ownerId', int(value.ownerId)],
        ['sourceTitle', text(value.sourceTitle)],
        ['httpsRequired', bool(value.httpsRequired)],
        ['presence', bool(value.presence)],
      ]),
      connections: Array.isArray(value.connections) ? value.connections.flatMap(parseConnection) : [],
    },
  ]
}

/** The devices of `GET /api/v2/resources`; entries without a `clientIdentifier` are skipped. */
export function parseResources(body: unknown): PlexResource[] {
  if (!Array.isArray(body)) throw invalid()
  return body.flatMap(parseResource)
}
