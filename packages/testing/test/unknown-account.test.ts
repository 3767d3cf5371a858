import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createFakePlex, type FakePlex, PLEX_PATHS } from '../src/index.js'
import { plexHeaders } from './helpers.js'

let plex: FakePlex
beforeAll(async () => {
  plex = await createFakePlex()
})
afterAll(() => plex.close())

// A valid JWT for an account the fake does not hold (issued with no scopes: it carries only id and uuid):
// the account documents answer from the token's user, with plex.tv's empty values for what it lacks.
describe('account documents for a token whose account the fake does not hold', () => {
  const ID = 770_001
  const token = () => plex.issueToken({ user: { id: ID }, scopes: [] })

  test.each([PLEX_PATHS.user, PLEX_PATHS.legacyAccountJson])('%s as JSON', async (path) => {
    const response = await fetch(`${plex.url}${path}`, { headers: plexHeaders(token()) })
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(text).toContain(`${ID}`)
    const body = JSON.parse(text) as Record<string, unknown>
    const user = (body.user ?? body) as Record<string, unknown>
    expect(user.username).toBe('')
    expect(user.email).toBe('')
  })

  test.each([PLEX_PATHS.user, PLEX_PATHS.legacyAccount, PLEX_PATHS.homeUsers])('%s as XML', async (path) => {
    const { accept: _json, ...headers } = plexHeaders(token())
    const response = await fetch(`${plex.url}${path}`, { headers: { ...headers, accept: 'application/xml' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/xml/)
    const xml = await response.text()
    expect(xml).toContain(`${ID}`)
    expect(xml).toMatch(/username=""/)
  })

  test('home users as JSON: a home of one, named for Plex', async () => {
    const response = await fetch(`${plex.url}${PLEX_PATHS.homeUsers}`, { headers: plexHeaders(token()) })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { name: string; users: { id: number }[] }
    expect(body.name).toBe("Plex's home")
    expect(body.users.map((user) => user.id)).toEqual([ID])
  })
})
