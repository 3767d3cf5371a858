import type { SessionOptions } from '@plexauth/core'
import { DEFAULT_CLIENT_IDENTIFIER, DEFAULT_USER } from '@plexauth/testing'

/** The audience every verifier in the benchmark requires, and the app the fake issues tokens for. */
export const CLIENT_ID = DEFAULT_CLIENT_IDENTIFIER

/** The user id every valid benchmark token carries; each benchmark checks it came through. */
export const USER_ID = DEFAULT_USER.id

/** Throws (and so fails the run) when a correctness check inside a benchmark does not hold. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`bench: correctness check failed: ${message}`)
}

/**
 * The session cookie settings of the `session` apps (and of the sign-in that made their cookie). Checked
 * again after a day only: the run measures opening the cookie, not plex.tv.
 */
export const SESSION: SessionOptions = {
  secret: 'plexauth-benchmark-secret-of-32-characters',
  revalidateAfter: 86_400,
}
