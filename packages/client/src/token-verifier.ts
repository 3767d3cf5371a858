import { createPlexVerifier, isPlexAuthError, type PlexJwtIdentity, type PlexVerifier } from '@plexauth/core'
import { JWKS_LIMITS } from '@plexauth/core/plex-tv'
import { PlexClientError } from './errors.js'
import type { ResolvedClientOptions } from './resolve-options.js'
import type { DeviceState } from './state-keeper.js'

/**
 * Verifies a token for a device: against Plex's keys (issuer, audience containing the client identifier,
 * expiry), then that its `thumbprint` is the device's kid. Rejects with `TOKEN_INVALID`,
 * `THUMBPRINT_MISMATCH` or `KEYS_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * declare const config: Parameters<typeof createTokenVerifier>[0] // the resolved options
 * declare const state: Parameters<VerifyToken>[0] // a state holding a device key
 * const verify: VerifyToken = createTokenVerifier(config)
 * const { expiresAt } = await verify(state, token)
 * ```
 */
export type VerifyToken = (state: DeviceState, token: string) => Promise<PlexJwtIdentity>

/**
 * Builds the token check of one client. The verifier (and its key set cache) is built once per client
 * identifier and kept.
 *
 * @example
 * ```ts
 * declare const config: Parameters<typeof createTokenVerifier>[0]
 * const verify = createTokenVerifier(config)
 * ```
 */
export function createTokenVerifier(config: ResolvedClientOptions): VerifyToken {
  const { http } = config
  let cached: { clientIdentifier: string; verifier: PlexVerifier } | undefined

  function verifierFor(clientIdentifier: string): PlexVerifier {
    if (cached?.clientIdentifier !== clientIdentifier) {
      cached = {
        clientIdentifier,
        verifier: createPlexVerifier({
          jwksUrl: `${config.clientsBaseUrl}/api/v2/auth/keys`,
          clientIdentifier,
          fetch: http.fetch,
          jwks: {
            timeout: Math.min(JWKS_LIMITS.maxTimeoutSeconds, http.timeoutMs / 1000),
            // maxResponseBytes goes up to 64 MiB, beyond what the verifier takes.
            maxBytes: Math.min(JWKS_LIMITS.maxBytes, Math.max(JWKS_LIMITS.minBytes, http.maxBytes)),
          },
        }),
      }
    }
    return cached.verifier
  }

  return async (state, token) => {
    let identity: Awaited<ReturnType<PlexVerifier['verify']>>
    try {
      identity = await verifierFor(state.clientIdentifier).verify(token)
    } catch (err) {
      // Anything else (e.g. a TypeError of a bug) is not a verdict on the token: it surfaces as it is.
      if (!isPlexAuthError(err)) throw err
      if (err.code === 'KEYS_UNAVAILABLE') throw new PlexClientError('KEYS_UNAVAILABLE', { cause: err })
      throw new PlexClientError('TOKEN_INVALID', { cause: err })
    }
    // The client's verifier never enables legacy tokens: its identities are always Plex JWTs.
    if (identity.kind !== 'jwt' || identity.thumbprint !== state.device.kid) {
      throw new PlexClientError('THUMBPRINT_MISMATCH')
    }
    return identity
  }
}
