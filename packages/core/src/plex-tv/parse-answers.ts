// The one reading of plex.tv's account and resources answers, for core's legacy tokens and server access
// checks and for @plexauth/client (through `@plexauth/core/plex-tv`). Each parser takes the parsed JSON
// body and throws `PlexAnswerError` on anything that is not such an answer.

/** Longest identity string kept (username, email, uuid…): the bound of a token's claims too. */
const MAX_IDENTITY_STRING = 512
/** Longest other string kept (a title, a thumbnail URL, a connection URI…). */
const MAX_STRING = 8192
/** Most devices in one `/api/v2/resources` answer: anything longer is not one. */
const MAX_DEVICES = 10_000

/**
 * A plex.tv answer that is not what the endpoint documents.
 *
 * @example
 * ```ts
 * declare const body: unknown
 * try { parseResources(body) } catch (err) { if (err instanceof PlexAnswerError) console.log('not a device list') }
 * ```
 */
export class PlexAnswerError extends Error {
  constructor(what: string) {
    super(`plex.tv answer is not ${what}`)
    this.name = 'PlexAnswerError'
  }
}

/**
 * The account of `GET /api/v2/user`, as plex.tv describes it (camelCase `friendlyName`).
 *
 * @example
 * ```ts
 * declare const body: unknown
 * const { username, email, subscription }: PlexAccount = parseAccount(body)
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
  anonymous?: boolean
  home?: boolean
  subscription?: { active?: boolean; status?: string; plan?: string }
}

/**
 * One way to reach a resource (`uri` is what to call).
 *
 * @example
 * ```ts
 * declare const resource: PlexResource
 * const best: PlexConnection | undefined = resource.connections.find((c) => c.local && !c.relay)
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
 * declare const body: unknown
 * const servers: PlexResource[] = parseResources(body).filter((r) => r.provides.includes('server'))
 * ```
 */
export interface PlexResource {
  name: string
  /** The machine identifier, for a server. */
  clientIdentifier: string
  /** Trimmed entries of plex.tv's comma-separated `provides`. */
  provides: string[]
  /** plex.tv writes `true`, and some answers `1` or `"1"`. */
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

function text(value: unknown, max = MAX_STRING): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined
}

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined
}

function int(value: unknown): number | undefined {
  return Number.isSafeInteger(value) ? (value as number) : undefined
}

/** The entries whose value is defined, as an object: optional members are absent, never `undefined`. */
function defined<T extends object>(entries: [keyof T, unknown][]): Partial<T> {
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as Partial<T>
}

/**
 * Reads the flat account JSON of `GET /api/v2/user`: a positive `id` and a `uuid` are required, other known
 * fields are kept when well-typed (identity fields up to 512 characters, `joinedAt` a time) and dropped
 * otherwise. Throws `PlexAnswerError` when it is not an account.
 *
 * @example
 * ```ts
 * declare const text: string
 * const account = parseAccount(JSON.parse(text))
 * ```
 */
