import { describe, expect, test } from 'vitest'
import { logSerializers } from '../src/index.js'

describe('logSerializers.req', () => {
  test('writes Fastify’s request fields, the URL redacted', () => {
    const line = logSerializers.req({
      method: 'GET',
      url: '/library?X-Plex-Token=abcdefghijklmnopqrst&x=1',
      headers: { 'accept-version': '2' },
      host: 'app.example',
      ip: '10.0.0.7',
      socket: { remotePort: 50123 },
    })
    expect(line).toEqual({
      method: 'GET',
      url: '/library?X-Plex-Token=[REDACTED]&x=1',
      version: '2',
      host: 'app.example',
      remoteAddress: '10.0.0.7',
      remotePort: 50123,
    })
  })

  test('Fastify 4’s hostname stands in for host', () => {
    expect(logSerializers.req({ hostname: 'old.example' })).toEqual({ host: 'old.example' })
  })

  test('leaves out what the request lacks, rather than writing undefined', () => {
    expect(logSerializers.req({})).toEqual({})
    expect(logSerializers.req({ socket: null, headers: {} })).toEqual({})
    expect(Object.keys(logSerializers.req({ method: 'GET' }))).toEqual(['method'])
  })
})
