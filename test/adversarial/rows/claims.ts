import type { FakePlex } from '@plexauth/testing'
import {
  CLAIMS_INVALID,
  EXPIRED,
  genuineParts,
  MALFORMED,
  NOT_YET_VALID,
  OK,
  payloadWith,
  type Row,
  signedPayload,
  signedText,
  withBearer,
} from '../support.js'

const group = 'claims'
type Claims = Record<string, unknown>

/** A genuine token whose claims went through `change` (signed by the genuine signing key). */
function claimsToken(plex: FakePlex, change: (claims: Claims, user: Claims) => void): string {
  const { payload } = genuineParts(plex)
  const user = { ...(payload.user as Claims) }
  payload.user = user
  change(payload, user)
  return signedPayload(plex, payload)
}

/** A row whose token is genuine but for `change`. */
function claimsRow(
  name: string,
  change: (claims: Claims, user: Claims) => void,
  expect = CLAIMS_INVALID,
): Row {
  return { group, name, send: ({ plex }) => withBearer(claimsToken(plex, change)), expect }
}

/** A row whose payload is the JSON text `text(plex)`, signed by the genuine key. */
function textRow(name: string, text: (plex: FakePlex) => string, expect: Row['expect']): Row {
  return {
    group,
    name,
    send: ({ plex }) => withBearer(signedText(plex, JSON.stringify(genuineParts(plex).header), text(plex))),
    expect,
  }
}

const now = () => Math.floor(Date.now() / 1000)
// What another library's prototype pollution could have planted (non-enumerable, so the frameworks are unaffected).
const POLLUTED = ['iss', 'thumbprint', 'uuid']
const DAY = 86_400

