import { signJwt } from './jwt.js'
import type { FakePlexState } from './state.js'
import { type IssueTokenOptions, type PlexTokenUser, plexClaims, plexHeader } from './tokens.js'

/** A Plex JWT for `account` (default: the fake's default account), signed as `options` say. */
export function issueToken(
  state: FakePlexState,
  options: IssueTokenOptions = {},
  account: PlexTokenUser = state.account,
): string {
  const kid = options.kid ?? state.keyRing.signingKey.kid
  const key = options.signWith ?? state.keyRing.get(kid)
  return signJwt(plexHeader(kid, options.header), plexClaims(account, options), key)
}
