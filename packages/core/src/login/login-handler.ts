import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { AuthRequest } from '../http/create-authenticator.js'
import { nodeRequest } from '../http/node-request.js'
import { toHttpError } from '../http/to-http-error.js'
import type { PlexIdentity } from '../jwt/identity-types.js'
import { isPlexAuthError, PlexAuthError } from '../lib/errors.js'
import { Lru } from '../lib/lru.js'
import { safeEmitter } from '../lib/safe-emit.js'
import { TokenBucket, takeFromBudget } from '../lib/token-bucket.js'
import { withAccess } from '../plex-tv/server-access.js'
import {
  clearCookie,
  cookieName,
  isSameOrigin,
  LOGIN_COOKIE,
  type RequestContext,
  readCookie,
  requestContext,
  SESSION_COOKIE,
  serializeCookie,
} from '../session/cookies.js'
import { seal, unseal } from '../session/seal.js'
import { createSessionChecks } from '../session/session-checks.js'
import {
  type CheckedAccess,
  type SessionChecks,
  type SessionManager,
  sessionManagerFor,
} from '../session/session-manager.js'
import { createPlexVerifier } from '../verifier/create-plex-verifier.js'
import { type DeviceKey, deriveDeviceKey } from './device-key.js'
import { type LoginContext, type ResolvedLoginOptions, resolveLoginOptions } from './login-options.js'
import { PinClient, type PinPoll } from './plex-pins.js'

/**
 * A request to the login routes: the authenticator's request, plus the framework's own (for `onLogin`).
 *
 * @example
 * ```ts
 * const request: LoginRequest = { ...nodeRequest(req), url: req.url ?? '/', frameworkRequest: req }
 * ```
 */
export interface LoginRequest extends AuthRequest {
  /** The request target: path and query. */
  url: string
  /** Handed to `onLogin` as `request`. */
  frameworkRequest?: unknown
}

/**
 * A login request from Node's `IncomingMessage`, for the adapters: `url` is the path and query as the app
 * received it (Express's `originalUrl` when mounted under a router), `frameworkRequest` goes to `onLogin`.
 *
 * @example
 * ```ts
 * declare const login: LoginHandler
 * const answer = await login.handle(nodeLoginRequest(req, req))
 * ```
 */
export function nodeLoginRequest(
  req: IncomingMessage,
  frameworkRequest: unknown,
  url = req.url ?? '/',
): LoginRequest {
  const remoteAddress = req.socket?.remoteAddress
  return {
    ...nodeRequest(req),
    url,
    ...(remoteAddress === undefined ? {} : { remoteAddress }),
    frameworkRequest,
  }
}

/**
 * What an adapter sends: status, headers (`set-cookie` may repeat) and a JSON body, or none. `set-cookie`
 * joins the cookies an earlier middleware set; every other header replaces an earlier value (the answer's
 * `content-type` is JSON's whatever the response carried before).
 *
 * @example
 * ```ts
 * declare const login: LoginHandler
 * declare const res: import('node:http').ServerResponse
 * const answer: LoginResponse | undefined = await login.handle(nodeLoginRequest(req, req))
 * if (answer !== undefined) res.writeHead(answer.status, answer.headers).end(JSON.stringify(answer.body ?? null))
 * ```
 */
export interface LoginResponse {
  status: number
  headers: Record<string, string | string[]>
  body?: unknown
  /** A bug met while answering (e.g. `onLogin` threw): the client gets a bare 500, the adapter logs this. */
  bug?: unknown
}

/**
 * The login routes, framework-free: built once by `createLoginHandler`, called per request by an adapter.
 *
 * @example
 * ```ts
 * const login = createLoginHandler({ product: 'My App', clientIdentifier: 'my-app', session: { secret: process.env.PLEXAUTH_SECRET! } })
 * const answer = await login.handle({ method: req.method, url: req.url ?? '/', headers: req.headers })
 * if (answer) console.log(answer.status, answer.headers)
 * ```
 */
