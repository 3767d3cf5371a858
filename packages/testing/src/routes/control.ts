import { addHomeUser, createLegacyToken, upsertAccount } from '../accounts.js'
import { countRequests, resetRun, rotateKeys } from '../actions.js'
import { isFailureMode } from '../failure-modes.js'
import { issueToken } from '../issue-token.js'
import { CONTROL_PATH } from '../paths.js'
import { approvePin, denyPin, findPin } from '../pins.js'
import { readFields } from '../request-body.js'
import { type FakeResponse, json } from '../responses.js'
import type { Route, RouteContext } from '../router.js'
import { addServer, serverUrl, serverView } from '../servers.js'
import type { FakePlexState, PinRecord, ServerRecord } from '../state.js'
import type { IssueTokenOptions, PlexTokenUser } from '../tokens.js'

// Fixed messages: the control surface never echoes what it was sent.
const problem = (status: number, error: string): FakeResponse => json(status, { error })
const BAD_BODY = () => problem(400, 'Invalid request body')
const NO_PIN = () => problem(404, 'PIN not found or expired')
const NO_ACCOUNT = () => problem(404, 'Account not found')
const NO_SERVER = () => problem(404, 'Server not found')
const CONFLICT = () => problem(409, 'Conflict with the fake’s state')
const DONE: FakeResponse = { status: 204 }

type Fields = Record<string, unknown>

function control(
  method: string,
  path: string,
  handle: (context: RouteContext, body: Fields) => FakeResponse,
): Route {
  return {
    method,
    path: `${CONTROL_PATH}${path}`,
    jsonOnly: true,
    handle: (context) => {
      const body = readFields(context)
      if (body === undefined) return BAD_BODY()
      try {
        return handle(context, body)
      } catch {
        return CONFLICT()
      }
    },
  }
}

const optionalNumber = (value: unknown): value is number | undefined =>
  value === undefined || (typeof value === 'number' && Number.isSafeInteger(value))
const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string')

const USER_FIELDS: Record<keyof PlexTokenUser, (value: unknown) => boolean> = {
  id: (value) => typeof value === 'number' && Number.isSafeInteger(value) && value > 0,
  uuid: (value) => typeof value === 'string',
  username: (value) => typeof value === 'string',
  email: (value) => typeof value === 'string',
  friendly_name: (value) => typeof value === 'string',
  restricted: (value) => typeof value === 'boolean',
  anonymous: (value) => typeof value === 'boolean',
  joinedAt: (value) => typeof value === 'number' && Number.isFinite(value),
}

const finite = (value: unknown) => typeof value === 'number' && Number.isFinite(value)
const TOKEN_OPTIONS: Record<string, (value: unknown) => boolean> = {
  scopes: isStringList,
  user: isObject,
  clientIdentifier: (value) => typeof value === 'string',
  expiresIn: finite,
  issuedAt: finite,
  claims: isObject,
  header: isObject,
  kid: (value) => typeof value === 'string',
}

/** `IssueTokenOptions` as JSON can carry them (no `signWith`: a key is not JSON), each of its type. */
const isTokenOptions = (value: Fields): boolean =>
  Object.entries(value).every(
    ([name, option]) => Object.hasOwn(TOKEN_OPTIONS, name) && TOKEN_OPTIONS[name]!(option),
  )

/** Account fields as `PlexTokenUser` has them, and no others: what the fake stores and serves. */
const isUserFields = (value: unknown): value is Partial<PlexTokenUser> =>
  isObject(value) &&
  Object.entries(value).every(
    ([name, field]) => Object.hasOwn(USER_FIELDS, name) && USER_FIELDS[name as keyof PlexTokenUser](field),
  )

function serverJson(state: FakePlexState, server: ServerRecord): Fields {
  return {
    machineIdentifier: server.machineIdentifier,
    name: server.name,
    url: serverUrl(state, server.machineIdentifier),
    ownerId: server.ownerId,
    sharedWith: [...server.sharedWith],
    provides: server.provides,
    accessTokens: Object.fromEntries(server.accessTokens),
  }
}

