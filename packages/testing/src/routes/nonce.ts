import { randomUUID } from 'node:crypto'
import { clientIdentifierOf, missingClientIdentifier } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import { json, plexError } from '../responses.js'
import type { Route } from '../router.js'

/**
 * How long a nonce may be used, in seconds.
 *
 * @example
 * ```ts
 * vi.setSystemTime(Date.now() + (NONCE_LIFETIME + 1) * 1000) // the nonce is stale: 422
 * ```
 */
export const NONCE_LIFETIME = 300

/**
 * `GET /api/v2/auth/nonce`: `{"nonce":"<uuid>"}`, valid 5 minutes and once. Rate-limited per client
 * identifier (`nonceRateLimit`): 429 with `Retry-After` (seconds until the window ends) beyond it.
 */
export const nonceRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.nonce,
  jsonOnly: true,
  handle: (context) => {
    const { state } = context
    const clientIdentifier = clientIdentifierOf(context)
    if (clientIdentifier === undefined) return missingClientIdentifier()
    const now = Date.now()
    const limit = state.nonceRateLimit
    if (limit !== undefined) {
      const windowMs = limit.perSeconds * 1000
      let window = state.nonceWindows.get(clientIdentifier)
      if (window === undefined || now - window.start >= windowMs) {
        window = { start: now, count: 0 }
        state.nonceWindows.set(clientIdentifier, window)
      }
      if (window.count >= limit.requests) {
        const retryAfter = Math.max(1, Math.ceil((window.start + windowMs - now) / 1000))
        const answer = plexError(429, 429, 'Too Many Requests')
        return { ...answer, headers: { ...answer.headers, 'retry-after': String(retryAfter) } }
      }
      window.count++
    }
    for (const [nonce, record] of state.nonces) if (record.expiresAt <= now) state.nonces.delete(nonce)
    const nonce = randomUUID()
    state.nonces.set(nonce, { clientIdentifier, expiresAt: now + NONCE_LIFETIME * 1000 })
    return json(200, { nonce })
  },
}