export interface LoginHandler {
  readonly basePath: string
  /**
   * The routes `handle` answers, under `basePath` (`/pin/:id`: one path segment, the PIN id), for an adapter
   * whose framework routes by path and method: only these may skip its `plexAuth`.
   */
  readonly routes: readonly {
    readonly method: 'GET' | 'POST'
    readonly path: '/pin' | '/pin/:id' | '/start' | '/callback' | '/session' | '/logout'
  }[]
  /** True when `url` (a path, with or without its query) is under `basePath`: only those are handled. */
  matches(url: string): boolean
  /** The answer to a login route; `undefined` for any other request, which the adapter passes on. */
  handle(request: LoginRequest): Promise<LoginResponse | undefined>
}

const LOGIN_ROUTES: LoginHandler['routes'] = Object.freeze(
  (
    [
      ['POST', '/pin'],
      ['GET', '/pin/:id'],
      ['GET', '/start'],
      ['GET', '/callback'],
      ['GET', '/session'],
      ['POST', '/logout'],
    ] as const
  ).map(([method, path]) => Object.freeze({ method, path })),
)

/** The sealed login-state cookie: the PIN of this browser. Times in seconds. */
interface LoginState {
  v: 1
  /** PIN id and code at plex.tv. */
  p: number
  c: string
  f: 'jwt' | 'legacy'
  /** The nonce of the sign-in's device key (jwt flow), base64url. */
  n?: string
  /** When the PIN expires. */
  e: number
  /** Where `/callback` returns to. */
  r?: string
}

/** How a PIN ended, remembered for the polls that come after (or at the same time). */
type Outcome =
  | { kind: 'signed_in'; identity: PlexIdentity; value: string; maxAge: number }
  | { kind: 'refused'; error: PlexAuthError }
  | { kind: 'failed'; error: unknown }

interface PinEntry {
  readonly expiresAt: number
  lastPoll: number
  polling: Promise<PinPoll> | undefined
  finishing: Promise<Outcome> | undefined
  outcome: Outcome | undefined
}

const MAX_PINS = 10_000
const MAX_APP_BYTES = 1024
const MAX_RETURN_TO = 2048
const CALLBACK_POLLS = 3
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }

/** A same-origin path to return to, or `/`: never another origin, a protocol-relative URL or a backslash trick. */
export function safeReturnTo(value: string | null | undefined): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO) return '/'
  // Only printable ASCII (a browser percent-encodes the rest): no backslash, which browsers read as "/".
  if (!value.startsWith('/') || value.startsWith('//') || !/^[\x20-\x5b\x5d-\x7e]+$/.test(value)) return '/'
  // A path-absolute reference keeps the base's origin (so URL cannot throw here); its path is normalised, and
  // removing dot segments can leave one that starts with "//" ("/.//evil.example"): another host to a browser.
  const url = new URL(value, 'http://plexauth.invalid')
  const path = `${url.pathname}${url.search}${url.hash}`
  return path.startsWith('//') ? '/' : path
}

function readState(payload: Record<string, unknown>): LoginState | undefined {
  const { v, p, c, f, n, e, r } = payload
  if (v !== 1 || !Number.isSafeInteger(p) || typeof c !== 'string' || (f !== 'jwt' && f !== 'legacy'))
    return undefined
  if (
    !Number.isSafeInteger(e) ||
    (n !== undefined && typeof n !== 'string') ||
    (r !== undefined && typeof r !== 'string')
  ) {
    return undefined
  }
  if (f === 'jwt' && n === undefined) return undefined
  return payload as unknown as LoginState
}

function json(status: number, body: unknown, cookies: string[] = []): LoginResponse {
  return { status, headers: { ...JSON_TYPE, ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}) }, body }
}

function errorAnswer(err: unknown, cookies: string[] = []): LoginResponse {
  const { status, headers, body } = toHttpError(err)
  // The login routes are not a bearer-token API: no WWW-Authenticate challenge, except on 401.
  const kept: Record<string, string | string[]> = { ...JSON_TYPE }
  // A bug ends the sign-in too (its outcome is final): the login state is cleared like any other.
  if (cookies.length > 0) kept['set-cookie'] = cookies
  if (!isPlexAuthError(err)) return { status, headers: kept, body, bug: err }
  if (status === 401 && headers['www-authenticate'] !== undefined)
    kept['www-authenticate'] = headers['www-authenticate']
  if (headers['retry-after'] !== undefined) kept['retry-after'] = headers['retry-after']
  return { status, headers: kept, body }
}

