import type { FakePlexState } from './state.js'
import type { PlexTokenUser } from './tokens.js'
import type { XmlElement, XmlValue } from './xml.js'

/** The home an account belongs to (as admin or member), or `undefined`. */
export function homeOf(
  state: FakePlexState,
  accountId: number,
): { adminId: number; members: number[] } | undefined {
  for (const [adminId, members] of state.homes) {
    if (adminId === accountId || members.includes(accountId)) return { adminId, members }
  }
  return undefined
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function thumbOf(account: PlexTokenUser): string {
  return `https://plex.tv/users/${account.uuid}/avatar?c=1700000000`
}

/**
 * The scalar fields of `GET /api/v2/user`: JSON members, or attributes of `<user>` in XML. Names and order
 * follow plex.tv's XML as python-plexapi's test payload records it.
 */
function userFields(
  state: FakePlexState,
  account: PlexTokenUser,
  authToken: string,
): Record<string, XmlValue> {
  const home = homeOf(state, account.id)
  return {
    id: account.id,
    uuid: account.uuid,
    username: account.username ?? '',
    title: account.username ?? account.friendly_name ?? '',
    email: account.email ?? '',
    friendlyName: account.friendly_name ?? '',
    locale: null,
    confirmed: true,
    joinedAt: account.joinedAt ?? 0,
    emailOnlyAuth: false,
    hasPassword: true,
    protected: false,
    thumb: thumbOf(account),
    authToken,
    mailingListStatus: 'inactive',
    mailingListActive: false,
    scrobbleTypes: '',
    country: 'US',
    subscriptionDescription: null,
    restricted: account.restricted ?? false,
    anonymous: account.anonymous ?? null,
    home: home !== undefined,
    guest: false,
    homeSize: home === undefined ? 1 : home.members.length + 1,
    homeAdmin: home?.adminId === account.id,
    maxHomeSize: 15,
    rememberExpiresAt: Math.floor(Date.now() / 1000) + 14 * 86_400,
    adsConsent: null,
    adsConsentSetAt: null,
    adsConsentReminderAt: null,
    experimentalFeatures: false,
    twoFactorEnabled: false,
    backupCodesCreated: false,
  }
}

const SUBSCRIPTION = {
  active: false,
  subscribedAt: null,
  status: 'Inactive',
  paymentService: null,
  plan: null,
}
const PROFILE = {
  autoSelectAudio: true,
  defaultAudioLanguage: 'en',
  defaultSubtitleLanguage: 'en',
  autoSelectSubtitle: 0,
  defaultSubtitleAccessibility: 0,
  defaultSubtitleForced: 0,
}

/** `GET /api/v2/user` in JSON: flat, with `authToken` (the token of the request) and nested objects. */
export function accountJson(
  state: FakePlexState,
  account: PlexTokenUser,
  authToken: string,
): Record<string, unknown> {
  return {
    ...userFields(state, account, authToken),
    subscription: { ...SUBSCRIPTION, features: [] },
    profile: PROFILE,
    entitlements: [],
    roles: [],
    services: [],
  }
}

/**
 * `GET /api/v2/user` in XML: `<user …>` with `<subscription>`, `<profile>`, `<entitlements>`, `<roles>`,
 * `<subscriptions>` and `<services>` children (python-plexapi reads `subscription` and `profile` without
 * checking they exist, and splits `scrobbleTypes`).
 */
export function accountXml(state: FakePlexState, account: PlexTokenUser, authToken: string): XmlElement {
  return {
    tag: 'user',
    attributes: userFields(state, account, authToken),
    children: [
      { tag: 'subscription', attributes: SUBSCRIPTION, children: [{ tag: 'features' }] },
      { tag: 'profile', attributes: PROFILE },
      { tag: 'entitlements' },
      { tag: 'roles' },
      { tag: 'subscriptions' },
      { tag: 'services' },
    ],
  }
}

/**
 * The legacy account (`/users/account.json`): `{"user":{…}}` with snake_case `joined_at`, both `authToken`
 * and `authentication_token`, `roles: {roles: []}`, as Overseerr, Jellyseerr and Ombi read it.
 */
export function legacyAccountJson(state: FakePlexState, account: PlexTokenUser, authToken: string): unknown {
  const home = homeOf(state, account.id)
  return {
    user: {
      id: account.id,
      uuid: account.uuid,
      email: account.email ?? '',
      joined_at: isoSeconds(account.joinedAt ?? 0),
      username: account.username ?? '',
      title: account.username ?? account.friendly_name ?? '',
      thumb: thumbOf(account),
      hasPassword: true,
      authToken,
      authentication_token: authToken,
      subscription: { active: false, status: 'Inactive', plan: null, features: [] },
      roles: { roles: [] },
      entitlements: [],
      confirmedAt: isoSeconds(account.joinedAt ?? 0),
      forumId: null,
      rememberMe: false,
      restricted: account.restricted ?? false,
      home: home !== undefined,
    },
  }
}

/**
 * The legacy account (`/users/account`) in XML: `<user id email username title thumb authenticationToken
 * authToken …>` (Tautulli, Petio and Organizr read the attributes) with the old child elements
 * (`<username>`, `<email>`, `<joined-at type="datetime">`, `<authentication-token>`).
 */
export function legacyAccountXml(
  state: FakePlexState,
  account: PlexTokenUser,
  authToken: string,
): XmlElement {
  const home = homeOf(state, account.id)
  return {
    tag: 'user',
    attributes: {
      email: account.email ?? '',
      id: account.id,
      uuid: account.uuid,
      thumb: thumbOf(account),
      username: account.username ?? '',
      title: account.username ?? account.friendly_name ?? '',
      cloudSyncDevice: '',
      locale: '',
      authenticationToken: authToken,
      authToken,
      scrobbleTypes: '',
      restricted: account.restricted ?? false,
      home: home !== undefined,
      guest: false,
      queueEmail: '',
      queueUid: '',
      hasPassword: true,
      homeSize: home === undefined ? 1 : home.members.length + 1,
      maxHomeSize: 15,
      certificateVersion: 2,
    },
    children: [
      { tag: 'subscription', attributes: { active: false, status: 'Inactive', plan: '' } },
      { tag: 'roles' },
      { tag: 'entitlements', attributes: { all: false } },
      { tag: 'username', text: account.username ?? '' },
      { tag: 'email', text: account.email ?? '' },
      {
        tag: 'joined-at',
        attributes: { type: 'datetime' },
        text: `${isoSeconds(account.joinedAt ?? 0)
          .replace('T', ' ')
          .replace('Z', '')} UTC`,
      },
      { tag: 'authentication-token', text: authToken },
    ],
  }
}

/** One member of `/api/v2/home/users`: a managed user has no username or email (`null`). */
function homeUserFields(state: FakePlexState, accountId: number, adminId: number): Record<string, XmlValue> {
  const account = state.accounts.get(accountId)
  const managed = account?.username === undefined
  return {
    id: accountId,
    uuid: account?.uuid ?? '',
    title: account?.username ?? account?.friendly_name ?? '',
    username: account?.username ?? null,
    email: account?.email ?? null,
    friendlyName: account?.friendly_name ?? null,
    thumb: account === undefined ? '' : thumbOf(account),
    hasPassword: !managed,
    restricted: account?.restricted ?? false,
    updatedAt: 1_700_000_000,
    restrictionProfile: account?.restricted === true ? 'little_kid' : null,
    admin: accountId === adminId,
    guest: false,
    protected: false,
  }
}

/** `GET /api/v2/home/users` of an account's home (a home of one when it has none): JSON and XML. */
export function homeUsers(state: FakePlexState, accountId: number): { json: unknown; xml: XmlElement } {
  const home = homeOf(state, accountId) ?? { adminId: accountId, members: [] }
  const admin = state.accounts.get(home.adminId)
  const head = {
    id: home.adminId,
    name: `${admin?.username ?? 'Plex'}'s home`,
    guestUserID: null,
    guestUserUUID: null,
    guestEnabled: false,
    subscription: false,
  }
  const users = [home.adminId, ...home.members].map((id) => homeUserFields(state, id, home.adminId))
  return {
    json: { ...head, users },
    xml: {
      tag: 'home',
      attributes: head,
      children: [{ tag: 'users', children: users.map((attributes) => ({ tag: 'user', attributes })) }],
    },
  }
}
