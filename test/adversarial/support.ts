import { type KeyObject, sign } from 'node:crypto'
import type { PlexAuthErrorCode, PlexAuthEvent } from '@plexauth/core'
import type { PlexAuthOptions } from '@plexauth/core/adapter'
import { base64url, type Ed25519Key, type FakePlex } from '@plexauth/testing'
import { fixedKeyPair } from '../keys/fixed-keys.js'

/**
 * The vocabulary of the adversarial table: what a row is, the world it runs in, and helpers that build
 * hostile tokens. The runner (`adversarial.test.ts`) sends every row to every framework of the contract
 * suite and checks what every refused request must satisfy.
 */

export type Group = 'signature' | 'claims' | 'keys' | 'parsing' | 'transport' | 'availability'

/** The routes every app serves for all rows. */
export const SHARED_ROUTES = {
  /** The genuine plex.tv, default options: the cooldown is 30 s, so unknown kids are not refetched. */
  main: { auth: 'main', path: '/main' },
  /** As `main`, plus the `?X-Plex-Token=` source. */
  query: { auth: 'query', path: '/query' },
  /** `env.keys`, with `jwks.cooldown: 0`: every unknown kid refetches, so key set changes show at once. */
  keys: { auth: 'keys', path: '/keys' },
  /** `main` behind a guard whose predicate throws: the bare 500 path, which logs. */
  throws: { auth: 'main', path: '/main/throws' },
} as const

export type SharedRoute = keyof typeof SHARED_ROUTES

export interface RecordedEvent {
  /** The framework whose verifier emitted it. */
  framework: string
  /** The route (configuration) whose verifier emitted it. */
  route: string
  event: PlexAuthEvent
}

/** The world a row runs in. The clock is faked (`Date` only) and frozen until `advance`. */
export interface Env {
  /** The genuine plex.tv of the `main` and `query` routes. */
  plex: FakePlex
  /** The plex.tv of the `keys` route. Rows that change it restore it in `teardown`. */
  keys: FakePlex
  /** The row's own plex.tv (rows with `ownPlex`); throws otherwise. */
  readonly own: FakePlex
  /** Moves the faked clock forward. */
  advance(seconds: number): void
  /** Every verifier event so far. */
  events: readonly RecordedEvent[]
  /** The events of the current row's route so far. */
  rowEvents(): readonly RecordedEvent[]
  /** How many frameworks each request goes to. */
  frameworks: number
  /** Resolves once `condition` holds (polls between turns of the event loop); fails after `limitMs`. */
  until(condition: () => boolean, limitMs?: number): Promise<void>
}

/** A request of a row, sent to the row's route. */
export interface Req {
  method?: string
  headers?: readonly (readonly [string, string])[]
  /** Query string, without `?`. */
  query?: string
  /** Header lines written as they are on a raw socket (for bytes Node's client refuses to send). */
  rawHeaderLines?: readonly string[]
  /** The loopback address the request comes from (e.g. `127.0.0.2`): the client address the app sees. */
  from?: string
}

export interface Expect {
  status: number
  /** The `code` of the JSON error body; absent for a success or an answer Node gives by itself. */
  code?: PlexAuthErrorCode | 'INTERNAL_ERROR'
  /** For a 200: the user id the handler saw. Default `DEFAULT_USER.id`. */
  user?: number
  /** For a 200: how the identity was established. Default `'jwt'`. */
  kind?: 'jwt' | 'legacy'

  retryAfter?: string
  /** The HTTP server refused the request (431, 400 from Node's parser): no adapter ran, no challenge expected. */
  byNode?: boolean
}

export interface Phase {
  /** Runs once, before this phase's requests go to any framework. */
  before?: (env: Env) => void | Promise<void>
  /** Built once per phase; a list is sent concurrently, to each framework in turn. */
  send: (env: Env) => Req | readonly Req[]
  expect: Expect
}

export interface Row {
  group: Group
  name: string
  /** A shared route (default `main`), or options for a route of the row's own, with a fresh verifier per framework. */
  route?: SharedRoute | ((env: Env) => PlexAuthOptions)
  /** A plex.tv of the row's own (`env.own`), started before the suite. */
  ownPlex?: true
  /** Runs once, before the row's first phase. */
  setup?: (env: Env) => void | Promise<void>
  /** One phase: shorthand for `phases: [{ send, expect }]`. */
  send?: Phase['send']
  expect?: Expect
  phases?: readonly Phase[]
  /** Runs once after the row, even when it failed: restores shared state. */
  teardown?: (env: Env) => void | Promise<void>
  /** Extra assertions once every framework has answered. */
  check?: (env: Env, run: RowRun) => void
  /** Strings that no answer and no log line may contain, beyond the tokens the requests carry (called after the phases). */
  secrets?: () => readonly string[]
  /** Send to the frameworks concurrently (rows that wait on timeouts). */
  parallel?: boolean
}

/** What a row did, for `check`. */
export interface RowRun {
  /** Key set requests each fake received during the row (all frameworks together). */
  keyFetches: { plex: number; keys: number; own: number }
  /** Events emitted during the row. */
  events: readonly RecordedEvent[]
  frameworks: number
}

// Request helpers -----------------------------------------------------------------------------------

export const bearer = (token: string, scheme = 'Bearer'): [string, string] => [
  'authorization',
  `${scheme} ${token}`,
]
export const plexToken = (token: string): [string, string] => ['x-plex-token', token]
export const withBearer = (token: string): Req => ({ headers: [bearer(token)] })