function pinJson(pin: PinRecord): Fields {
  return {
    id: pin.id,
    code: pin.code,
    product: pin.product ?? null,
    clientIdentifier: pin.clientIdentifier,
    strong: pin.strong,
    withKey: pin.kid !== undefined,
    expiresAt: new Date(pin.expiresAt).toISOString(),
    approved: pin.approval !== undefined,
    accountId: pin.approval?.accountId ?? null,
  }
}

function keysJson(state: FakePlexState): Fields {
  return { signingKid: state.keyRing.signingKey.kid, keys: state.keyRing.publicKeySet().keys }
}

/** The live PIN a body names (`code` or `id`), checked against `clientIdentifier` when the body gives one. */
function pinOf(state: FakePlexState, body: Fields): PinRecord | undefined {
  const { code, id, clientIdentifier } = body
  const key = typeof code === 'string' && code !== '' ? code : typeof id === 'number' ? id : undefined
  const pin = key === undefined ? undefined : findPin(state, key)
  if (pin === undefined || (typeof code === 'string' && pin.code !== code)) return undefined
  if (clientIdentifier !== undefined && clientIdentifier !== pin.clientIdentifier) return undefined
  return pin
}

function accountOr(state: FakePlexState, accountId: unknown): PlexTokenUser | undefined | 'bad' {
  if (!optionalNumber(accountId)) return 'bad'
  return state.accounts.get(accountId ?? state.account.id)
}

function approve(context: RouteContext, body: Fields): FakeResponse {
  const { state } = context
  const pin = pinOf(state, body)
  if (pin === undefined) return NO_PIN()
  const account = accountOr(state, body.accountId)
  if (account === 'bad' || (body.scopes !== undefined && !isStringList(body.scopes))) return BAD_BODY()
  if (account === undefined) return NO_ACCOUNT()
  approvePin(state, pin.id, {
    user: { id: account.id },
    ...(body.scopes === undefined ? {} : { scopes: body.scopes as string[] }),
  })
  return DONE
}

function share(context: RouteContext, body: Fields, shared: boolean): FakeResponse {
  const { state } = context
  const server = state.servers.get(context.params.machineIdentifier!)
  if (server === undefined) return NO_SERVER()
  if (typeof body.accountId !== 'number') return BAD_BODY()
  if (!state.accounts.has(body.accountId)) return NO_ACCOUNT()
  const view = serverView(state, server)
  if (shared) view.share(body.accountId)
  else view.unshare(body.accountId)
  return json(200, serverJson(state, server))
}

/**
 * The HTTP control surface under `/__fake`: the `FakePlex` actions for tests in another process or
 * language. JSON in, JSON out; requests to it are neither counted, logged nor failed.
 */
