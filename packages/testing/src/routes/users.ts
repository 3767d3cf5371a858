import { authenticate } from '../authenticate.js'
import { PLEX_PATHS } from '../paths.js'
import { type FakeResponse, negotiated } from '../responses.js'
import type { Route } from '../router.js'
import type { FakePlexState, ServerRecord } from '../state.js'
import type { XmlElement, XmlValue } from '../xml.js'

/** A numeric id for a server, stable per machine identifier (plex.tv's `Server id`/`serverId`). */
function serverId(server: ServerRecord): number {
  let hash = 0
  for (const char of server.machineIdentifier) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000_007
  return hash
}

/** The friends list of `ownerId` as plex.tv's XML: every account a server of theirs is shared with. */
export function friendsElement(state: FakePlexState, ownerId: number): XmlElement {
  const owned = [...state.servers.values()].filter((server) => server.ownerId === ownerId)
  const friends = new Map<number, ServerRecord[]>()
  for (const server of owned) {
    for (const accountId of server.sharedWith)
      friends.set(accountId, [...(friends.get(accountId) ?? []), server])
  }
  const users = [...friends].map(([accountId, servers]): XmlElement => {
    const account = state.accounts.get(accountId)
    return {
      tag: 'User',
      attributes: {
        id: accountId,
        title: account?.username ?? account?.friendly_name,
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
      },
      children: servers.map((server) => ({
        tag: 'Server',
        attributes: {
          id: serverId(server),
          serverId: serverId(server),
          machineIdentifier: server.machineIdentifier,
          name: server.name,
          lastSeenAt: server.createdAt,
          numLibraries: 0,
          allLibraries: true,
          owned: true,
          pending: false,
        },
      })),
    }
  })
  return {
    tag: 'MediaContainer',
    attributes: {
      friendlyName: 'myPlex',
      identifier: 'com.plexapp.plugins.myplex',
      machineIdentifier: 'fake-plex-tv',
      totalSize: users.length,
      size: users.length,
    },
    children: users,
  }
}

/**
 * An XML element as a Plex Media Server style JSON object: attributes as members (`1`/`0` booleans kept
 * as XML has them), child elements grouped by tag into arrays: `{"MediaContainer":{…,"User":[…]}}`.
 */
function containerJson(element: XmlElement): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(element.attributes ?? {})) body[name] = jsonValue(value)
  for (const child of element.children ?? []) {
    const inner = containerJson(child)[child.tag]
    body[child.tag] = [...((body[child.tag] as unknown[] | undefined) ?? []), inner]
  }
  return { [element.tag]: body }
}

function jsonValue(value: XmlValue): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0
  return value ?? ''
}

/**
 * `GET /api/users`: the friends list of the account the token speaks for: a `<User id …>` per account one
 * of its servers is shared with, each with a `<Server machineIdentifier …/>` per such server. plex.tv's
 * XML, or with `Accept: application/json` the same tree as `{"MediaContainer":{…,"User":[{…,"Server":[…]}]}}`.
 * Errors as `/api/v2/user`.
 */
export const usersRoute: Route = {
  method: 'GET',
  path: PLEX_PATHS.users,
  handle: async (context): Promise<FakeResponse> => {
    const auth = await authenticate(context)
    if (!auth.ok) return auth.response
    const element = friendsElement(context.state, auth.account.id)
    return negotiated(200, containerJson(element), element)
  },
}