function redirect(status: 302 | 303, location: string, cookies: string[] = []): LoginResponse {
  return {
    status,
    headers: {
      location,
      'cache-control': 'no-store',
      ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}),
    },
  }
}

function withError(returnTo: string, code: string): string {
  const hash = returnTo.indexOf('#')
  const path = hash === -1 ? returnTo : returnTo.slice(0, hash)
  const fragment = hash === -1 ? '' : returnTo.slice(hash)
  return `${path}${path.includes('?') ? '&' : '?'}plexauth_error=${encodeURIComponent(code)}${fragment}`
}

function checkApp(value: unknown): unknown {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('plexauth: onLogin must return nothing, false or a JSON object')
  }
  const text = JSON.stringify(value)
  if (Buffer.byteLength(text) > MAX_APP_BYTES)
    throw new TypeError('plexauth: onLogin returned more than 1 KiB')
  return JSON.parse(text)
}

/**
 * Builds the login routes of issue 13 (`POST /pin`, `GET /pin/:id`, `GET /start`, `GET /callback`,
 * `GET /session`, `POST /logout` under `basePath`), framework-free. The server creates and polls PINs at
 * plex.tv itself under one client identifier; a sealed, HttpOnly login-state cookie binds each PIN to the
 * browser that asked for it; polls reach plex.tv at most once per `pollInterval` per PIN; PIN creation is
 * rate-limited per client and in total. Throws `TypeError` for a misconfiguration.
 *
 * @example
 * ```ts
 * const login = createLoginHandler({ product: 'My App', clientIdentifier: 'my-app', session: { secret: process.env.PLEXAUTH_SECRET! } })
 * ```
 */
export function createLoginHandler(options: unknown): LoginHandler {
  const config = resolveLoginOptions(options)
  const manager = sessionManagerFor((options as { session: unknown }).session)
  const emit = safeEmitter(config.onEvent)
  const verifier = createPlexVerifier({
    clientIdentifier: config.clientIdentifier,
    jwksUrl: config.jwksUrl,
    plexTvUrl: config.plexTvUrl,
    fetch: config.fetch,
    plexTvTimeout: config.timeoutMs / 1000,
    ...(config.onEvent === undefined ? {} : { onEvent: config.onEvent }),
    legacyTokens: true,
    legacyTokenTtl: 1,
    legacyTokenNegativeTtl: 0,
  })
  const checks: SessionChecks = createSessionChecks({
    verifier,
    legacyVerifier: verifier,
    clientIdentifier: config.clientIdentifier,
    plexTvUrl: config.plexTvUrl,
    fetch: config.fetch,
    onEvent: config.onEvent,
    owner:
      config.access === undefined
        ? undefined
        : {
            machineIdentifier: config.access.machineIdentifier,
            token: config.access.ownerToken,
            id: config.access.ownerId,
          },
    revalidateAfterMs: manager.options.revalidateAfterMs,
  })
  manager.loginChecks = checks
  const pins = new PinClient({
    plexTvUrl: config.plexTvUrl,
    clientsUrl: config.clientsUrl,
    clientIdentifier: config.clientIdentifier,
    productHeaders: {
      'x-plex-product': config.product,
      'x-plex-version': config.version,
      'x-plex-platform': 'Web',
      'x-plex-device': 'plexauth',
      'x-plex-device-name': config.product,
    },
    fetch: config.fetch,
    timeoutMs: config.timeoutMs,
    emit,
  })
  return new Login(config, manager, checks, pins, verifier)
}

