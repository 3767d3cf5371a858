import type { FakePlex } from '@plexauth/testing'
import { XMLParser } from 'fast-xml-parser'

/** The origins a client hard-codes for plex.tv: requests to them go to the fake instead (the base URL change). */
const PLEX_ORIGINS = ['https://plex.tv', 'https://clients.plex.tv']

/**
 * Points every `fetch` of this process at `plex` for plex.tv's origins, leaving other URLs alone: the
 * only change a third-party client whose base URL is a constant needs. Returns the undo.
 */
export function routePlexTvTo(plex: FakePlex): () => void {
  const original = globalThis.fetch
  globalThis.fetch = (input, init) => {
    const request = input instanceof Request ? input : undefined
    const url = new URL(request?.url ?? String(input))
    if (PLEX_ORIGINS.includes(url.origin)) {
      const target = `${plex.url}${url.pathname}${url.search}`
      return original(request === undefined ? target : new Request(target, request), init)
    }
    return original(input, init)
  }
  return () => {
    globalThis.fetch = original
  }
}

/** What the sign-in page's Allow sends: the code and client identifier from the auth URL's fragment, and the chosen account. */
export async function allowAsPage(plex: FakePlex, authUrl: string, accountId: number): Promise<number> {
  const fragment = new URLSearchParams(new URL(authUrl).hash.replace(/^#!?\??/, ''))
  const response = await fetch(`${plex.controlUrl}/pins/approve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      code: fragment.get('code'),
      clientIdentifier: fragment.get('clientID'),
      accountId,
    }),
  })
  return response.status
}

/** An XML reader that is not the project's: plex.tv's XML as any client library would see it. */
export const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  isArray: (name) => ['resource', 'connection', 'User', 'Server'].includes(name),
})
