// The per-request fast paths (a cached bearer token, an opened session cookie) answer exactly what the
// slow paths answer: each shortcut is checked against the code it skips.
import type { KeyObject } from 'node:crypto'
import { createPlexVerifier, extractToken } from '@plexauth/core'
import {
  AUTHENTICATOR_KEY,
  authenticatorOf,
  createAuthenticator,
  createSessionAuthenticator,
  nodeRequest,
  peekRequest,
  rememberAuthenticator,
} from '@plexauth/core/adapter'
import { DEFAULT_CLIENT_IDENTIFIER } from '@plexauth/testing'
import { describe, expect, test } from 'vitest'
import { bearerReader, type TokenRequest, type TokenSource } from '../src/http/extract-token.js'
import type { PlexJwtIdentity } from '../src/jwt/identity-types.js'
import { TokenCache, type TokenCacheEntry } from '../src/jwt/token-cache.js'
import { Lru, ownString, tailKey } from '../src/lib/lru.js'
import { isSecure, readCookie, readHostCookie } from '../src/session/cookies.js'
import { sessionManagerFor } from '../src/session/session-manager.js'
import { expectCode, startPlex } from './helpers.js'

const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXRoYXQtZW5kcy1pbi1yYW5kb20tY2hhcmFjdGVycw'
const ALL: readonly TokenSource[] = ['authorization', 'x-plex-token', 'query']
const DEFAULT: readonly TokenSource[] = ['authorization', 'x-plex-token']

/** The token of the header value the reader built for `sources` answers (it answers the header whole). */
function peekBearer(request: TokenRequest, sources: readonly TokenSource[]): string | undefined {
  return bearerReader(sources)?.(request)?.slice(7)
}