/** A request URL's path: what comes before its query. */
function pathOf(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

class Login implements LoginHandler {
  readonly basePath: string
  readonly routes = LOGIN_ROUTES
  readonly #config: ResolvedLoginOptions
  readonly #manager: SessionManager
  readonly #checks: SessionChecks
  readonly #pins: PinClient
  readonly #verifier: ReturnType<typeof createPlexVerifier>
  readonly #entries = new Map<number, PinEntry>()
  readonly #total: TokenBucket
  /** Per client address; the least recently seen is forgotten first (and starts again with a full bucket). */
  readonly #perClient = new Lru<TokenBucket>(10_000)
  readonly #allowedOrigins: ReadonlySet<string>
  #sweptAt = 0

  constructor(
    config: ResolvedLoginOptions,
    manager: SessionManager,
    checks: SessionChecks,
    pins: PinClient,
    verifier: ReturnType<typeof createPlexVerifier>,
  ) {
    this.basePath = config.basePath
    this.#config = config
    this.#manager = manager
    this.#checks = checks
    this.#pins = pins
    this.#verifier = verifier
    this.#total = new TokenBucket(
      config.totalPerMinute / 60,
      Math.max(1, Math.ceil(config.totalPerMinute / 3)),
    )
    const allowed = new Set(manager.options.trustedOrigins)
    if (config.publicOrigin !== undefined) allowed.add(config.publicOrigin)
    this.#allowedOrigins = allowed
  }

  matches(url: string): boolean {
    return this.#isRoute(pathOf(url))
  }

  /** A path (no query) under basePath, longer than `basePath/`. */
  #isRoute(path: string): boolean {
    return path.startsWith(`${this.basePath}/`) && path.length > this.basePath.length + 1
  }

  async handle(request: LoginRequest): Promise<LoginResponse | undefined> {
    const path = pathOf(request.url)
    if (!this.#isRoute(path)) return undefined
    const route = path.slice(this.basePath.length)
    const method = (request.method ?? 'GET').toUpperCase()
    const params = new URLSearchParams(request.url.slice(path.length + 1))
    const context = requestContext(request, this.#config.publicOrigin)
    try {
      if (route === '/pin' && method === 'POST') return await this.#createPin(request, context)
      // `/pin/:id`: the id is one path segment; a longer path is no login route (it goes through plexAuth).
      if (route.startsWith('/pin/') && !route.includes('/', 5) && method === 'GET')
        return await this.#poll(request, context, route.slice(5))
      if (route === '/start' && method === 'GET')
        return await this.#start(request, context, params.get('returnTo'))
      if (route === '/callback' && method === 'GET') return await this.#callback(request, context)
      if (route === '/session' && method === 'GET') return await this.#session(request, context)
      if (route === '/logout' && method === 'POST') return await this.#logout(request, context)
    } catch (err) {
      return errorAnswer(err)
    }
    return undefined
  }

  // --- routes ---

  async #createPin(request: LoginRequest, context: RequestContext): Promise<LoginResponse> {
    // A page of another origin must not make this browser start sign-ins; a client that is no browser may.
    if (!isSameOrigin(request, context, this.#allowedOrigins, true)) throw new PlexAuthError('CSRF_REJECTED')
    const { state, cookie } = await this.#newPin(request, context, undefined)
    return json(
      201,
      {
        id: state.p,
        code: state.c,
        authUrl: this.#authUrl(state.c, undefined),
        expiresAt: new Date(state.e * 1000).toISOString(),
        pollInterval: this.#config.pollIntervalMs / 1000,
      },
      [cookie],
    )
  }

  async #poll(request: LoginRequest, context: RequestContext, id: string): Promise<LoginResponse> {
    const state = await this.#state(request, context)
    if (state === undefined || String(state.p) !== id) throw new PlexAuthError('LOGIN_STATE_INVALID')
    const outcome = await this.#advance(state, request, 1)
    const clear = clearCookie(LOGIN_COOKIE, context.secure)
    if (outcome === 'pending') return json(202, { status: 'pending' })
    if (outcome === 'expired') return errorAnswer(new PlexAuthError('PIN_EXPIRED'), [clear])
    if (outcome.kind === 'refused') return errorAnswer(outcome.error, [clear])
    // plex.tv could not answer: the browser may poll again, with the same login state.
    if (outcome.kind === 'failed')
      return errorAnswer(outcome.error, isPlexAuthError(outcome.error) ? [] : [clear])
    return json(200, { status: 'signed_in', identity: outcome.identity }, [
      clear,
      this.#sessionCookie(context, outcome),
    ])
  }

  async #start(
    request: LoginRequest,
    context: RequestContext,
    returnTo: string | null,
  ): Promise<LoginResponse> {
    const back = safeReturnTo(returnTo)
    const origin = this.#config.publicOrigin ?? context.origin
    if (origin === undefined) throw new PlexAuthError('REQUEST_INVALID')
    let created: { state: LoginState; cookie: string }
    try {
      created = await this.#newPin(request, context, back)
    } catch (err) {
      if (!isPlexAuthError(err)) throw err
      return redirect(303, withError(back, err.code))
    }
    const forwardUrl = `${origin}${this.basePath}/callback`
    return redirect(302, this.#authUrl(created.state.c, forwardUrl), [created.cookie])
  }

  async #callback(request: LoginRequest, context: RequestContext): Promise<LoginResponse> {
    const state = await this.#state(request, context)
    const clear = clearCookie(LOGIN_COOKIE, context.secure)
    if (state === undefined) return redirect(303, withError('/', 'LOGIN_STATE_INVALID'), [clear])
    const back = safeReturnTo(state.r)
    // Plex forwards here once the user answered; the approval may need a moment to show at plex.tv.
    const outcome = await this.#advance(state, request, CALLBACK_POLLS)
    if (outcome === 'pending' || outcome === 'expired')
      return redirect(303, withError(back, 'PIN_EXPIRED'), [clear])
    if (outcome.kind === 'refused') return redirect(303, withError(back, outcome.error.code), [clear])
    if (outcome.kind === 'failed') {
      if (isPlexAuthError(outcome.error)) return redirect(303, withError(back, outcome.error.code), [clear])
      return errorAnswer(outcome.error, [clear])
    }
    return redirect(303, back, [clear, this.#sessionCookie(context, outcome)])
  }

  async #session(request: LoginRequest, context: RequestContext): Promise<LoginResponse> {
    const name = cookieName(SESSION_COOKIE, context.secure)
    const value = readCookie(request.headers.cookie, name)
    if (value === undefined) throw new PlexAuthError('TOKEN_MISSING')
    const result = await this.#manager.resolve(value, this.#checks)
    const cookies: string[] = []
    if (result.renewed !== undefined) {
      cookies.push(
        serializeCookie(name, result.renewed.value, {
          secure: context.secure,
          maxAge: result.renewed.maxAge,
        }),
      )
    } else if (result.clear === true) {
      cookies.push(clearCookie(SESSION_COOKIE, context.secure))
    }
    if (result.identity === undefined) return errorAnswer(new PlexAuthError('TOKEN_MISSING'), cookies)
    return json(200, result.identity, cookies)
  }

  async #logout(request: LoginRequest, context: RequestContext): Promise<LoginResponse> {
    if (!isSameOrigin(request, context, this.#allowedOrigins, true)) throw new PlexAuthError('CSRF_REJECTED')
    const value = readCookie(request.headers.cookie, cookieName(SESSION_COOKIE, context.secure))
    if (value !== undefined) await this.#manager.end(value)
    return {
      status: 204,
      headers: { 'cache-control': 'no-store', 'set-cookie': [clearCookie(SESSION_COOKIE, context.secure)] },
    }
  }

  // --- PINs ---

  #authUrl(code: string, forwardUrl: string | undefined): string {
    const params = new URLSearchParams({ clientID: this.#config.clientIdentifier, code })
    params.set('context[device][product]', this.#config.product)
    if (forwardUrl !== undefined) params.set('forwardUrl', forwardUrl)
    return `${this.#config.authAppUrl}#?${params.toString()}`
  }

  async #limit(request: LoginRequest): Promise<void> {
    const client = request.remoteAddress ?? 'unknown'
    let bucket = this.#perClient.get(client)
    if (bucket === undefined) {
      const perMinute = this.#config.perClientPerMinute
      bucket = new TokenBucket(perMinute / 60, Math.max(1, Math.ceil(perMinute / 2)))
      this.#perClient.set(client, bucket)
    }
    const waitMs = bucket.take()
    if (waitMs > 0) throw new PlexAuthError('RATE_LIMITED', { retryAfter: Math.ceil(waitMs / 1000) })
    const { budget } = this.#config
    const totalWait = budget === undefined ? this.#total.take() : await takeFromBudget(budget, this.#total)
    if (totalWait > 0) throw new PlexAuthError('RATE_LIMITED', { retryAfter: Math.ceil(totalWait / 1000) })
  }

  async #newPin(
    request: LoginRequest,
    context: RequestContext,
    returnTo: string | undefined,
  ): Promise<{ state: LoginState; cookie: string }> {
    this.#sweep()
    if (this.#entries.size >= MAX_PINS) throw new PlexAuthError('RATE_LIMITED', { retryAfter: 60 })
    await this.#limit(request)
    const flow = this.#config.flow
    const nonce = flow === 'jwt' ? randomBytes(16) : undefined
    const key = nonce === undefined ? undefined : deriveDeviceKey(this.#manager.loginKeys.current.key, nonce)
    const pin = await this.#pins.create(key)
    const state: LoginState = {
      v: 1,
      p: pin.id,
      c: pin.code,
      f: flow,
      ...(nonce === undefined ? {} : { n: nonce.toString('base64url') }),
      e: Math.floor(pin.expiresAt / 1000),
      ...(returnTo === undefined ? {} : { r: returnTo }),
    }
    this.#entries.set(pin.id, {
      expiresAt: pin.expiresAt,
      lastPoll: 0,
      polling: undefined,
      finishing: undefined,
      outcome: undefined,
    })
    const value = await seal(this.#manager.loginKeys, state)
    const maxAge = Math.max(1, Math.floor((pin.expiresAt - Date.now()) / 1000))
    return {
      state,
      cookie: serializeCookie(cookieName(LOGIN_COOKIE, context.secure), value, {
        secure: context.secure,
        maxAge,
      }),
    }
  }

  async #state(request: LoginRequest, context: RequestContext): Promise<LoginState | undefined> {
    const value = readCookie(request.headers.cookie, cookieName(LOGIN_COOKIE, context.secure))
    if (value === undefined) return undefined
    const opened = await unseal(this.#manager.loginKeys, value, 4096)
    return opened === undefined ? undefined : readState(opened.payload)
  }

  #keyOf(state: LoginState): DeviceKey | undefined {
    if (state.n === undefined) return undefined
    // The key of whichever secret was current when the PIN was made: rotation mid-sign-in is not worth a retry.
    return deriveDeviceKey(this.#manager.loginKeys.current.key, Buffer.from(state.n, 'base64url'))
  }

  /** Forgets PINs past their expiry, at most once a second. */
  #sweep(): void {
    const now = Date.now()
    if (now - this.#sweptAt < 1000) return
    this.#sweptAt = now
    for (const [id, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(id)
  }

  /**
   * Moves a PIN on: polls plex.tv when the last poll of this PIN is `pollInterval` old (never more often,
   * however often the browser asks), and finishes the sign-in once (for every poll waiting on it).
   */
  async #advance(
    state: LoginState,
    request: LoginRequest,
    attempts: number,
  ): Promise<Outcome | 'pending' | 'expired'> {
    this.#sweep()
    const now = Date.now()
    if (state.e * 1000 <= now) {
      this.#entries.delete(state.p)
      return 'expired'
    }
    let entry = this.#entries.get(state.p)
    if (entry === undefined) {
      // A PIN another instance created (the cookie proves it is this browser's), or created before a restart.
      if (this.#entries.size >= MAX_PINS) throw new PlexAuthError('RATE_LIMITED', { retryAfter: 60 })
      entry = {
        expiresAt: state.e * 1000,
        lastPoll: 0,
        polling: undefined,
        finishing: undefined,
        outcome: undefined,
      }
      this.#entries.set(state.p, entry)
    }
    for (let attempt = 0; ; attempt++) {
      if (entry.outcome !== undefined) return entry.outcome
      if (entry.finishing !== undefined) return entry.finishing
      let poll: PinPoll | undefined
      if (entry.polling !== undefined) {
        poll = await entry.polling
      } else if (Date.now() - entry.lastPoll >= this.#config.pollIntervalMs) {
        entry.lastPoll = Date.now()
        const current = entry
        current.polling = this.#pins.poll(state.p, this.#keyOf(state)).finally(() => {
          current.polling = undefined
        })
        poll = await current.polling
      }
      if (poll?.status === 'expired') {
        this.#entries.delete(state.p)
        return 'expired'
      }
      if (poll?.status === 'approved') {
        const current = entry
        current.finishing ??= this.#finish(state, poll.token, request).then((outcome) => {
          // An outage is not an outcome: the next poll tries again. Everything else is final for this PIN.
          if (outcome.kind === 'failed' && isPlexAuthError(outcome.error)) {
            current.finishing = undefined
            current.lastPoll = 0
          } else {
            current.outcome = outcome
          }
          return outcome
        })
        return current.finishing as Promise<Outcome>
      }
      if (attempt + 1 >= attempts) return 'pending'
      await this.#untilDue(entry)
    }
  }

  /**
   * Waits (50 ms at least) until the PIN's next poll is due or another request's poll or finish is under
   * way. A timer can end a few milliseconds before `Date.now()` says its time has passed (libuv's timers run
   * on the loop's clock), and another request may poll meanwhile: waiting on until due keeps every one of
   * `/callback`'s attempts a poll instead of spending one on an interval not quite over.
   */
  async #untilDue(entry: PinEntry): Promise<void> {
    let wait = Math.max(50, this.#config.pollIntervalMs - (Date.now() - entry.lastPoll))
    while (wait > 0 && entry.polling === undefined && entry.finishing === undefined) {
      await new Promise((resolve) => setTimeout(resolve, wait))
      wait = this.#config.pollIntervalMs - (Date.now() - entry.lastPoll)
    }
  }

  /** Validates the token plex.tv gave, decides access, runs `onLogin` and seals the session: once per PIN. */
  async #finish(state: LoginState, token: string, request: LoginRequest): Promise<Outcome> {
    try {
      let identity: PlexIdentity
      try {
        // jwt: verified locally against Plex's keys; legacy: confirmed by plex.tv's /api/v2/user.
        identity = await this.#verifier.verify(token)
      } catch (err) {
        if (isPlexAuthError(err) && (err.code === 'PLEX_UNAVAILABLE' || err.code === 'KEYS_UNAVAILABLE'))
          throw err
        return { kind: 'refused', error: new PlexAuthError('ACCESS_DENIED', { reason: 'refused' }) }
      }
      if (identity.kind !== state.f) {
        return { kind: 'refused', error: new PlexAuthError('ACCESS_DENIED', { reason: 'refused' }) }
      }
      const { access } = this.#config
      let decision: CheckedAccess | undefined
      if (access !== undefined) {
        try {
          decision = await this.#checks.access(identity, access.machineIdentifier)
        } catch (err) {
          if (isPlexAuthError(err) && err.code === 'ACCESS_DENIED') {
            return {
              kind: 'refused',
              error: new PlexAuthError('ACCESS_DENIED', { reason: 'no_server_access' }),
            }
          }
          throw err
        }
        if (access.ownerOnly && !decision.owner) {
          return { kind: 'refused', error: new PlexAuthError('ACCESS_DENIED', { reason: 'not_owner' }) }
        }
      }
      let app: unknown
      if (this.#config.onLogin !== undefined) {
        const context: LoginContext = {
          // With the access just decided, as `req.plex` will carry it (without the owner's id kept for checks).
          identity:
            decision === undefined
              ? identity
              : withAccess(
                  identity,
                  Object.freeze({
                    machineIdentifier: decision.machineIdentifier,
                    owner: decision.owner,
                    source: decision.source,
                    stale: decision.stale,
                  }),
                ),
          plexToken: token,
          request: request.frameworkRequest,
        }
        const answer = await this.#config.onLogin(context)
        if (answer === false) {
          return { kind: 'refused', error: new PlexAuthError('ACCESS_DENIED', { reason: 'refused' }) }
        }
        app = checkApp(answer)
      }
      const created = await this.#manager.create(identity, decision, access?.ownerOnly === true, app)
      return { kind: 'signed_in', identity: created.identity, value: created.value, maxAge: created.maxAge }
    } catch (err) {
      // A PlexAuthError (plex.tv down) is answered with its code; anything else (onLogin threw) is a bare 500.
      return { kind: 'failed', error: err }
    }
  }

  #sessionCookie(context: RequestContext, outcome: { value: string; maxAge: number }): string {
    return serializeCookie(cookieName(SESSION_COOKIE, context.secure), outcome.value, {
      secure: context.secure,
      maxAge: outcome.maxAge,
    })
  }
}