export const claimsRows: Row[] = [
  // Issuer
  claimsRow('iss missing', (c) => delete c.iss),
  claimsRow('iss a URL look-alike ("https://plex.tv")', (c) => (c.iss = 'https://plex.tv')),
  claimsRow('iss in another case ("PLEX.TV")', (c) => (c.iss = 'PLEX.TV')),
  claimsRow('iss with a trailing NUL', (c) => (c.iss = 'plex.tv\u0000')),
  claimsRow('iss a list holding "plex.tv"', (c) => (c.iss = ['plex.tv'])),

  // Audience
  claimsRow('aud missing', (c) => delete c.aud),
  claimsRow(
    'a token of another Plex app (aud: plex.tv, other-app)',
    (c) => (c.aud = ['plex.tv', 'other-app']),
  ),
  claimsRow('aud a look-alike of this app (case changed)', (c) => (c.aud = ['plex.tv', 'PlexAuth-Test-App'])),
  claimsRow('aud naming this app but not plex.tv', (c) => (c.aud = ['plexauth-test-app'])),
  claimsRow('aud an object with array-like keys', (c) => (c.aud = { 0: 'plex.tv', 1: 'plexauth-test-app' })),
  claimsRow('aud with 17 entries', (c) => (c.aud = ['plex.tv', 'plexauth-test-app', ...Array(15).fill('x')])),

  // Times
  claimsRow('exp missing', (c) => delete c.exp),
  claimsRow('exp a numeric string', (c) => (c.exp = String(now() + DAY))),
  textRow(
    'exp non-finite (1e400 parses to Infinity)',
    (plex) => payloadWith(plex, '"exp":1e400').replace(/,"exp":\d+/, ''),
    CLAIMS_INVALID,
  ),
  claimsRow('exp fractional', (c) => (c.exp = now() + DAY + 0.5)),
  claimsRow('exp absurdly far (year 275760) with iat now', (c) => (c.exp = 8.64e12)),
  claimsRow('lifetime of 8 days (exp - iat beyond 7 days)', (c) => (c.exp = (c.iat as number) + 8 * DAY)),
  claimsRow(
    'expired an hour ago',
    (c) => Object.assign(c, { iat: now() - 2 * 3600, exp: now() - 3600 }),
    EXPIRED,
  ),
  claimsRow(
    'iat an hour in the future',
    (c) => Object.assign(c, { iat: now() + 3600, exp: now() + DAY }),
    NOT_YET_VALID,
  ),
  claimsRow('iat negative', (c) => Object.assign(c, { iat: -1, exp: now() + DAY })),
  claimsRow('iat missing', (c) => delete c.iat),
  claimsRow('nbf an hour in the future', (c) => (c.nbf = now() + 3600), NOT_YET_VALID),
  claimsRow('nbf a string', (c) => (c.nbf = 'now')),

  // Other claims
  claimsRow('thumbprint missing', (c) => delete c.thumbprint),
  claimsRow('thumbprint a number', (c) => (c.thumbprint = 42)),
  claimsRow('scope an object', (c) => (c.scope = { email: true })),

  // Type confusion in user
  claimsRow('user missing', (c) => delete c.user),
  claimsRow('user a string', (c) => (c.user = '123456')),
  claimsRow('user an array', (c, u) => (c.user = [u])),
  claimsRow('user null', (c) => (c.user = null)),
  claimsRow('user.id a numeric string', (_c, u) => (u.id = '123456')),
  claimsRow('user.id zero', (_c, u) => (u.id = 0)),
  claimsRow('user.id beyond 2^53', (_c, u) => (u.id = 2 ** 53)),
  claimsRow('user.id fractional', (_c, u) => (u.id = 1.5)),
  claimsRow('user.uuid missing', (_c, u) => delete u.uuid),
  claimsRow('user.username a number', (_c, u) => (u.username = 7)),
  claimsRow('user.email an object', (_c, u) => (u.email = { toString: 'x' })),
  claimsRow('user.restricted the string "false"', (_c, u) => (u.restricted = 'false')),
  claimsRow('user.username of 600 characters', (_c, u) => (u.username = 'u'.repeat(600))),

  // Prototype keys
  textRow(
    'required claims only under "__proto__" (none of its own)',
    (plex) => {
      const { payload } = genuineParts(plex)
      const { iss, aud, exp, iat, ...rest } = payload
      return `{"__proto__":${JSON.stringify({ iss, aud, exp, iat })},${JSON.stringify(rest).slice(1)}`
    },
    CLAIMS_INVALID,
  ),
  textRow(
    'user.id and uuid only under user.__proto__',
    (plex) => {
      const { payload } = genuineParts(plex)
      const text = JSON.stringify({ ...payload, user: { username: 'x' } })
      return text.replace('"user":{', '"user":{"__proto__":{"id":1,"uuid":"u1"},')
    },
    CLAIMS_INVALID,
  ),
  {
    group,
    name: 'claims found only on a polluted Object.prototype do not count',
    setup: () => {
      for (const name of POLLUTED) {
        Object.defineProperty(Object.prototype, name, {
          value: name === 'iss' ? 'plex.tv' : 'x',
          configurable: true,
        })
      }
    },
    send: ({ plex }) =>
      withBearer(
        claimsToken(plex, (c, u) => {
          delete c.iss
          delete c.thumbprint
          delete u.uuid
        }),
      ),
    expect: CLAIMS_INVALID,
    teardown: () => {
      for (const name of POLLUTED) delete (Object.prototype as Record<string, unknown>)[name]
    },
  },
  textRow(
    'constructor, prototype and __proto__ members in claims and user are inert',
    (plex) =>
      payloadWith(
        plex,
        '"__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}},"prototype":{"isAdmin":true}',
      ).replace(
        '"user":{',
        '"user":{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}},',
      ),
    OK,
  ),

  // Duplicate member names: JSON.parse keeps the last silently, another parser may keep the first.
  textRow('duplicate "iss" in the payload', (plex) => payloadWith(plex, '"iss":"evil.example"'), MALFORMED),
  textRow(
    'duplicate "iss" spelt with an escape ("\\u0069ss")',
    (plex) => payloadWith(plex, '"\\u0069ss":"evil.example"'),
    MALFORMED,
  ),
  textRow(
    'duplicate "id" inside user',
    (plex) => JSON.stringify(genuineParts(plex).payload).replace('"user":{', '"user":{"id":1,'),
    MALFORMED,
  ),
  {
    group,
    name: 'duplicate "alg" in the header ("none", then "EdDSA")',
    send: ({ plex }) => {
      const header = JSON.stringify(genuineParts(plex).header)
      return withBearer(
        signedText(plex, `{"alg":"none",${header.slice(1)}`, JSON.stringify(genuineParts(plex).payload)),
      )
    },
    expect: MALFORMED,
  },
  {
    group,
    name: 'duplicate "kid" in the header (another kid first)',
    send: ({ plex }) => {
      const header = JSON.stringify(genuineParts(plex).header)
      const payload = JSON.stringify(genuineParts(plex).payload)
      return withBearer(signedText(plex, `{"kid":"${plex.keys.keys[0]!.kid}",${header.slice(1)}`, payload))
    },
    expect: MALFORMED,
  },

  // Not a claims object
  textRow('payload a JSON array', (plex) => `[${JSON.stringify(genuineParts(plex).payload)}]`, MALFORMED),
  {
    group,
    name: 'payload not UTF-8',
    send: ({ plex }) => {
      const header = Buffer.from(JSON.stringify(genuineParts(plex).header)).toString('base64url')
      const bytes = Buffer.concat([
        Buffer.from('{"iss":"plex.tv","x":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ])
      return withBearer(plex.signRaw(header, bytes.toString('base64url')))
    },
    expect: MALFORMED,
  },
]