export const controlRoutes: readonly Route[] = [
  control('GET', '', ({ state }) =>
    json(200, {
      url: state.url,
      jwksUrl: `${state.url}/api/v2/auth/keys`,
      authAppUrl: `${state.url}/auth`,
      controlUrl: `${state.url}${CONTROL_PATH}`,
      accounts: [...state.accounts.values()],
      servers: [...state.servers.values()].map((server) => serverJson(state, server)),
      ...keysJson(state),
    }),
  ),
  control('GET', '/accounts', ({ state }) => json(200, [...state.accounts.values()])),
  control('POST', '/accounts', ({ state }, body) => {
    if (!isUserFields(body)) return BAD_BODY()
    return json(201, upsertAccount(state, body))
  }),
  control('POST', '/home-users', ({ state }, body) => {
    const { adminId, managed, title, user } = body
    if (!optionalNumber(adminId) || (title !== undefined && typeof title !== 'string')) return BAD_BODY()
    if (
      (managed !== undefined && typeof managed !== 'boolean') ||
      (user !== undefined && !isUserFields(user))
    )
      return BAD_BODY()
    if (adminId !== undefined && !state.accounts.has(adminId)) return NO_ACCOUNT()
    return json(
      201,
      addHomeUser(state, {
        ...(adminId === undefined ? {} : { adminId }),
        ...(managed === undefined ? {} : { managed }),
        ...(title === undefined ? {} : { title }),
        ...(user === undefined ? {} : { user }),
      }),
    )
  }),
  control('POST', '/legacy-tokens', ({ state }, body) => {
    const account = accountOr(state, body.accountId)
    if (account === 'bad') return BAD_BODY()
    if (account === undefined) return NO_ACCOUNT()
    return json(201, { token: createLegacyToken(state, account.id) })
  }),
  control('POST', '/tokens', ({ state }, body) => {
    const { accountId, ...options } = body
    const account = accountOr(state, accountId)
    if (account === 'bad' || !isTokenOptions(options)) return BAD_BODY()
    if (account === undefined) return NO_ACCOUNT()
    return json(201, { token: issueToken(state, options as IssueTokenOptions, account) })
  }),
  control('GET', '/servers', ({ state }) =>
    json(
      200,
      [...state.servers.values()].map((server) => serverJson(state, server)),
    ),
  ),
  control('POST', '/servers', ({ state }, body) => {
    const { machineIdentifier, name, ownerId, sharedWith, provides } = body
    const strings = [machineIdentifier, name, provides].every((v) => v === undefined || typeof v === 'string')
    const shared =
      sharedWith === undefined ||
      (Array.isArray(sharedWith) && sharedWith.every((id) => typeof id === 'number'))
    if (!strings || !shared || !optionalNumber(ownerId)) return BAD_BODY()
    const ids = [ownerId ?? state.account.id, ...((sharedWith as number[] | undefined) ?? [])]
    if (!ids.every((id) => state.accounts.has(id))) return NO_ACCOUNT()
    if (typeof machineIdentifier === 'string' && state.servers.has(machineIdentifier)) return CONFLICT()
    const created = addServer(state, body as Parameters<typeof addServer>[1])
    return json(201, serverJson(state, state.servers.get(created.machineIdentifier)!))
  }),
  control('POST', '/servers/:machineIdentifier/share', (context, body) => share(context, body, true)),
  control('POST', '/servers/:machineIdentifier/unshare', (context, body) => share(context, body, false)),
  control('GET', '/pins/:codeOrId', ({ state, params }) => {
    const key = params.codeOrId!
    const pin = findPin(state, /^\d+$/.test(key) ? Number(key) : key)
    return pin === undefined ? NO_PIN() : json(200, pinJson(pin))
  }),
  control('POST', '/pins/approve', approve),
  control('POST', '/pins/link', (context, body) =>
    typeof body.code === 'string' ? approve(context, body) : BAD_BODY(),
  ),
  control('POST', '/pins/deny', ({ state }, body) => {
    const pin = pinOf(state, body)
    if (pin === undefined) return NO_PIN()
    denyPin(state, pin.id)
    return DONE
  }),
  control('GET', '/keys', ({ state }) => json(200, keysJson(state))),
  control('POST', '/keys/rotate', ({ state }, body) => {
    const { keep, position } = body
    if (keep !== undefined && typeof keep !== 'boolean') return BAD_BODY()
    if (position !== undefined && position !== 'first' && position !== 'last') return BAD_BODY()
    rotateKeys(state, {
      ...(keep === undefined ? {} : { keep }),
      ...(position === undefined ? {} : { position }),
    })
    return json(200, keysJson(state))
  }),
  control('POST', '/fail', ({ state }, body) => {
    const { path, mode, times } = body
    const validTimes = optionalNumber(times) && (times === undefined || times > 0)
    if (typeof path !== 'string' || !isFailureMode(mode) || !validTimes) return BAD_BODY()
    state.failures.set(path, mode, times)
    return DONE
  }),
  control('POST', '/recover', ({ state }, body) => {
    if (body.path !== undefined && typeof body.path !== 'string') return BAD_BODY()
    state.failures.clear(body.path)
    return DONE
  }),
  control('GET', '/requests', ({ state, query }) =>
    json(200, { count: countRequests(state, query.get('path') ?? undefined) }),
  ),
  control('GET', '/log', ({ state }) => json(200, state.log)),
  control('POST', '/reset', ({ state }) => {
    resetRun(state)
    return DONE
  }),
]
