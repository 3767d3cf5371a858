import { verify as verifySignature } from 'node:crypto'
import { buildIdentity, type ClaimRules } from '../jwt/build-identity.js'
import type { PlexIdentity, PlexJwtIdentity } from '../jwt/identity-types.js'
import { decodeJsonObject, parseToken } from '../jwt/parse-token.js'
import { TokenCache, type TokenCacheEntry } from '../jwt/token-cache.js'
import { KeySetCache } from '../keys/key-set-cache.js'
import { createMemoryCacheStore, SafeStore } from '../lib/cache-store.js'
import { isPlexAuthError, PlexAuthError, type PlexAuthErrorCode } from '../lib/errors.js'
import type { PlexAuthEvent } from '../lib/event-types.js'
import { safeEmitter } from '../lib/safe-emit.js'
import { TokenBucket } from '../lib/token-bucket.js'
import { isLegacyToken, LegacyTokenVerifier } from '../plex-tv/legacy-tokens.js'
import { PlexTvClient } from '../plex-tv/plex-tv.js'
import { resolveOptions } from './resolve-options.js'
import type { PlexVerifier, PlexVerifierOptions, PlexVerifierStats } from './verifier-types.js'

/** The synchronous answers for a token verified before: its identity, or `undefined` when `verify` must decide. */
export interface Peek {
  /** For a token, as `verify` is given it. */
  token(token: unknown): PlexIdentity | undefined
  /** For a whole `Authorization` value, `Bearer <token>` (the scheme in any case, one space). */
  bearer(header: string): PlexIdentity | undefined
}

// Internal, not on `PlexVerifier`: only a verifier built here answers `peek` exactly as its `verify` would.
// Kept beside the object rather than on it, so a wrapper such as `{ ...verifier, verify: withRevocationCheck }`
// has no peek to bypass its own `verify` with.
const peeks = new WeakMap<PlexVerifier, Peek>()

/** The peek of a verifier built by `createPlexVerifier`; `undefined` for any other verifier. */
export function peekOf(verifier: PlexVerifier): Peek | undefined {
  return peeks.get(verifier)
}

/** The code of the process warning a verifier built without `clientIdentifier` emits. */
const AUDIENCE_UNCHECKED_WARNING = 'PLEXAUTH_AUDIENCE_UNCHECKED'

/**
 * Says, once per verifier, that it was built without `clientIdentifier` and so refuses every token issued to
 * an app: as an `audience_unchecked` event when the app listens to events, else as a process warning
 * (printed by Node unless the app handles warnings).
 */
function warnAudienceUnchecked(emit: ((event: PlexAuthEvent) => void) | undefined): void {
  if (emit !== undefined) {
    emit({ type: 'audience_unchecked' })
    return
  }
  process.emitWarning(
    'plexauth: a verifier was built without clientIdentifier, so it refuses every token Plex issued to an app ' +
      "(TOKEN_CLAIMS_INVALID). Set clientIdentifier to your app's client identifier, or acceptAnyAudience: true " +
      'to accept tokens issued to any Plex app.',
    { type: 'PlexAuthWarning', code: AUDIENCE_UNCHECKED_WARNING },
  )
}

/**
 * The listener of an app that handles no events: an outage of Plex's key endpoint (requests that need a
 * key answer 503) must not go unnoticed, so it is reported once with `console.warn`, and again only after
 * the keys were fetched once more.
 */
function warnOnKeyOutage(): (event: PlexAuthEvent) => void {
  let warned = false
  return (event) => {
    if (event.type === 'keys_fetched') warned = false
    if (event.type !== 'keys_fetch_failed' || warned) return
    warned = true
    console.warn(
      `plexauth: Plex's keys could not be fetched from ${event.url} (${event.reason}); tokens signed by a key not cached answer 503 until they can. Pass onEvent to handle this yourself.`,
    )
  }
}

/**
 * Builds a verifier for Plex JWTs: validates the options (throwing `TypeError`), and sets up the key
 * cache and the verified-token cache shared by every `verify` call. With `legacyTokens: true` it also
 * accepts legacy (opaque) tokens, asking plex.tv's `/api/v2/user` (cached, single-flight, rate-limited);
 * tokens with a dot always take the JWT path.
 *
 * @example
 * ```ts
 * import { createPlexVerifier } from '@plexauth/core'
 *
 * const verifier = createPlexVerifier({ clientIdentifier: 'my-app' })
 * await verifier.ready()                       // optional warm-up
 * const identity = await verifier.verify(token) // or throws PlexAuthError
 * console.log(identity.user.username, identity.scopes)
 *
 * const both = createPlexVerifier({ clientIdentifier: 'my-app', legacyTokens: true })
 * const legacy = await both.verify('2ffLuB84dqLswk9skLos') // kind: 'legacy', or TOKEN_INVALID / PLEX_UNAVAILABLE
 * ```
 */
