import { authenticate } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import type { FakeResponse } from '../responses.js'
import type { Route } from '../router.js'
import type { FakePlexState, ServerRecord } from '../state.js'

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
}

function attribute(value: string | number | boolean | undefined): string {
  const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value ?? '')
  return text.replace(/[&<>"']/g, (char) => XML_ESCAPES[char]!)
}

function attributes(values: Record<string, string | number | boolean | undefined>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}="${attribute(value)}"`)
    .join(' ')
}

/** A numeric id for a server, stable per machine identifier (plex.tv's `Server id`/`serverId`). */
function serverId(server: ServerRecord): number {
  let hash = 0
  for (const char of server.machineIdentifier) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000_007
  return hash
}

/** The friends list of `ownerId` as plex.tv's XML: every account a server of theirs is shared with. */
export function friendsXml(state: FakePlexState, ownerId: number): string {
  const owned = [...state.servers.values()].filter((server) => server.ownerId === ownerId)
  const friends = new Map<number, ServerRecord[]>()
  for (const server of owned) {
    for (const accountId of server.sharedWith)
      friends.set(accountId, [...(friends.get(accountId) ?? []), server])
  }
  const users = [...friends].map(([accountId, servers]) => {
    const account = state.accounts.get(accountId)
    const user = attributes({
      id: accountId,
      title: account?.username,
      username: account?.username,
      email: account?.email,
      recommendationsPlaylistId: '',
      thumb: `https://plex.tv/users/${account?.uuid ?? ''}/avatar?c=1700000000`,
      protected: false,
      home: false,
      allowTuners: 0,
      allowSync: false,
      allowCameraUpload: false,
      allowChannels: false,
      allowSubtitleAdmin: false,
      filterAll: '',
      filterMovies: '',
      filterMusic: '',
      filterPhotos: '',
      filterTelevision: '',
      restricted: account?.restricted ?? false,
    })
    const rows = servers.map(
      (server) =>
        `    <Server ${attributes({
          id: serverId(server),
          serverId: serverId(server),
          machineIdentifier: server.machineIdentifier,
          name: server.name,
          lastSeenAt: server.createdAt,
          numLibraries: 0,
          allLibraries: true,
          owned: true,
          pending: false,
        })}/>`,
    )
    return `  <User ${user}>\n${rows.join('\n')}\n  </User>`
  })
  const container = attributes({
    friendlyName: 'myPlex',
    identifier: 'com.plexapp.plugins.myplex',
    machineIdentifier: 'fake-plex-tv',
    totalSize: users.length,
    size: users.length,
  })
  return `<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer ${container}>\n${users.join('\n')}${users.length > 0 ? '\n' : ''}</MediaContainer>\n`
}

/**
 * `GET /api/users`: the friends list of the account the token speaks for, as plex.tv's XML (whatever
 * `Accept` says): a `<User id …>` per account one of its servers is shared with, each with a
 * `<Server machineIdentifier …/>` per such server. Errors as `/api/v2/user` (in plex.tv's JSON shape).
 */
export const usersRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.users,
  handle: async (context): Promise<FakeResponse> => {
    const auth = await authenticate(context)
    if (!auth.ok) return auth.response
    return {
      status: 200,
      headers: { 'content-type': 'application/xml; charset=utf-8' },
      body: friendsXml(context.state, auth.account.id),
    }
  },
}
