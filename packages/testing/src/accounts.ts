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

/**
 * What `addHomeUser` may set. Every member is optional.
 *
 * @example
 * ```ts
 * const kid = plex.addHomeUser({ title: 'Kid' }) // a managed user: no username, no email
 * const partner = plex.addHomeUser({ managed: false, user: { username: 'partner' } })
 * ```
 */
export interface AddHomeUserOptions {
  /** The home's admin (its home is created on first use). Default the default account. */
  adminId?: number
  /**
   * A managed user: no username, no email, restricted. Default true.
   * @default true
   */
  managed?: boolean
  /** Display name (`friendly_name`, the `title` of a managed user). */
  title?: string
  /** Account fields: an existing account's `id` joins the home; other fields are merged over the account. */
  user?: { [K in keyof PlexTokenUser]?: PlexTokenUser[K] | undefined }
}

/** Adds an account (new, or the one `user.id` names) to the Plex Home of `adminId`; returns the account. */
export function addHomeUser(state: FakePlexState, options: AddHomeUserOptions = {}): PlexTokenUser {
  const adminId = options.adminId ?? state.account.id
  accountById(state, adminId)
  // Refused before the account is written: a refusal leaves the fake as it was (a new account, without an
  // id, is in no home).
  const id = options.user?.id
  if (id !== undefined) {
    if (id === adminId) throw new Error('FakePlex: the admin is already in their home')
    for (const [otherAdmin, members] of state.homes) {
      if (otherAdmin === id || (otherAdmin !== adminId && members.includes(id)))
        throw new Error(`FakePlex: account ${id} is in another home`)
    }
  }
  const managed = options.managed ?? true
  const title = options.title === undefined ? {} : { friendly_name: options.title }
  const fields = managed ? { username: undefined, email: undefined, restricted: true, ...title } : title
  const account = upsertAccount(state, { ...fields, ...options.user })
  const members = state.homes.get(adminId) ?? []
  if (!members.includes(account.id)) members.push(account.id)
  state.homes.set(adminId, members)
  return account
}
