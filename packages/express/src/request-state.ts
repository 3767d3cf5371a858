import { IncomingMessage } from 'node:http'
import type { PlexIdentity } from '@plexauth/core'
import { type Authenticator, authenticatorOf, rememberAuthenticator } from '@plexauth/core/adapter'
import type { Request } from 'express'

// Express gives each request its app's prototype (`Object.setPrototypeOf(req, app.request)`), and V8 then
// builds a new hidden class for every property a middleware adds to that `req`: measured, 2 µs a property,
// with slower reads of `req` after it (setting `req.plex` and the authenticator's symbol cost the Express
// row of BENCHMARKS.md 6 % of a request). So plexAuth adds no property to Express's requests: `req.plex` is
// an accessor on Express's own request prototype (the one every app's `app.request` inherits from, so that
// mounted sub-apps see it too), reading what plexAuth keeps for the request in its response's `res.locals`,
// Express's own object for request-scoped values. A `WeakMap` entry keyed by the request cost 3 % more of
// an Express request than `res.locals` (the collector's work on the weak table; BENCHMARKS.md, item 13), and
// is kept only for a request whose `res.locals` cannot hold it.

interface RequestState {
  /** The request the state is of: `res.locals` may be an object several requests share (the app's own). */
  readonly req: object
  identity: PlexIdentity | undefined
}

// A symbol of this module: not a key templates, `Object.keys` or JSON see. Enumerable, so that an app
// replacing `res.locals` with a copy of it (`{ ...res.locals, … }`, `Object.assign`) keeps it.
const STATE = Symbol('plexauth.request')
type Slot = { [STATE]?: RequestState | undefined }
type WithLocals = { res?: { locals?: unknown } | undefined }

const states = new WeakMap<object, RequestState>()

/** The object plexAuth keeps a request's state in: its response's `res.locals`, when that is an object. */
function localsOf(req: object): Slot | undefined {
  const locals = (req as WithLocals).res?.locals
  return typeof locals === 'object' && locals !== null ? (locals as Slot) : undefined
}

/** The request's state: in `res.locals` if the one there is this request's, else in the `WeakMap`. */
function stateOf(req: object): RequestState | undefined {
  const state = localsOf(req)?.[STATE]
  return state !== undefined && state.req === req ? state : states.get(req)
}

/** Keeps a request's state in its `res.locals`, or in the `WeakMap` when `res.locals` refuses it. */
function keep(req: object, state: RequestState): void {
  const slot = localsOf(req)
  if (slot !== undefined) {
    const other = slot[STATE]
    try {
      slot[STATE] = state
      // `res.locals` shared with another request (an object of the app's): that request's state moves to
      // the WeakMap, so that neither request ever reads the other's identity.
      if (other !== undefined && other.req !== req) states.set(other.req, other)
      return
    } catch {
      // A frozen or sealed `res.locals`, or a proxy refusing the write.
    }
  }
  states.set(req, state)
}

const PLEX_ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: object): PlexIdentity | undefined {
    return stateOf(this)?.identity
  },
  set(this: object, identity: PlexIdentity | undefined) {
    const state = stateOf(this)
    if (state === undefined) states.set(this, { req: this, identity })
    else state.identity = identity
  },
}

let lastPrototype: object | undefined

/**
 * Makes `req.plex` an accessor for this request; false when `req` is not an Express request over Node's
 * `IncomingMessage` (a test's hand-made request), or Express's prototype already has a `plex` of someone
 * else's: the request then gets plain properties.
 */
function prepare(req: object): boolean {
  const prototype = Object.getPrototypeOf(req) as object | null
  if (prototype === lastPrototype) return true
  // Express's request prototype sits right above IncomingMessage's; every app's `app.request` inherits it.
  let base = prototype
  while (base !== null && Object.getPrototypeOf(base) !== IncomingMessage.prototype) {
    base = Object.getPrototypeOf(base) as object | null
  }
  if (base === null || prototype === null) return false
  const existing = Object.getOwnPropertyDescriptor(base, 'plex')
  if (existing === undefined) Object.defineProperty(base, 'plex', PLEX_ACCESSOR)
  else if (existing.get !== PLEX_ACCESSOR.get) return false
  lastPrototype = prototype
  return true
}

/** Sets `req.plex` and records which authenticator authenticated the request (for the guards). */
export function rememberIdentity(
  req: Request,
  identity: PlexIdentity | undefined,
  authenticator: Authenticator,
): void {
  // A `plex` of the request's own (set before the accessor existed) hides the accessor: it is kept up to date.
  if (prepare(req) && !Object.hasOwn(req, 'plex')) {
    const state: RequestState = { req, identity }
    rememberAuthenticator(state, authenticator)
    keep(req, state)
  } else {
    rememberAuthenticator(req, authenticator)
    req.plex = identity
  }
}

/** The authenticator `rememberIdentity` recorded for a request (or core's default one). */
export function authenticatorOfRequest(req: Request): Authenticator {
  return authenticatorOf(stateOf(req) ?? req)
}