export function createPlexVerifier(options: PlexVerifierOptions = {}): PlexVerifier {
  const config = resolveOptions(options)
  const emit = safeEmitter(config.onEvent ?? warnOnKeyOutage())
  if (config.audienceUnchecked) warnAudienceUnchecked(config.onEvent === undefined ? undefined : emit)
  const keys = new KeySetCache({
    url: config.jwksUrl,
    staticKeys: config.staticKeys,
    ...config.jwks,
    fetch: config.fetch,
    keyStore: config.keyStore,
    emit,
  })
  const rules: ClaimRules = {
    issuer: config.issuer,
    clientIdentifiers: config.clientIdentifiers,
    anyAudience: !config.audienceUnchecked,
    clockToleranceMs: config.clockToleranceMs,
    maxTokenLifetimeMs: config.maxTokenLifetimeMs,
  }
  const toleranceMs = config.clockToleranceMs
  const tokens = new TokenCache(config.tokenCacheSize)
  const counters = { verified: 0, cacheHits: 0 }
  const rejected: Partial<Record<PlexAuthErrorCode, number>> = {}
  const legacyConfig = config.legacy
  const legacy =
    legacyConfig === undefined
      ? undefined
      : new LegacyTokenVerifier({
          client: new PlexTvClient({
            baseUrl: legacyConfig.plexTvUrl,
            fetch: config.fetch,
            timeoutMs: legacyConfig.timeoutMs,
            emit,
          }),
          clientIdentifier: legacyConfig.clientIdentifier,
          ttlMs: legacyConfig.ttlMs,
          negativeTtlMs: legacyConfig.negativeTtlMs,
          bucket: new TokenBucket(legacyConfig.lookupsPerSecond),
          perClient: legacyConfig.lookupsPerClient,
          budget: legacyConfig.budget,
          store: new SafeStore(legacyConfig.cache ?? createMemoryCacheStore(), (operation) =>
            emit({ type: 'cache_store_failed', operation }),
          ),
        })

  function reject(err: unknown): never {
    const error = isPlexAuthError(err) ? err : new PlexAuthError('TOKEN_MALFORMED', { cause: err })
    rejected[error.code] = (rejected[error.code] ?? 0) + 1
    if (config.rejectionEvents) {
      emit(
        error.check === undefined
          ? { type: 'token_rejected', code: error.code }
          : { type: 'token_rejected', code: error.code, check: error.check },
      )
    }
    throw error
  }

  async function verifyUncached(token: string): Promise<PlexJwtIdentity> {
    const parsed = parseToken(token)
    const key = keys.peek(parsed.kid, Date.now()) ?? (await keys.resolve(parsed.kid))
    if (!verifySignature(null, parsed.signingInput, key, parsed.signature)) {
      throw new PlexAuthError('TOKEN_SIGNATURE_INVALID')
    }
    const payload = decodeJsonObject(parsed.payloadSegment)
    const identity = buildIdentity(payload, token, rules, Date.now())
    tokens.set(token, { identity, kid: parsed.kid, key })
    return identity
  }

  // Whether a cached token is still unexpired and its key still published (counted as verified if so).
  function usable(hit: TokenCacheEntry): boolean {
    const now = Date.now()
    if (now - toleranceMs < hit.identity.expiresAt * 1000 && keys.peek(hit.kid, now) === hit.key) {
      counters.cacheHits++
      counters.verified++
      return true
    }
    return false
  }

  // A token verified before and still usable; undefined otherwise (and an unusable entry is forgotten).
  const peek: Peek = {
    token(token) {
      if (typeof token !== 'string') return undefined
      const hit = tokens.get(token)
      if (hit === undefined) return undefined
      if (usable(hit)) return hit.identity
      tokens.delete(token)
      return undefined
    },
    bearer(header) {
      const hit = tokens.getBearer(header)
      if (hit === undefined) return undefined
      if (usable(hit)) return hit.identity
      tokens.delete(header.slice(7))
      return undefined
    },
  }

  const verifier: PlexVerifier = {
    async verify(token: unknown, context?: { readonly client?: string }): Promise<PlexIdentity> {
      const known = peek.token(token)
      if (known !== undefined) return known
      try {
        // Only a token without a dot that looks like a legacy token leaves the JWT path, and only when asked.
        const identity =
          legacy !== undefined && typeof token === 'string' && isLegacyToken(token)
            ? await legacy.verify(token, context)
            : await verifyUncached(token as string)
        counters.verified++
        return identity
      } catch (err) {
        return reject(err)
      }
    },
    async ready(): Promise<void> {
      await keys.ready()
    },
    stats(): PlexVerifierStats {
      return {
        verified: counters.verified,
        cacheHits: counters.cacheHits + (legacy?.cacheHits ?? 0),
        rejected: { ...rejected },
        keyFetches: keys.fetches,
        keyFetchFailures: keys.fetchFailures,
        legacyLookups: legacy?.lookups ?? 0,
      }
    },
  }
  peeks.set(verifier, peek)
  return verifier
}
