import { afterEach, beforeEach, expect, test } from 'vitest'
import { json } from '../src/responses.js'
import { createRouter, type Route } from '../src/router.js'
import { listen } from '../src/server.js'
import { createState } from '../src/state.js'
import { DEFAULT_USER } from '../src/tokens.js'

const routes: Route[] = [
  {
    method: 'POST',
    path: '/things/:id',
    handle: ({ params, body, query }) =>
      json(201, { id: params.id, body: body.toString(), q: query.get('q') }),
  },
  {
    method: 'GET',
    path: '/broken',
    handle: () => {
      throw new Error('boom')
    },
  },
]

const state = createState({ keyCount: 1, account: DEFAULT_USER, cacheControl: undefined })
let server: Awaited<ReturnType<typeof listen>>
beforeEach(async () => {
  server = await listen(createRouter(routes, state), 0)
})
afterEach(() => {
  state.failures.clear()
  return server.close()
})

test('routes match :params, pass query and body', async () => {
  const response = await fetch(`${server.url}/things/a%20b?q=1`, { method: 'POST', body: 'hello' })
  expect(response.status).toBe(201)
  expect(await response.json()).toEqual({ id: 'a b', body: 'hello', q: '1' })
  expect(state.counters.get('/things/a%20b')).toBe(1)
})

test('a failure set on a route pattern applies to every matching path', async () => {
  state.failures.set('/things/:id', { status: 429 })
  expect((await fetch(`${server.url}/things/1`, { method: 'POST' })).status).toBe(429)
  expect((await fetch(`${server.url}/things/2`, { method: 'POST' })).status).toBe(429)
})

test('a throwing handler answers 500', async () => {
  const response = await fetch(`${server.url}/broken`, { headers: { accept: 'application/json' } })
  expect(response.status).toBe(500)
  expect(await response.json()).toEqual({ errors: [{ code: 500, message: 'Error: boom', status: 500 }] })
})