describe('bearerReader: a cached bearer token read without its syntax check', () => {
  test('reads "Bearer <token>" with one space, the scheme in any case, and answers the header whole', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const authorization = `${scheme} ${TOKEN}`
      expect(bearerReader(DEFAULT)?.({ headers: { authorization } })).toBe(authorization)
      expect(peekBearer({ headers: { authorization } }, DEFAULT)).toBe(TOKEN)
    }
  })

  test('is built only when the Authorization header is a token source', () => {
    expect(bearerReader(['x-plex-token'])).toBeUndefined()
    expect(bearerReader(['query', 'x-plex-token'])).toBeUndefined()
    expect(bearerReader(['authorization'])).toBeTypeOf('function')
  })

  test('leaves every other shape to extractToken', () => {
    const headers = (authorization: unknown) => ({ headers: { authorization } as never })
    for (const value of [
      undefined,
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      'Bearer\tabc',
      'Bearerabc',
      'Beare  abc',
      'Token abcdefgh',
      [`Bearer ${TOKEN}`],
    ]) {
      expect(peekBearer(headers(value), DEFAULT), String(value)).toBeUndefined()
    }
    // A rawHeaders value that is no string (no Node request has one) is left to extractToken, not read.
    for (const value of [42, null, [`Bearer ${TOKEN}`]]) {
      expect(
        peekBearer({ headers: {}, rawHeaders: ['authorization', value as never] }, DEFAULT),
      ).toBeUndefined()
    }
  })

  test('leaves the request to extractToken when another source could hold a token', () => {
    const authorization = `Bearer ${TOKEN}`
    // An X-Plex-Token header (equal or not), a query string when the query is a source, a repeated header.
    expect(peekBearer({ headers: { authorization, 'x-plex-token': TOKEN } }, DEFAULT)).toBeUndefined()
    expect(peekBearer({ headers: { authorization }, url: '/me?X-Plex-Token=x' }, ALL)).toBeUndefined()
    expect(peekBearer({ headers: { authorization }, url: '/me?a=1' }, ALL)).toBeUndefined()
    expect(peekBearer({ headers: { authorization } }, ALL)).toBeUndefined()
    expect(peekBearer({ headers: { authorization }, url: '/me' }, ALL)).toBe(TOKEN)
    expect(peekBearer({ headers: { authorization }, url: '/me?a=1' }, DEFAULT)).toBe(TOKEN)
    expect(peekBearer({ headers: { authorization, 'x-plex-token': 'x' } }, ['authorization'])).toBe(TOKEN)
    expect(peekBearer({ headers: { authorization } }, ['x-plex-token'])).toBeUndefined()
    const twice = ['Authorization', authorization, 'authorization', authorization]
    expect(peekBearer({ headers: { authorization }, rawHeaders: twice }, DEFAULT)).toBeUndefined()
    expect(peekBearer({ headers: { authorization }, rawHeaders: twice.slice(0, 2) }, DEFAULT)).toBe(TOKEN)
  })

  test("with Node's rawHeaders, reads the header there, in any case, and leaves headers unread", () => {
    const authorization = `Bearer ${TOKEN}`
    const unread = new Proxy({}, { get: () => expect.unreachable('headers read') }) as never
    for (const name of ['Authorization', 'authorization', 'AUTHORIZATION', 'aUtHoRiZaTiOn']) {
      const rawHeaders = ['Host', 'example.com', name, authorization, 'Cache-Control', 'no-cache']
      expect(peekBearer({ headers: unread, rawHeaders }, DEFAULT), name).toBe(TOKEN)
    }
    const withPlex = (name: string) => ({
      headers: unread,
      rawHeaders: ['Authorization', authorization, name, 'x'],
    })
    for (const name of ['X-Plex-Token', 'x-plex-token', 'X-PLEX-TOKEN']) {
      expect(peekBearer(withPlex(name), DEFAULT), name).toBeUndefined()
      expect(peekBearer(withPlex(name), ['authorization']), name).toBe(TOKEN)
    }
    // Names of the same length that are not these headers, and no Authorization line at all.
    expect(peekBearer(withPlex('X-Plex-Tokem'), DEFAULT)).toBe(TOKEN)
    expect(
      peekBearer({ headers: unread, rawHeaders: ['Authorizatiom', authorization] }, DEFAULT),
    ).toBeUndefined()
    expect(peekBearer({ headers: unread, rawHeaders: [] }, DEFAULT)).toBeUndefined()
    expect(peekBearer({ headers: unread, rawHeaders: ['Authorization'] }, DEFAULT)).toBeUndefined()
    expect(
      peekBearer({ headers: unread, rawHeaders: ['Authorization', 'Basic dXNlcjpwYXNz'] }, DEFAULT),
    ).toBeUndefined()
  })

  test('whenever it reads a well-formed token, extractToken reads the same one', () => {
    // Every combination of scheme case, spacing, other sources and repeated headers around one token.
    let read = 0
    for (const scheme of ['Bearer', 'bearer', 'Basic', 'Bearer\t'])
      for (const gap of [' ', '  ', ''])
        for (const tail of ['', ' ', ';'])
          for (const plex of [undefined, TOKEN, 'other'])
            for (const url of ['/me', '/me?X-Plex-Token=other', undefined])
              for (const raw of [1, 2])
                for (const sources of [DEFAULT, ALL, ['authorization'] as const]) {
                  const authorization = `${scheme}${gap}${TOKEN}${tail}`
                  const request = {
                    headers: plex === undefined ? { authorization } : { authorization, 'x-plex-token': plex },
                    rawHeaders: [
                      ...Array.from({ length: raw }, () => ['Authorization', authorization]).flat(),
                      ...(plex === undefined ? [] : ['X-Plex-Token', plex]),
                    ],
                    url,
                  }
                  const fast = peekBearer(request, sources)
                  // A cached token is well formed: only such a value is ever accepted from the fast path.
                  if (fast !== TOKEN) continue
                  read++
                  expect(extractToken(request, { sources })).toBe(TOKEN)
                }
    expect(read).toBeGreaterThan(0)
  })

  test("the authenticator's peek answers a cached token whatever the header's shape, as authenticate does", async () => {
    const plex = await startPlex()
    const auth = createAuthenticator({ jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER })
    const token = plex.issueToken()
    const identity = await auth.authenticate({ headers: { authorization: `Bearer ${token}` } })
    for (const authorization of [`bearer ${token}`, `Bearer   ${token}  `]) {
      expect(auth.peek({ headers: { authorization } })).toBe(identity)
      await expect(auth.authenticate({ headers: { authorization } })).resolves.toBe(identity)
    }
    // A cached token in a request authenticate refuses: peek leaves it to authenticate.
    const repeated = {
      headers: { authorization: `Bearer ${token}` },
      rawHeaders: ['Authorization', `Bearer ${token}`, 'Authorization', `Bearer ${token}`],
    }
    expect(auth.peek(repeated)).toBeUndefined()
    await expectCode(auth.authenticate(repeated), 'REQUEST_INVALID')
    const spaced = { headers: { authorization: `Bearer  ${token.slice(0, -1)} ${token.slice(-1)}` } }
    expect(auth.peek(spaced)).toBeUndefined()
    await expectCode(auth.authenticate(spaced), 'REQUEST_INVALID')
    // The token of a header found only as a prefix of a longer one is not the cached token.
    expect(auth.peek({ headers: { authorization: `Bearer ${token}x` } })).toBeUndefined()
  })
})