// Token helpers -------------------------------------------------------------------------------------

/** base64url of JSON text as given, or of an object serialized. */
export function b64(json: string | object): string {
  return base64url(typeof json === 'string' ? json : JSON.stringify(json))
}

export function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** The header and claims of a genuine token: templates for hand-made ones. */
export function genuineParts(plex: FakePlex): {
  header: Record<string, unknown>
  payload: Record<string, unknown>
} {
  const [header, payload] = plex.issueToken().split('.')
  return { header: decodeSegment(header!), payload: decodeSegment(payload!) }
}

/** JSON text of the genuine payload with `fragment` spliced in after the opening brace. */
export function payloadWith(plex: FakePlex, fragment: string): string {
  return `{${fragment},${JSON.stringify(genuineParts(plex).payload).slice(1)}`
}

/** A genuine token whose claims are replaced by `payload` (signed by the signing key). */
export function signedPayload(plex: FakePlex, payload: object): string {
  return plex.sign(genuineParts(plex).header, payload)
}

/** Signs raw JSON texts with the signing key (or `options.key`), for payloads `JSON.stringify` cannot write. */
export function signedText(
  plex: FakePlex,
  headerText: string,
  payloadText: string,
  signWith?: Ed25519Key,
): string {
  return plex.signRaw(b64(headerText), b64(payloadText), signWith === undefined ? undefined : { signWith })
}

export function segments(token: string): [string, string, string] {
  const [h, p, s] = token.split('.')
  return [h!, p!, s!]
}

/** `token` with its signature replaced by `signature` bytes. */
export function withSignature(token: string, signature: Uint8Array): string {
  const [h, p] = segments(token)
  return `${h}.${p}.${Buffer.from(signature).toString('base64url')}`
}

const L = 2n ** 252n + 27742317777372353535851937790883648493n

/** The same signature with `S + L` in place of `S`: a malleated, non-canonical encoding. */
export function malleate(token: string): string {
  const signature = Buffer.from(segments(token)[2], 'base64url')
  let s = 0n
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!)
  s += L
  for (let i = 32; i < 64; i++) {
    signature[i] = Number(s & 0xffn)
    s >>= 8n
  }
  return withSignature(token, signature)
}

/** The last character of a segment with its unused low bits set: same bytes, another spelling. */
export function lenientLastChar(segment: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const last = alphabet.indexOf(segment.at(-1)!)
  const unused = segment.length % 4 === 2 ? 4 : segment.length % 4 === 3 ? 2 : 0
  if (unused === 0) throw new Error('segment has no unused bits')
  return segment.slice(0, -1) + alphabet[last | ((1 << unused) - 1)]
}

/** Signs `${header}.${payload}` with another algorithm and key, for algorithm-confusion tokens. */
export function signOther(alg: 'RS256' | 'ES256', header: object, payload: object): string {
  const input = `${b64(header)}.${b64(payload)}`
  let key: KeyObject
  let signature: Buffer
  if (alg === 'RS256') {
    key = fixedKeyPair('rsa2048').privateKey
    signature = sign('sha256', Buffer.from(input), key)
  } else {
    key = fixedKeyPair('ecP256').privateKey
    signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  }
  return `${input}.${signature.toString('base64url')}`
}

/** Every string worth looking for in answers and logs: the token values a request carries and their parts. */
export function secretsOf(req: Req, extra: readonly string[] = []): string[] {
  const values: string[] = []
  for (const [name, value] of req.headers ?? []) {
    if (name.toLowerCase() === 'authorization') values.push(value.replace(/^\S+\s+/, ''))
    else if (name.toLowerCase() === 'x-plex-token') values.push(value)
  }
  for (const line of req.rawHeaderLines ?? []) values.push(line.replace(/^[^:]*:\s*/, ''))
  if (req.query !== undefined) {
    for (const [, value] of new URLSearchParams(req.query)) values.push(value)
  }
  const found = new Set<string>()
  for (const value of [...values, ...extra]) {
    if (value.length >= 16) found.add(value)
    for (const part of value.split('.')) if (part.length >= 16) found.add(part)
  }
  return [...found]
}

// Expected answers ------------------------------------------------------------------------------------

export const OK: Expect = { status: 200 }
export const MISSING: Expect = { status: 401, code: 'TOKEN_MISSING' }
export const MALFORMED: Expect = { status: 401, code: 'TOKEN_MALFORMED' }
export const UNSUPPORTED: Expect = { status: 401, code: 'TOKEN_UNSUPPORTED' }
export const BAD_SIGNATURE: Expect = { status: 401, code: 'TOKEN_SIGNATURE_INVALID' }
export const KEY_UNKNOWN: Expect = { status: 401, code: 'TOKEN_KEY_UNKNOWN' }
export const CLAIMS_INVALID: Expect = { status: 401, code: 'TOKEN_CLAIMS_INVALID' }
export const EXPIRED: Expect = { status: 401, code: 'TOKEN_EXPIRED' }
export const NOT_YET_VALID: Expect = { status: 401, code: 'TOKEN_NOT_YET_VALID' }
export const BAD_REQUEST: Expect = { status: 400, code: 'REQUEST_INVALID' }
export const UNAVAILABLE: Expect = { status: 503, code: 'KEYS_UNAVAILABLE', retryAfter: '1' }
