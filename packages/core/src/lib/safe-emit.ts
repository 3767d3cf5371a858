import type { PlexAuthEvent } from './event-types.js'

/**
 * Wraps an `onEvent` listener so that it can never break what reports to it: an error it throws is
 * ignored, and so is a promise it returns that rejects (unhandled, the rejection would end the process by
 * default). Without a listener, events go nowhere. Every package's events go through it (core's, the Redis
 * store's).
 *
 * @example
 * ```ts
 * declare const options: PlexVerifierOptions
 * const emit = safeEmitter(options.onEvent)
 * emit({ type: 'keys_stale', age: 700 })
 * ```
 */
export function safeEmitter<E = PlexAuthEvent>(
  onEvent: ((event: E) => void) | undefined,
): (event: E) => void {
  return (event) => {
    if (onEvent === undefined) return
    try {
      const result: unknown = onEvent(event)
      if (result instanceof Promise) result.catch(() => {})
    } catch {
      // Listeners must not break verification or an access check.
    }
  }
}
