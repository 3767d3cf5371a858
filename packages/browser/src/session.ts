import { type Answer, baseOf, call, type PlexBrowserOptions, refusal } from './http.js'

/**
 * The signed-in user, as the server's login routes describe it (JSON: never a token). The fields plexauth's
 * server always sends are typed; anything else it adds (`session`, `app`, ...) is there too.
 *
 * @example
 * ```ts
 * const identity: PlexBrowserIdentity | null = await getSession()
 * if (identity) document.title = `Hello ${identity.user.username ?? identity.user.id}`
 * ```
 */
export interface PlexBrowserIdentity {
  user: {
    id: number
    uuid?: string
    username?: string
    email?: string
    friendlyName?: string
    restricted?: boolean
    home?: boolean
    [field: string]: unknown
  }
  /** `'jwt'` or `'legacy'`: the kind of Plex token the server verified. */
  kind?: string
  scopes?: string[]
  /** Whether the user owns the server checked at sign-in, when the server checks one. */
  access?: { owner?: boolean; [field: string]: unknown }
  /** When the user signed in and when the session ends at the latest (seconds since the epoch). */
  session?: { issuedAt: number; expiresAt: number; [field: string]: unknown }
  /** What the app's `onLogin` returned, when it returned an object. */
  app?: unknown
  [field: string]: unknown
}

/** The identity of a `200` answer: `{ identity }` (sign-in) or the identity itself (`/session`). */
export function identityOf<T>(answer: Answer): T {
  const identity = answer.body?.identity ?? answer.body
  // A 200 that is not plexauth's identity (an app's index.html served for every path, a proxy's page) is
  // not a session: NETWORK, with the status.
  if (typeof identity?.user !== 'object' || identity.user === null) throw refusal(answer)
  return identity as T
}

/**
 * Asks the server who is signed in (`GET {basePath}/session`, with the session cookie). Resolves to the
 * identity, or `null` when nobody is; rejects with a `NETWORK` `PlexSignInError` when the server can't say
 * (including a 200 that carries no identity, such as an app's `index.html` served for every path).
 *
 * @example
 * ```ts
 * const identity = await getSession()
 * document.querySelector('#status')!.textContent = identity ? `Signed in as ${identity.user.username}` : 'Not signed in'
 * ```
 */
export async function getSession<T = PlexBrowserIdentity>(
  options: PlexBrowserOptions = {},
): Promise<T | null> {
  const answer = await call(`${baseOf(options)}/session`, 'GET', options.signal)
  if (answer.status === 401) return null
  if (answer.status !== 200) throw refusal(answer)
  return identityOf<T>(answer)
}

/**
 * Signs out (`POST {basePath}/logout`): the server clears its session cookie. Rejects with a `NETWORK`
 * `PlexSignInError` when the server did not confirm.
 *
 * @example
 * ```ts
 * document.querySelector('button#sign-out')!.addEventListener('click', async () => {
 *   await signOut()
 *   location.reload()
 * })
 * ```
 */
export async function signOut(options: PlexBrowserOptions = {}): Promise<void> {
  const answer = await call(`${baseOf(options)}/logout`, 'POST', options.signal)
  if (answer.status >= 300) throw refusal(answer)
}
