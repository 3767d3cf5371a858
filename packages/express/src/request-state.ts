import { IncomingMessage } from 'node:http'
import type { PlexIdentity } from '@plexauth/core'
import { type Authenticator, authenticatorOf, rememberAuthenticator } from '@plexauth/core/adapter'
import type { Request } from 'express'

// Express gives each request its app's prototype (`Object.setPrototypeOf(req, app.request)`), and V8 then
// builds a new hidden class for every property a middleware adds to that `req`: measured, 2 µs a property,
// with slower reads of `req` after it (setting `req.plex` and the authenticator's symbol cost the Express
// row of BENCHMARKS.md 6 % of a request). So plexAuth adds no property to Express's requests: `req.plex` is
// an accessor on Express's own request prototype (the one every app's `app.request` inherits from, so that
// mounted sub-apps see it too), reading what plexAuth keeps beside the request in a WeakMap.

interface RequestState {
  identity: PlexIdentity | undefined
}

const states = new WeakMap<object, RequestState>()

const PLEX_ACCESSOR: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: object): PlexIdentity | undefined {
    return states.get(this)?.identity
  },
  set(this: object, identity: PlexIdentity | undefined) {
    const state = states.get(this)
    if (state === undefined) states.set(this, { identity })
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
    const state: RequestState = { identity }
    rememberAuthenticator(state, authenticator)
    states.set(req, state)
  } else {
    rememberAuthenticator(req, authenticator)
    req.plex = identity
  }
}

/** The authenticator `rememberIdentity` recorded for a request (or core's default one). */
export function authenticatorOfRequest(req: Request): Authenticator {
  return authenticatorOf(states.get(req) ?? req)
}
