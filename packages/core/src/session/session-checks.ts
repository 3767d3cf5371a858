import { PlexAuthError } from '../lib/errors.js'
import type { PlexAuthEvent } from '../lib/event-types.js'
import { ServerAccessChecker } from '../plex-tv/server-access.js'
import { createPlexVerifier } from '../verifier/create-plex-verifier.js'
import type { PlexVerifier } from '../verifier/verifier-types.js'
import type { CheckedAccess, SessionChecks } from './session-manager.js'

/** What the checks of a session need: the verifier of JWTs, and how to reach plex.tv. Durations in ms. */
export interface SessionChecksConfig {
  /** Verifies Plex JWTs locally (its key cache is reused). */
  verifier: PlexVerifier
  /** Verifies legacy tokens through `/api/v2/user` (plexLogin's); when absent, one per client identifier is built on first use. */
  legacyVerifier?: PlexVerifier
  clientIdentifier: string | undefined
  plexTvUrl: string | undefined
  fetch: typeof globalThis.fetch | undefined
  onEvent: ((event: PlexAuthEvent) => void) | undefined
  /**
   * Who owns the server it names: its account id and/or token (the friends list as a second source). Without
   * either, the owner's id sealed in a session decides; without that, the user's own device list grants
   * access only, never ownership.
   */
  owner?: { machineIdentifier: string; token: string | undefined; id: number | undefined } | undefined
  revalidateAfterMs: number
}

/**
 * The checks a session goes through again after `revalidateAfter`: the token (a JWT locally, with its expiry;
 * a legacy token through plex.tv, its answer trusted one second at most) and the access, with an access
 * checker per server whose answers live no longer than `revalidateAfter`, so that a user unshared at any
 * time loses the session within that bound.
 */
export function createSessionChecks(config: SessionChecksConfig): SessionChecks {
  const legacyVerifiers = new Map<string, PlexVerifier>()
  const checkers = new Map<string, ServerAccessChecker>()
  const common = {
    ...(config.plexTvUrl === undefined ? {} : { plexTvUrl: config.plexTvUrl }),
    ...(config.fetch === undefined ? {} : { fetch: config.fetch }),
    ...(config.onEvent === undefined ? {} : { onEvent: config.onEvent }),
  }
  const accessTtl = Math.floor(config.revalidateAfterMs / 1000)
  return {
    verify(kind, token, sealedFor) {
      if (kind === 'jwt') return config.verifier.verify(token)
      if (config.legacyVerifier !== undefined) return config.legacyVerifier.verify(token)
      // plex.tv answers no lookup without a client identifier: plexAuth's own, else (a plexAuth given none,
      // beside a plexLogin in another process) the one plexLogin checked the token for, sealed in the session.
      const clientIdentifier = config.clientIdentifier ?? sealedFor
      // Every legacy session plexauth seals names it; one that does not cannot be checked again, so it ends.
      if (clientIdentifier === undefined) return Promise.reject(new PlexAuthError('TOKEN_UNSUPPORTED'))
      const legacy = kept(legacyVerifiers, clientIdentifier, () =>
        createPlexVerifier({
          ...common,
          clientIdentifier,
          legacyTokens: true,
          legacyTokenTtl: 1,
          legacyTokenNegativeTtl: 0,
        }),
      )
      return legacy.verify(token)
    },
    async access(identity, machineIdentifier, sealedOwnerId): Promise<CheckedAccess> {
      // The owner these checks were configured with wins; else the one the sign-in decided by, sealed in the
      // session (a plexAuth in another process than its plexLogin knows no owner of its own).
      const known = config.owner?.id !== undefined || config.owner?.token !== undefined
      const configured =
        known && config.owner?.machineIdentifier === machineIdentifier ? config.owner : undefined
      const owner =
        configured ?? (sealedOwnerId === undefined ? undefined : { token: undefined, id: sealedOwnerId })
      const key =
        configured === undefined && sealedOwnerId !== undefined
          ? `${machineIdentifier}\n${sealedOwnerId}`
          : machineIdentifier
      const checker = kept(checkers, key, () => {
        return new ServerAccessChecker({
          ...common,
          machineIdentifier,
          ...(config.clientIdentifier === undefined ? {} : { clientIdentifier: config.clientIdentifier }),
          ...(owner?.token === undefined ? {} : { ownerToken: owner.token }),
          ...(owner?.id === undefined ? {} : { ownerId: owner.id }),
          accessTtl,
        })
      })
      const access = await checker.check(identity)
      // Sealed with the session whatever source granted it: an access the owner's friends list granted (the
      // user's own resources unanswered, or not listing the server) was decided without the owner's id, and a
      // session sealed without it is checked later, elsewhere, by the user's own device list.
      const ownerId = await checker.ownerAccountIdFor(identity)
      return ownerId === undefined ? access : { ...access, ownerId }
    },
  }
}

// Sessions name a handful of servers and client identifiers at most (one app, or a few sharing a secret):
// past this many, a new one is built for each use instead of kept, so no set of records grows these maps.
const MAX_KEPT = 16

/** `map`'s value for `key`, made by `make` when absent and kept while the map has room. */
function kept<T>(map: Map<string, T>, key: string, make: () => T): T {
  let value = map.get(key)
  if (value === undefined) {
    value = make()
    if (map.size < MAX_KEPT) map.set(key, value)
  }
  return value
}
