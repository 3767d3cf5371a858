/**
 * What an operation on Redis was doing when it failed: reading or writing a cached answer, sharing the
 * key set, taking from a budget, or revoking and checking sessions.
 *
 * @example
 * ```ts
 * const critical: RedisOperation[] = ['revocation']
 * ```
 */
export type RedisOperation = 'cache' | 'keys' | 'budget' | 'revocation'

/**
 * Something worth logging, from `createRedisStore`'s `onEvent`. Events never carry a token, a secret, a
 * key name or Redis's own error text (which may quote a URL with a password).
 *
 * - `redis_unavailable`: Redis failed or was too slow; every instance keeps answering from its in-process
 *   state, and Redis is not asked again for `retryIn` seconds (or until the connection is re-established).
 * - `redis_recovered`: Redis answers again; sharing resumes. `downFor` in seconds.
 * - `redis_value_rejected`: a value read back did not carry a valid MAC under the app's secret (written by
 *   someone without the secret, moved from another key, expired, or corrupted). It counts as absent.
 *
 * @example
 * ```ts
 * const store = createRedisStore({
 *   url: 'redis://127.0.0.1:6379',
 *   secret: process.env.PLEXAUTH_SECRET!,
 *   onEvent: (event: RedisStoreEvent) => {
 *     if (event.type === 'redis_value_rejected') console.warn('Redis holds a value plexauth did not write', event)
 *   },
 * })
 * ```
 */
export type RedisStoreEvent =
  | { type: 'redis_unavailable'; operation: RedisOperation; reason: 'timeout' | 'error'; retryIn: number }
  | { type: 'redis_recovered'; downFor: number }
  | { type: 'redis_value_rejected'; operation: RedisOperation }
