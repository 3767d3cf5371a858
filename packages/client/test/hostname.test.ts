import { PLEX_PATHS } from '@plexauth/testing'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { resolveClientOptions } from '../src/resolve-options.js'
import { clientFor, startFake } from './helpers.js'

// The host name is the default X-Plex-Device-Name. node:os is mocked in this file alone, so that the mock
// reaches no other test.
const os = vi.hoisted(() => ({ hostname: 'a-host' }))
vi.mock('node:os', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:os')>()
  return { ...actual, hostname: () => os.hostname }
})

afterEach(() => {
  os.hostname = 'a-host'
})

const deviceName = () => resolveClientOptions({ product: 'Client Test' }).plexHeaders['x-plex-device-name']

describe('the default device name', () => {
  test('is the host name', () => {
    expect(deviceName()).toBe('a-host')
  })

  test("an empty host name (or one of only spaces and unprintable characters) is 'unknown'", () => {
    os.hostname = ''
    expect(deviceName()).toBe('unknown')
    os.hostname = ' \u0007\u00e9 '
    expect(deviceName()).toBe('unknown')
  })

  test("'unknown' is what is sent to plex.tv", async () => {
    os.hostname = ''
    const plex = await startFake()
    await clientFor(plex).startLogin()
    const pins = plex.log.filter((entry) => entry.path === PLEX_PATHS.pins)
    expect(pins.length).toBeGreaterThan(0)
    for (const entry of pins) expect(entry.headers['x-plex-device-name']).toBe('unknown')
  })

  test('a host name of 300 characters is cut to its first 256', () => {
    os.hostname = `${'a'.repeat(256)}${'b'.repeat(44)}`
    expect(deviceName()).toBe('a'.repeat(256))
  })

  test('an explicit deviceName is used as given', () => {
    os.hostname = ''
    expect(resolveClientOptions({ product: 'Client Test', deviceName: 'kiosk' }).plexHeaders).toMatchObject({
      'x-plex-device-name': 'kiosk',
    })
  })
})
