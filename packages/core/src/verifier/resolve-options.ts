import { JWKS_LIMITS } from '../keys/fetch-key-set.js'
import { type ImportedKeySet, importKeySet } from '../keys/import-key-set.js'
import type { KeySetCacheConfig } from '../keys/key-set-cache.js'
import type { JwksCacheOptions, KeyStore } from '../keys/key-set-types.js'
import {
  boolean,
  checkKeys,
  count,
  durationMs,
  fail,
  fetchOption,
  func,
  nonEmptyString,
  number,
  optionNames,
  validateEndpointUrl,
  withMethods,
} from '../lib/options.js'
import type { CacheStore, RateBudget } from '../lib/store-types.js'
import { resolvePlexTvUrl } from '../plex-tv/plex-tv.js'
import type { PlexVerifierOptions } from './verifier-types.js'

/**
 * Where Plex publishes its keys.
 *
 * @example
 * ```ts
 * const verifier = createPlexVerifier({ clientIdentifier: 'my-app', jwksUrl: PLEX_JWKS_URL }) // the default
 * ```
 */
export const PLEX_JWKS_URL = 'https://clients.plex.tv/api/v2/auth/keys'

const DAY = 86_400
const MAX_LIST_LENGTH = 64

/** Options after validation; every duration in milliseconds. */
export interface ResolvedVerifierOptions {
  jwksUrl: string | undefined
  staticKeys: ImportedKeySet | undefined
  clientIdentifiers: readonly string[] | undefined
  /** No `clientIdentifier` and no `acceptAnyAudience: true`: the verifier must warn. */
  audienceUnchecked: boolean
  issuer: string
  clockToleranceMs: number
  maxTokenLifetimeMs: number
  /** The key set cache's settings; `maxAgeMs` undefined: follow the key set's `Cache-Control`. */
  jwks: Pick<
    KeySetCacheConfig,
    'maxAgeMs' | 'cooldownMs' | 'timeoutMs' | 'staleIfErrorMs' | 'maxBytes' | 'maxKeys'
  >
  tokenCacheSize: number
  fetch: typeof globalThis.fetch
  keyStore: KeyStore | undefined
  onEvent: PlexVerifierOptions['onEvent']
  rejectionEvents: boolean
  /** Settings of legacy tokens; `undefined` when `legacyTokens` is off. */
  legacy: ResolvedLegacyOptions | undefined
}

/** Legacy token settings after validation; durations in milliseconds. */
export interface ResolvedLegacyOptions {
  clientIdentifier: string
  ttlMs: number
  negativeTtlMs: number
  lookupsPerSecond: number
  lookupsPerClient: number
  cache: CacheStore | undefined
  budget: RateBudget | undefined
  plexTvUrl: string
  timeoutMs: number
}

/** The option names `createPlexVerifier` accepts; adapters use it to split their own options off. */
export const VERIFIER_OPTION_NAMES = optionNames<PlexVerifierOptions>({
  jwksUrl: true,
  keys: true,
  clientIdentifier: true,
  acceptAnyAudience: true,
  issuer: true,
  clockTolerance: true,
  maxTokenLifetime: true,
  jwks: true,
  tokenCacheSize: true,
  fetch: true,
  keyStore: true,
  onEvent: true,
  rejectionEvents: true,
  legacyTokens: true,
  legacyTokenTtl: true,
  legacyTokenNegativeTtl: true,
  legacyLookupsPerSecond: true,
  legacyLookupsPerClient: true,
  legacyTokenCache: true,
  legacyLookupBudget: true,
  plexTvUrl: true,
  plexTvTimeout: true,
})
const JWKS_OPTION_NAMES = optionNames<JwksCacheOptions>({
  maxAge: true,
  cooldown: true,
  timeout: true,
  staleIfError: true,
  maxBytes: true,
  maxKeys: true,
})

function clientIdentifiers(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_LIST_LENGTH) {
    fail('clientIdentifier must be a string or a non-empty list of strings')
  }
  return Object.freeze(list.map((id) => nonEmptyString('clientIdentifier', id)))
}

