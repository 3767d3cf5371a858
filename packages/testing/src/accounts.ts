import { randomBytes, randomInt } from 'node:crypto'
import { mergeDefined } from './merge.js'
import type { FakePlexState } from './state.js'
import type { PlexTokenUser } from './tokens.js'

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * An account of the fake: the fields named in `user` over the existing account with that id, or over a new
 * account (next free id, random uuid) when the id is unknown or not given. Stored, and returned.
 */
export function upsertAccount(
  state: FakePlexState,
  user: { [K in keyof PlexTokenUser]?: PlexTokenUser[K] | undefined } = {},
): PlexTokenUser {
  const id = user.id ?? Math.max(0, ...state.accounts.keys()) + 1
  const base = state.accounts.get(id) ?? {
    id,
    uuid: randomBytes(8).toString('hex'),
    username: `plexuser${id}`,
    email: `plexuser${id}@example.com`,
    friendly_name: `Plex User ${id}`,
    restricted: false,
    anonymous: false,
    joinedAt: 1_500_000_000,
  }
  const account = mergeDefined(base, user)
  state.accounts.set(id, account)
  return account
}

/** The account with that id; throws for an unknown one, so a test typo fails loudly. */
export function accountById(state: FakePlexState, id: number): PlexTokenUser {
  const account = state.accounts.get(id)
  if (account === undefined) throw new Error(`FakePlex: no account with id ${id}`)
  return account
}

/** 20 random characters, like a legacy token (`2ffLuB84dqLswk9skLos`). */
export function randomToken(): string {
  let token = ''
  for (let i = 0; i < 20; i++) token += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)]
  return token
}

/** A new legacy token of an existing account. */
export function createLegacyToken(state: FakePlexState, accountId: number): string {
  accountById(state, accountId)
  const token = randomToken()
  state.legacyTokens.set(token, { accountId, retired: false })
  return token
}

/** The flat account JSON of `GET /api/v2/user` (camelCase `friendlyName`, unlike the token). */
export function accountJson(account: PlexTokenUser): Record<string, unknown> {
  return {
    id: account.id,
    uuid: account.uuid,
    username: account.username ?? '',
    title: account.username ?? '',
    email: account.email ?? '',
    friendlyName: account.friendly_name ?? '',
    locale: null,
    confirmed: true,
    joinedAt: account.joinedAt ?? 0,
    emailOnlyAuth: false,
    hasPassword: true,
    protected: false,
    thumb: `https://plex.tv/users/${account.uuid}/avatar`,
    restricted: account.restricted ?? false,
    anonymous: account.anonymous ?? false,
    home: false,
    guest: false,
    homeSize: 1,
    homeAdmin: false,
    maxHomeSize: 15,
    subscription: { active: false, subscribedAt: null, status: 'Inactive', paymentService: null, plan: null },
  }
}
