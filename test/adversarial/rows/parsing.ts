import type { FakePlex } from '@plexauth/testing'
import {
  BAD_REQUEST,
  BAD_SIGNATURE,
  b64,
  genuineParts,
  MALFORMED,
  OK,
  payloadWith,
  type Row,
  segments,
  signedText,
  withBearer,
} from '../support.js'

const group = 'parsing'

/** A genuine token with its header segment replaced by `header` (a JSON text or raw bytes). */
function withHeader(plex: FakePlex, header: string | Buffer): string {
  const [, payload, signature] = segments(plex.issueToken())
  const encoded = typeof header === 'string' ? b64(header) : header.toString('base64url')
  return `${encoded}.${payload}.${signature}`
}

/** A genuine-looking token of exactly `length` characters: header and claims padded, the signature not its own. */
function tokenOfLength(plex: FakePlex, length: number): string {
  const { header, payload } = genuineParts(plex)
  const signature = segments(plex.issueToken())[2]
  for (let extra = 0; extra < 4; extra++) {
    const body = b64({ ...payload, q: 'q'.repeat(extra) })
    const room = length - body.length - signature.length - 2
    for (let pad = Math.floor((room * 3) / 4); pad > 0; pad--) {
      const head = b64({ ...header, pad: 'p'.repeat(pad) })
      if (head.length === room) return `${head}.${body}.${signature}`
      if (head.length < room - 4) break
    }
  }
  throw new Error(`no token of ${length} characters`)
}

export const parsingRows: Row[] = [
  {
    group,
    name: 'Authorization "Bearer" with no token',
    send: () => ({ headers: [['authorization', 'Bearer']] }),
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'an empty X-Plex-Token header',
    send: () => ({ headers: [['x-plex-token', '']] }),
    expect: BAD_REQUEST,
  },
  { group, name: 'a single dot', send: () => withBearer('.'), expect: MALFORMED },
  { group, name: 'dots only', send: () => withBearer('..'), expect: MALFORMED },
  {
    group,
    name: 'two segments (no signature part)',
    send: ({ plex }) => withBearer(segments(plex.issueToken()).slice(0, 2).join('.')),
    expect: MALFORMED,
  },
  {
    group,
    name: 'four segments',
    send: ({ plex }) => withBearer(`${plex.issueToken()}.${segments(plex.issueToken())[2]}`),
    expect: MALFORMED,
  },
  {
    group,
    name: 'JWE-shaped: five segments',
    send: ({ plex }) => {
      const header = b64({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: plex.signingKey.kid })
      const part = (n: number) => Buffer.alloc(n, 7).toString('base64url')
      return withBearer([header, part(256), part(12), part(120), part(16)].join('.'))
    },
    expect: MALFORMED,
  },
  {
    group,
    name: 'an empty payload segment',
    send: ({ plex }) => {
      const [header, , signature] = segments(plex.issueToken())
      return withBearer(`${header}..${signature}`)
    },
    expect: MALFORMED,
  },
  {
    group,
    name: 'header not JSON',
    send: ({ plex }) => withBearer(withHeader(plex, 'alg=EdDSA')),
    expect: MALFORMED,
  },
  {
    group,
    name: 'header a JSON array',
    send: ({ plex }) => withBearer(withHeader(plex, JSON.stringify([genuineParts(plex).header]))),
    expect: MALFORMED,
  },
  {
    group,
    name: 'header JSON null',
    send: ({ plex }) => withBearer(withHeader(plex, 'null')),
    expect: MALFORMED,
  },
  {
    group,
    name: 'header not UTF-8',
    send: ({ plex }) => withBearer(withHeader(plex, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))),
    expect: MALFORMED,
  },
  {
    group,
    name: 'header JSON nested 2,000 levels deep (signature not its own)',
    send: ({ plex }) => {
      const header = JSON.stringify(genuineParts(plex).header)
      return withBearer(
        withHeader(plex, `${header.slice(0, -1)},"x":${'['.repeat(2000)}${']'.repeat(2000)}}`),
      )
    },
    expect: BAD_SIGNATURE,
  },
  {
    group,
    name: 'a signed claim nested 1,500 levels deep is carried without harm',
    send: ({ plex }) =>
      withBearer(
        signedText(
          plex,
          JSON.stringify(genuineParts(plex).header),
          payloadWith(plex, `"deep":${'['.repeat(1500)}${']'.repeat(1500)}`),
        ),
      ),
    expect: OK,
  },
  {
    group,
    name: 'a token of 8,192 characters, the most accepted (signature not its own)',
    send: ({ plex }) => withBearer(tokenOfLength(plex, 8192)),
    expect: BAD_SIGNATURE,
  },
  {
    group,
    name: 'a token of 8,193 characters',
    send: ({ plex }) => withBearer(`${tokenOfLength(plex, 8192)}A`),
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'an Authorization header of 20 KB (the HTTP server refuses it before any adapter)',
    send: ({ plex }) => withBearer(`${plex.issueToken()}${'A'.repeat(20_000)}`),
    expect: { status: 431, byNode: true },
  },
  {
    group,
    name: 'a Latin-1 byte inside the token',
    send: ({ plex }) => {
      const token = plex.issueToken()
      return withBearer(`${token.slice(0, 20)}\u00e9${token.slice(21)}`)
    },
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'a space inside the token',
    send: ({ plex }) => {
      const token = plex.issueToken()
      return withBearer(`${token.slice(0, 30)} ${token.slice(30)}`)
    },
    expect: BAD_REQUEST,
  },
]