function legacyOptions(
  options: PlexVerifierOptions,
  clientIds: readonly string[] | undefined,
): ResolvedLegacyOptions | undefined {
  const enabled = boolean('legacyTokens', options.legacyTokens, false)
  // Validated even when off, so that a typo never waits for the day legacy tokens are turned on.
  const ttlMs = durationMs('legacyTokenTtl', options.legacyTokenTtl, 300, 1, DAY)
  // A "no" is re-checked sooner than a "yes": a token plex.tv has just issued must not stay refused longer.
  const negativeTtlMs = durationMs(
    'legacyTokenNegativeTtl',
    options.legacyTokenNegativeTtl,
    Math.min(30, ttlMs / 1000),
    0,
    DAY,
  )
  if (negativeTtlMs > ttlMs) fail('legacyTokenNegativeTtl must not exceed legacyTokenTtl')
  const lookupsPerSecond = number('legacyLookupsPerSecond', options.legacyLookupsPerSecond, 10, 0.01, 100_000)
  const lookupsPerClient = number('legacyLookupsPerClient', options.legacyLookupsPerClient, 1, 0.01, 100_000)
  const cache = withMethods<CacheStore>('legacyTokenCache', options.legacyTokenCache, ['get', 'set'])
  const budget = withMethods<RateBudget>('legacyLookupBudget', options.legacyLookupBudget, ['take'])
  const plexTvUrl = resolvePlexTvUrl(options.plexTvUrl)
  const timeoutMs = durationMs('plexTvTimeout', options.plexTvTimeout, 5, 0.001, 120)
  if (!enabled) return undefined
  const clientIdentifier = clientIds?.[0]
  if (clientIdentifier === undefined) {
    fail('legacyTokens needs a clientIdentifier (plex.tv refuses lookups without X-Plex-Client-Identifier)')
  }
  return {
    clientIdentifier,
    ttlMs,
    negativeTtlMs,
    lookupsPerSecond,
    lookupsPerClient,
    cache,
    budget,
    plexTvUrl,
    timeoutMs,
  }
}

/**
 * Validates every verifier option once, at construction, throwing `TypeError` on anything
 * misconfigured, so that no request ever meets a bad configuration.
 */
export function resolveOptions(options: PlexVerifierOptions = {}): ResolvedVerifierOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  checkKeys('', options, VERIFIER_OPTION_NAMES)
  const jwks = options.jwks === undefined ? {} : options.jwks
  if (typeof jwks !== 'object' || jwks === null || Array.isArray(jwks)) fail('jwks must be an object')
  checkKeys('jwks.', jwks, JWKS_OPTION_NAMES)
  const maxKeys = count('jwks.maxKeys', jwks.maxKeys, 32, 1, 1000)
  let staticKeys: ImportedKeySet | undefined
  if (options.keys !== undefined) {
    const imported = importKeySet(options.keys, maxKeys)
    if (typeof imported === 'string') fail(`keys is not a usable Ed25519 key set (${imported})`)
    staticKeys = imported
  }
  const jwksUrl =
    options.jwksUrl !== undefined
      ? validateEndpointUrl('jwksUrl', options.jwksUrl)
      : staticKeys === undefined
        ? PLEX_JWKS_URL
        : undefined
  const keyStore = withMethods<KeyStore>('keyStore', options.keyStore, ['load', 'save'])
  const fetchImpl = fetchOption(options.fetch)
  const clientIds = clientIdentifiers(options.clientIdentifier)
  const acceptAnyAudience = boolean('acceptAnyAudience', options.acceptAnyAudience, false)
  if (acceptAnyAudience && clientIds !== undefined) {
    fail(
      'acceptAnyAudience: true and clientIdentifier exclude each other (the audience is checked or it is not)',
    )
  }
  return {
    jwksUrl,
    staticKeys,
    clientIdentifiers: clientIds,
    audienceUnchecked: clientIds === undefined && !acceptAnyAudience,
    issuer: options.issuer === undefined ? 'plex.tv' : nonEmptyString('issuer', options.issuer),
    clockToleranceMs: durationMs('clockTolerance', options.clockTolerance, 60, 0, 300),
    maxTokenLifetimeMs: durationMs('maxTokenLifetime', options.maxTokenLifetime, 7 * DAY, 1, 365 * DAY),
    jwks: {
      maxAgeMs:
        jwks.maxAge === undefined ? undefined : durationMs('jwks.maxAge', jwks.maxAge, 600, 1, 7 * DAY),
      cooldownMs: durationMs('jwks.cooldown', jwks.cooldown, 30, 0, DAY),
      timeoutMs: durationMs('jwks.timeout', jwks.timeout, 5, 0.001, JWKS_LIMITS.maxTimeoutSeconds),
      staleIfErrorMs: durationMs('jwks.staleIfError', jwks.staleIfError, DAY, 0, 30 * DAY),
      maxBytes: count('jwks.maxBytes', jwks.maxBytes, 256 * 1024, JWKS_LIMITS.minBytes, JWKS_LIMITS.maxBytes),
      maxKeys,
    },
    tokenCacheSize: count('tokenCacheSize', options.tokenCacheSize, 10_000, 0, 10_000_000),
    fetch: fetchImpl,
    keyStore,
    onEvent: func('onEvent', options.onEvent),
    rejectionEvents: boolean('rejectionEvents', options.rejectionEvents, false),
    legacy: legacyOptions(options, clientIds),
  }
}
