import { type ImportedKeySet, importKeySet } from '../keys/import-key-set.js'
import { validateCacheStore } from '../lib/cache-store.js'
import { checkKeys, fail, nonEmptyString, number, validateEndpointUrl } from '../lib/options.js'
import { resolvePlexTvUrl } from '../plex-tv/plex-tv.js'
import type { CacheStore, JwksCacheOptions, PlexVerifierOptions } from '../types.js'

/** Where Plex publishes its keys. */
export const PLEX_JWKS_URL = 'https://clients.plex.tv/api/v2/auth/keys'

const DAY = 86_400
const MAX_LIST_LENGTH = 64

/** Options after validation, durations in seconds unless the name says otherwise. */
export interface ResolvedVerifierOptions {
  jwksUrl: string | undefined
  staticKeys: ImportedKeySet | undefined
  clientIdentifiers: readonly string[] | undefined
  issuer: string
  clockTolerance: number
  maxTokenLifetime: number
  jwks: Required<Omit<JwksCacheOptions, 'maxAge'>> & { maxAge: number | undefined }
  tokenCacheSize: number
  fetch: typeof globalThis.fetch
  keyStore: PlexVerifierOptions['keyStore']
  onEvent: PlexVerifierOptions['onEvent']
  /** Settings of legacy tokens; `undefined` when `legacyTokens` is off. */
  legacy: ResolvedLegacyOptions | undefined
}

/** Legacy token settings after validation; durations in seconds. */
export interface ResolvedLegacyOptions {
  clientIdentifier: string
  ttl: number
  negativeTtl: number
  lookupsPerSecond: number
  cache: CacheStore | undefined
  plexTvUrl: string
  timeout: number
}

const VERIFIER_KEYS = new Set([
  'jwksUrl',
  'keys',
  'clientIdentifier',
  'issuer',
  'clockTolerance',
  'maxTokenLifetime',
  'jwks',
  'tokenCacheSize',
  'fetch',
  'keyStore',
  'onEvent',
  'legacyTokens',
  'legacyTokenTtl',
  'legacyTokenNegativeTtl',
  'legacyLookupsPerSecond',
  'legacyTokenCache',
  'plexTvUrl',
  'plexTvTimeout',
])
const JWKS_KEYS = new Set(['maxAge', 'cooldown', 'timeout', 'staleIfError', 'maxBytes', 'maxKeys'])

/** The option names `createPlexVerifier` accepts; adapters use it to split their own options off. */
export const VERIFIER_OPTION_NAMES: ReadonlySet<string> = VERIFIER_KEYS

function clientIdentifiers(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_LIST_LENGTH) {
    fail('clientIdentifier must be a string or a non-empty list of strings')
  }
  return Object.freeze(list.map((id) => nonEmptyString('clientIdentifier', id)))
}

function func<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') fail(`${name} must be a function`)
  return value
}

function legacyOptions(
  options: PlexVerifierOptions,
  clientIds: readonly string[] | undefined,
): ResolvedLegacyOptions | undefined {
  const enabled = options.legacyTokens
  if (enabled !== undefined && typeof enabled !== 'boolean') fail('legacyTokens must be a boolean')
  // Validated even when off, so that a typo never waits for the day legacy tokens are turned on.
  const ttl = number('legacyTokenTtl', options.legacyTokenTtl, 300, 1, DAY)
  // A "no" is re-checked sooner than a "yes": a token plex.tv has just issued must not stay refused longer.
  const negativeTtl = number(
    'legacyTokenNegativeTtl',
    options.legacyTokenNegativeTtl,
    Math.min(30, ttl),
    0,
    DAY,
  )
  if (negativeTtl > ttl) fail('legacyTokenNegativeTtl must not exceed legacyTokenTtl')
  const lookupsPerSecond = number('legacyLookupsPerSecond', options.legacyLookupsPerSecond, 10, 0.01, 100_000)
  const cache = validateCacheStore('legacyTokenCache', options.legacyTokenCache)
  const plexTvUrl = resolvePlexTvUrl(options.plexTvUrl)
  const timeout = number('plexTvTimeout', options.plexTvTimeout, 5, 0.001, 120)
  if (enabled !== true) return undefined
  const clientIdentifier = clientIds?.[0]
  if (clientIdentifier === undefined) {
    fail('legacyTokens needs a clientIdentifier (plex.tv refuses lookups without X-Plex-Client-Identifier)')
  }
  return { clientIdentifier, ttl, negativeTtl, lookupsPerSecond, cache, plexTvUrl, timeout }
}

/**
 * Validates every verifier option once, at construction, throwing `TypeError` on anything
 * misconfigured, so that no request ever meets a bad configuration.
 */
export function resolveOptions(options: PlexVerifierOptions = {}): ResolvedVerifierOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  checkKeys('', options, VERIFIER_KEYS)
  const jwks = options.jwks === undefined ? {} : options.jwks
  if (typeof jwks !== 'object' || jwks === null || Array.isArray(jwks)) fail('jwks must be an object')
  checkKeys('jwks.', jwks, JWKS_KEYS)
  const maxKeys = number('jwks.maxKeys', jwks.maxKeys, 32, 1, 1000, true)
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
  const keyStore = options.keyStore
  if (
    keyStore !== undefined &&
    (typeof keyStore !== 'object' ||
      keyStore === null ||
      typeof keyStore.load !== 'function' ||
      typeof keyStore.save !== 'function')
  ) {
    fail('keyStore must have load() and save() methods')
  }
  const fetchImpl = func('fetch', options.fetch) ?? globalThis.fetch
  if (typeof fetchImpl !== 'function') fail('no fetch implementation is available')
  const clientIds = clientIdentifiers(options.clientIdentifier)
  return {
    jwksUrl,
    staticKeys,
    clientIdentifiers: clientIds,
    issuer: options.issuer === undefined ? 'plex.tv' : nonEmptyString('issuer', options.issuer),
    clockTolerance: number('clockTolerance', options.clockTolerance, 60, 0, 300),
    maxTokenLifetime: number('maxTokenLifetime', options.maxTokenLifetime, 7 * DAY, 1, 365 * DAY),
    jwks: {
      maxAge: jwks.maxAge === undefined ? undefined : number('jwks.maxAge', jwks.maxAge, 600, 1, 7 * DAY),
      cooldown: number('jwks.cooldown', jwks.cooldown, 30, 0, DAY),
      timeout: number('jwks.timeout', jwks.timeout, 5, 0.001, 120),
      staleIfError: number('jwks.staleIfError', jwks.staleIfError, DAY, 0, 30 * DAY),
      maxBytes: number('jwks.maxBytes', jwks.maxBytes, 256 * 1024, 1024, 16 * 1024 * 1024, true),
      maxKeys,
    },
    tokenCacheSize: number('tokenCacheSize', options.tokenCacheSize, 10_000, 0, 10_000_000, true),
    fetch: fetchImpl,
    keyStore,
    onEvent: func('onEvent', options.onEvent),
    legacy: legacyOptions(options, clientIds),
  }
}