function entry(token: string): TokenCacheEntry {
  return { identity: { token } as PlexJwtIdentity, kid: 'k', key: {} as KeyObject }
}

/** A stand-in for Node's request that records which of its fields are read. */
function recordingRequest(fields: Record<string, unknown>) {
  const reads: PropertyKey[] = []
  const req = new Proxy(fields, {
    get(target, key) {
      reads.push(key)
      return Reflect.get(target, key)
    },
  })
  return { req: req as never, reads }
}

describe('peekRequest: only the fields of the request the check needs, each read once', () => {
  test('a cached bearer token: rawHeaders alone, and the identity authenticate gave', async () => {
    const plex = await startPlex()
    const auth = createAuthenticator({ jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER })
    const authorization = `Bearer ${plex.issueToken()}`
    const fields = {
      method: 'GET',
      url: '/me?a=1',
      headers: { host: 'example.com', authorization },
      rawHeaders: ['Host', 'example.com', 'Authorization', authorization],
      socket: { encrypted: true },
    }
    const { req, reads } = recordingRequest(fields)
    // Not verified yet: left to authenticate.
    expect(peekRequest(auth, req)).toBeUndefined()
    const identity = await auth.authenticate(nodeRequest(req))
    reads.length = 0
    expect(peekRequest(auth, req)).toBe(identity)
    expect(reads).toEqual(['rawHeaders'])
  })

  test('a session cookie opened before: headers (once), the socket and the method', async () => {
    const plex = await startPlex()
    const session = { secret: 'a-session-secret-of-at-least-32-chars' }
    const auth = createSessionAuthenticator({
      jwksUrl: plex.jwksUrl,
      clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
      session,
    })
    const verified = await createPlexVerifier({
      jwksUrl: plex.jwksUrl,
      clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
    }).verify(plex.issueToken())
    const { value } = await sessionManagerFor(session).create(verified, undefined, false, undefined)
    const cookie = `plexauth_session=${value}`
    const fields = {
      method: 'GET',
      url: '/me',
      headers: { host: '127.0.0.1:3000', cookie },
      rawHeaders: ['Host', '127.0.0.1:3000', 'Cookie', cookie],
      socket: {},
    }
    const identity = await auth.authenticate(nodeRequest(fields as never))
    expect(identity?.user.id).toBe(plex.account.id)
    const { req, reads } = recordingRequest(fields)
    expect(peekRequest(auth, req)).toBe(identity)
    expect(reads).toEqual(['headers', 'socket', 'method'])
  })

  test("a request that is not Node's (no rawHeaders, no socket) is read from its headers", async () => {
    const plex = await startPlex()
    const auth = createAuthenticator({ jwksUrl: plex.jwksUrl, clientIdentifier: DEFAULT_CLIENT_IDENTIFIER })
    const headers = { authorization: `Bearer ${plex.issueToken()}` }
    const identity = await auth.authenticate({ headers })
    expect(peekRequest(auth, { headers } as never)).toBe(identity)
  })
})

