import {
  checkKeys,
  count,
  durationMs,
  fail,
  optionNames,
  parseUrl,
  secretList,
  withMethods,
} from '../lib/options.js'
import type { SessionRevocationStore } from '../lib/store-types.js'
import type { SessionOptions } from './session-types.js'

const DAY = 86_400
const SESSION_KEYS = optionNames<SessionOptions>({
  secret: true,
  maxAge: true,
  revalidateAfter: true,
  staleIfError: true,
  trustedOrigins: true,
  cacheSize: true,
  revocations: true,
})

/** Session options after validation; durations in milliseconds. */
export interface ResolvedSessionOptions {
  secrets: readonly string[]
  maxAgeMs: number
  revalidateAfterMs: number
  staleIfErrorMs: number
  trustedOrigins: ReadonlySet<string>
  cacheSize: number
  revocations: SessionRevocationStore | undefined
}

/** An origin as browsers send it in `Origin`: `scheme://host[:port]`, lower case. */
export function resolveOrigin(name: string, value: unknown): string {
  const url = parseUrl(name, value)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`${name} must be an http(s) URL`)
  return url.origin.toLowerCase()
}

/** Validates the `session` option once, at construction: `TypeError` for anything misconfigured. */
export function resolveSessionOptions(session: unknown): ResolvedSessionOptions {
  if (typeof session !== 'object' || session === null || Array.isArray(session)) {
    fail('session must be an object: { secret }')
  }
  checkKeys('session.', session, SESSION_KEYS)
  const options = session as SessionOptions
  const trusted = options.trustedOrigins ?? []
  if (!Array.isArray(trusted)) fail('session.trustedOrigins must be a list of origins')
  return {
    secrets: secretList('session.secret', options.secret),
    maxAgeMs: durationMs('session.maxAge', options.maxAge, 7 * DAY, 60, 400 * DAY),
    revalidateAfterMs: durationMs('session.revalidateAfter', options.revalidateAfter, 600, 0, DAY),
    staleIfErrorMs: durationMs('session.staleIfError', options.staleIfError, 3600, 0, 30 * DAY),
    trustedOrigins: new Set(
      trusted.map((origin, i) => resolveOrigin(`session.trustedOrigins[${i}]`, origin)),
    ),
    cacheSize: count('session.cacheSize', options.cacheSize, 10_000, 1, 10_000_000),
    revocations: withMethods<SessionRevocationStore>('session.revocations', options.revocations, [
      'isRevoked',
      'revoke',
    ]),
  }
}
