import type { PlexAuthEvent } from '@plexauth/core'
import { generateEd25519Key, PLEX_PATHS } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { advance, expectCode, plexVerifier, recordEvents, startPlex, useFakeDate } from './helpers.js'

describe('onEvent', () => {
  test('reports fetches, failures, stale keys and unknown kids, and never a token', async () => {
    useFakeDate()
    const plex = await startPlex({ keyCount: 2, cacheControl: 'max-age=120' })
    const { events, onEvent, next } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent })
    const tokens: string[] = []
    const issue = (options?: Parameters<typeof plex.issueToken>[0]) => {
      const token = plex.issueToken(options)
      tokens.push(token)
      return token
    }

    await verifier.verify(issue())
    expect(events).toEqual([
      { type: 'keys_fetched', url: plex.jwksUrl, keyCount: 2, dropped: 0, maxAge: 120 },
    ])

    const attacker = generateEd25519Key({ kid: 'unknown-kid-1' })
    await expectCode(
      verifier.verify(issue({ kid: undefined, header: { kid: attacker.kid }, signWith: attacker })),
      'TOKEN_KEY_UNKNOWN',
    )
    expect(events.at(-1)).toEqual({ type: 'kid_unknown', kid: 'unknown-kid-1', refetch: false })

    // A kid that is not a plain identifier is not echoed.
    const weird = generateEd25519Key({ kid: 'kid with <script> and "quotes"' })
    await expectCode(
      verifier.verify(issue({ header: { kid: weird.kid }, signWith: weird })),
      'TOKEN_KEY_UNKNOWN',
    )
    expect(events.at(-1)).toEqual({ type: 'kid_unknown', refetch: false })

    plex.fail(PLEX_PATHS.keys, 'down')
    advance(121)
    const failed = next('keys_fetch_failed')
    await verifier.verify(issue())
    expect(await failed).toEqual({
      type: 'keys_fetch_failed',
      url: plex.jwksUrl,
      reason: 'network',
      retryIn: 1,
    })
    expect(events.filter((event) => event.type === 'keys_stale')).toEqual([{ type: 'keys_stale', age: 121 }])

    advance(31)
    const refetching = next('keys_fetch_failed')
    await expectCode(
      verifier.verify(issue({ header: { kid: attacker.kid }, signWith: attacker })),
      'TOKEN_KEY_UNKNOWN',
    )
    expect(events.filter((event) => event.type === 'kid_unknown').at(-1)).toEqual({
      type: 'kid_unknown',
      kid: 'unknown-kid-1',
      refetch: true,
    })
    await refetching

    const serialized = JSON.stringify(events)
    for (const token of tokens) {
      const [, payload, signature] = token.split('.')
      expect(serialized).not.toContain(token)
      expect(serialized).not.toContain(payload)
      expect(serialized).not.toContain(signature)
    }
    expect(new Set(events.map((event) => event.type))).toEqual(
      new Set(['keys_fetched', 'kid_unknown', 'keys_fetch_failed', 'keys_stale']),
    )
  })

  test('kid_unknown names a kid only when it is 1 to 64 base64url characters', async () => {
    const plex = await startPlex()
    const { onEvent, ofType } = recordEvents()
    const verifier = plexVerifier(plex, { onEvent })
    await verifier.ready()
    const kids = ['k'.repeat(64), 'k'.repeat(65), 'header.payload', 'a+b/c=']
    for (const kid of kids) {
      const key = generateEd25519Key({ kid })
      await expectCode(
        verifier.verify(plex.issueToken({ header: { kid }, signWith: key })),
        'TOKEN_KEY_UNKNOWN',
      )
    }
    expect(ofType('kid_unknown').map((event) => event.kid)).toEqual([
      'k'.repeat(64),
      undefined,
      undefined,
      undefined,
    ])
  })

  test('a throwing onEvent does not break verification', async () => {
    useFakeDate()
    const plex = await startPlex()
    let calls = 0
    const onEvent = (_event: PlexAuthEvent) => {
      calls++
      throw new Error('logger exploded')
    }
    const verifier = plexVerifier(plex, { onEvent })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    const stranger = generateEd25519Key()
    await expectCode(
      verifier.verify(plex.issueToken({ header: { kid: stranger.kid }, signWith: stranger })),
      'TOKEN_KEY_UNKNOWN',
    )
    plex.fail(PLEX_PATHS.keys, 'down')
    advance(700)
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(calls).toBeGreaterThanOrEqual(2)
  })

  test('an async onEvent that rejects does not break verification nor leave an unhandled rejection', async () => {
    const plex = await startPlex()
    const unhandled: unknown[] = []
    const listener = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', listener)
    try {
      let calls = 0
      const verifier = plexVerifier(plex, {
        onEvent: async () => {
          calls++
          throw new Error('async logger exploded')
        },
      })
      await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(calls).toBe(1)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', listener)
    }
  })

  test('a slow onEvent is not awaited', async () => {
    const plex = await startPlex()
    let calls = 0
    const verifier = plexVerifier(plex, {
      onEvent: () => {
        calls++
        return new Promise<void>(() => {}) as unknown as undefined
      },
    })
    await expect(verifier.verify(plex.issueToken())).resolves.toMatchObject({ kind: 'jwt' })
    expect(calls).toBe(1)
  })
})