describe('nodeRequest: what the authenticator reads of a Node request', () => {
  test('a connection is TLS only when its socket says encrypted: true', () => {
    const encrypted = (socket: unknown) =>
      nodeRequest({ headers: {}, rawHeaders: [], socket } as never).encrypted
    expect(encrypted({ encrypted: true })).toBe(true)
    expect(encrypted({ encrypted: false })).toBe(false)
    expect(encrypted({ encrypted: 1 })).toBe(false)
    expect(encrypted({})).toBe(false)
    expect(encrypted(undefined)).toBe(false)
  })
})

describe('TokenCache: filed under the tail of the signature, confirmed on the whole token', () => {
  test('a token sharing the tail of a cached one is a miss, and replaces it when stored', () => {
    const cache = new TokenCache(10)
    const a = `aaaa.bbbb.${'x'.repeat(74)}TAIL12CHARS_`
    const b = `cccc.dddd.${'y'.repeat(74)}TAIL12CHARS_`
    expect(tailKey(a)).toBe(tailKey(b))
    cache.set(a, entry(a))
    expect(cache.get(a)?.identity.token).toBe(a)
    expect(cache.get(b)).toBeUndefined()
    cache.delete(b) // not the cached token: nothing is deleted
    expect(cache.size).toBe(1)
    cache.set(b, entry(b))
    expect(cache.get(a)).toBeUndefined()
    expect(cache.get(b)?.identity.token).toBe(b)
    cache.delete(b)
    expect(cache.size).toBe(0)
  })

  test('getBearer: the whole header, compared as one string or, for another case of the scheme, by its token', () => {
    const cache = new TokenCache(10)
    const a = `aaaa.bbbb.${'x'.repeat(74)}TAIL12CHARS_`
    const b = `cccc.dddd.${'y'.repeat(74)}TAIL12CHARS_`
    cache.set(a, entry(a))
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect(cache.getBearer(`${scheme} ${a}`)?.identity.token, scheme).toBe(a)
    }
    // Same tail, same length: another token, another scheme, a value cut or grown by a character.
    for (const header of [
      `Bearer ${b}`,
      `Xearer ${a}`,
      `Basic! ${a}`,
      `Bearer ${a.slice(1)}`,
      `Bearer x${a}`,
    ]) {
      expect(cache.getBearer(header), header).toBeUndefined()
    }
    expect(cache.getBearer('Bearer')).toBeUndefined()
    // The token itself is still found as verify is given it.
    expect(cache.get(a)?.identity.token).toBe(a)
  })

  test('a size of 0 keeps nothing', () => {
    const cache = new TokenCache(0)
    cache.set(TOKEN, entry(TOKEN))
    expect(cache.get(TOKEN)).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  test('ownString copies a value equal to the original', () => {
    const header = `Bearer ${TOKEN}`
    expect(ownString(header.slice(7))).toBe(TOKEN)
    expect(tailKey(TOKEN)).toHaveLength(12)
    expect(tailKey('short')).toBe('short')
  })
})

describe('Lru: exact least-recently-used order', () => {
  test('matches a reference LRU over a long random sequence of operations', () => {
    // A seeded generator: the sequence is the same on every run.
    let seed = 42
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed % n
    }
    const max = 5
    const lru = new Lru<number>(max)
    const reference = new Map<string, number>()
    const touch = (key: string, value: number) => {
      reference.delete(key)
      reference.set(key, value)
    }
    for (let step = 0; step < 5_000; step++) {
      const key = `k${random(9)}`
      const operation = random(4)
      if (operation === 0) {
        lru.set(key, step)
        touch(key, step)
        if (reference.size > max) reference.delete(reference.keys().next().value!)
      } else if (operation === 1) {
        const expected = reference.get(key)
        if (expected !== undefined) touch(key, expected)
        expect(lru.get(key)).toBe(expected)
      } else if (operation === 2) {
        expect(lru.peek(key)).toBe(reference.get(key))
      } else {
        expect(lru.delete(key)).toBe(reference.delete(key))
      }
      expect(lru.size).toBe(reference.size)
    }
    // The survivors, oldest first: each one evicted in turn by new keys.
    const order = [...reference.keys()]
    for (const [index, key] of order.entries()) {
      lru.set(`new${index}`, -1)
      expect(lru.peek(key)).toBeUndefined()
      for (const later of order.slice(index + 1)) expect(lru.peek(later)).toBe(reference.get(later))
    }
  })

  test('a size of 0 keeps nothing', () => {
    const lru = new Lru<number>(0)
    lru.set('a', 1)
    expect(lru.get('a')).toBeUndefined()
    expect(lru.size).toBe(0)
  })
})