export function parseAccount(body: unknown): PlexAccount {
  if (!isObject(body)) throw new PlexAnswerError('an account')
  const field = (name: string): unknown => (Object.hasOwn(body, name) ? body[name] : undefined)
  const id = int(field('id'))
  const uuid = text(field('uuid'), MAX_IDENTITY_STRING)
  if (id === undefined || id <= 0 || uuid === undefined) throw new PlexAnswerError('an account')
  const joinedAt = int(field('joinedAt'))
  const raw = field('subscription')
  const subscription = isObject(raw)
    ? defined<NonNullable<PlexAccount['subscription']>>([
        ['active', bool(raw.active)],
        ['status', text(raw.status)],
        ['plan', text(raw.plan)],
      ])
    : undefined
  return {
    id,
    uuid,
    ...defined<PlexAccount>([
      ['username', text(field('username'), MAX_IDENTITY_STRING)],
      ['title', text(field('title'))],
      ['email', text(field('email'), MAX_IDENTITY_STRING)],
      ['friendlyName', text(field('friendlyName'), MAX_IDENTITY_STRING)],
      ['thumb', text(field('thumb'))],
      ['joinedAt', joinedAt !== undefined && joinedAt >= 0 ? joinedAt : undefined],
      ['restricted', bool(field('restricted'))],
      ['anonymous', bool(field('anonymous'))],
      ['home', bool(field('home'))],
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
      ...defined<PlexConnection>([
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
  const provides =
    typeof value.provides === 'string'
      ? value.provides
          .split(',')
          .map((entry) => entry.trim())
          .filter(Boolean)
      : []
  return [
    {
      name: text(value.name) ?? '',
      clientIdentifier,
      provides,
      owned: value.owned === true || value.owned === 1 || value.owned === '1',
      ...defined<PlexResource>([
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

/**
 * Reads the device list of `GET /api/v2/resources`. Entries that are not devices (no `clientIdentifier`)
 * are skipped; `provides` is split and trimmed; `owned` is true for `true`, `1` or `"1"`. Throws
 * `PlexAnswerError` when the answer is not a list (or an absurdly long one).
 *
 * @example
 * ```ts
 * declare const text: string
 * const servers = parseResources(JSON.parse(text)).filter((device) => device.provides.includes('server'))
 * ```
 */
export function parseResources(body: unknown): PlexResource[] {
  if (!Array.isArray(body) || body.length > MAX_DEVICES) throw new PlexAnswerError('a device list')
  return body.flatMap(parseResource)
}

const PIN_CODE = /^[A-Za-z0-9]{4,64}$/
const AUTH_TOKEN = /^[A-Za-z0-9._~+/=-]{8,8192}$/
/** A PIN's life when plex.tv does not say: 15 minutes, as plex.tv's own PINs. */
const DEFAULT_PIN_LIFETIME_MS = 900_000
/** Longest life of a PIN believed, whatever plex.tv says (a strong PIN lives 30 minutes): no endless polling. */
const MAX_PIN_LIFETIME_MS = 3600_000

/**
 * A PIN of `POST /api/v2/pins` or `GET /api/v2/pins/<id>`. `expiresAt` in milliseconds since the epoch;
 * `authToken` null until the user approves.
 *
 * @example
 * ```ts
 * declare const body: unknown
 * const { id, code, authToken }: PlexPinAnswer = parsePin(body)
 * ```
 */
export interface PlexPinAnswer {
  id: number
  code: string
  expiresAt: number
  authToken: string | null
}

/**
 * Reads a PIN answer: a positive `id`, an alphanumeric `code`, the expiry from `expiresAt` (a date) or
 * `expiresIn` (seconds; 15 minutes when neither is usable; never more than an hour away), and `authToken`
 * (null, absent or empty while pending). Throws `PlexAnswerError` when it is not a PIN.
 *
 * @example
 * ```ts
 * declare const text: string
 * const pin = parsePin(JSON.parse(text))
 * if (pin.authToken !== null) console.log('signed in')
 * ```
 */
export function parsePin(body: unknown, now: number = Date.now()): PlexPinAnswer {
  if (!isObject(body)) throw new PlexAnswerError('a PIN')
  const { id, code, expiresIn, expiresAt, authToken } = body
  if (!Number.isSafeInteger(id) || (id as number) <= 0 || typeof code !== 'string' || !PIN_CODE.test(code)) {
    throw new PlexAnswerError('a PIN')
  }
  let expires = typeof expiresAt === 'string' ? Date.parse(expiresAt) : Number.NaN
  if (Number.isNaN(expires) && typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0) {
    expires = now + expiresIn * 1000
  }
  if (Number.isNaN(expires)) expires = now + DEFAULT_PIN_LIFETIME_MS
  expires = Math.min(expires, now + MAX_PIN_LIFETIME_MS)
  const pending = authToken === null || authToken === undefined || authToken === ''
  if (!pending && (typeof authToken !== 'string' || !AUTH_TOKEN.test(authToken))) {
    throw new PlexAnswerError('a PIN')
  }
  return { id: id as number, code, expiresAt: expires, authToken: pending ? null : (authToken as string) }
}