describe('readHostCookie: the __Host- cookie, else the plain one where allowed, in one pass', () => {
  const base = 'plexauth_session'
  const yes = () => true
  const no = () => false

  test('prefers the __Host- cookie wherever it is in the header', () => {
    expect(readHostCookie(`__Host-${base}=secure; ${base}=plain`, base, yes)).toBe('secure')
    expect(readHostCookie(`${base}=plain; __Host-${base}=secure`, base, yes)).toBe('secure')
    expect(readHostCookie(`a=1; ${base}=plain; b=2; __Host-${base}=secure; c=3`, base, no)).toBe('secure')
  })

  test('takes the plain cookie only when allowed, and asks only then', () => {
    let asked = 0
    const count = () => {
      asked++
      return true
    }
    expect(readHostCookie(`${base}=plain`, base, no)).toBeUndefined()
    expect(readHostCookie(`a=1;  ${base}=plain ; b=2`, base, count)).toBe('plain')
    expect(asked).toBe(1)
    expect(readHostCookie(`__Host-${base}=secure`, base, count)).toBe('secure')
    expect(readHostCookie('a=1', base, count)).toBeUndefined()
    expect(asked).toBe(1)
  })

  test('reads what readCookie reads under each name', () => {
    const headers = [
      `x${base}=tail; ${base}=plain`,
      `x__Host-${base}=tail; __Host-${base}=secure`,
      `${base}x=other; ${base}=plain`,
      `${base}=first; ${base}=second`,
      `${base}=has-${base}-inside; __Host-${base}=secure`,
      `__Host-${base}=`,
      `${base}`,
      `; ${base}=after-empty`,
      '',
    ]
    for (const header of headers) {
      const expected = readCookie(header, `__Host-${base}`) ?? readCookie(header, base)
      expect(readHostCookie(header, base, yes), header).toBe(expected)
      expect(readHostCookie([header], base, yes), header).toBe(expected)
    }
    expect(readHostCookie(undefined, base, yes)).toBeUndefined()
  })
})

describe('isSecure: the loopback answer of the last Host is reused, per Host', () => {
  test('alternating Hosts each get their own answer', () => {
    const request = (host: string) => ({ headers: { host } })
    for (let round = 0; round < 3; round++) {
      expect(isSecure(request('127.0.0.1:3000'), undefined)).toBe(false)
      expect(isSecure(request('app.example.com'), undefined)).toBe(true)
      expect(isSecure(request('localhost'), undefined)).toBe(false)
      expect(isSecure(request('[::1]:8080'), undefined)).toBe(false)
      expect(isSecure(request('LOCALHOST:1'), undefined)).toBe(false)
      expect(isSecure(request('127.0.0.1.example.com'), undefined)).toBe(true)
    }
  })
})

describe('authenticatorOf: a declared slot holding nothing', () => {
  test('is the default authenticator, as an object that never had one', () => {
    const fallback = authenticatorOf(undefined)
    expect(authenticatorOf({ [AUTHENTICATOR_KEY]: null })).toBe(fallback)
    const own = createAuthenticator({ acceptAnyAudience: true, realm: 'own' })
    const request = { [AUTHENTICATOR_KEY]: null }
    rememberAuthenticator(request, own)
    expect(authenticatorOf(request)).toBe(own)
  })
})
