import { createHmac } from 'node:crypto'
import { generateEd25519Key } from '@plexauth/testing'
import {
  BAD_SIGNATURE,
  b64,
  genuineParts,
  lenientLastChar,
  MALFORMED,
  malleate,
  OK,
  type Row,
  segments,
  signOther,
  UNSUPPORTED,
  withBearer,
  withSignature,
} from '../support.js'

const group = 'signature'
const attacker = generateEd25519Key()

/** A genuine token whose header is replaced (signature kept: these rows fail before it is checked). */
function reheader(token: string, header: object): string {
  const [, payload, signature] = segments(token)
  return `${b64(header)}.${payload}.${signature}`
}

export const signatureRows: Row[] = [
  {
    group,
    name: 'alg none with an empty signature',
    send: ({ plex }) => {
      const [, payload] = segments(plex.issueToken())
      return withBearer(`${b64({ ...genuineParts(plex).header, alg: 'none' })}.${payload}.`)
    },
    expect: MALFORMED,
  },
  {
    group,
    name: 'alg none with the genuine signature kept',
    send: ({ plex }) =>
      withBearer(reheader(plex.issueToken(), { ...genuineParts(plex).header, alg: 'none' })),
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'alg spelt in another case ("eddsa")',
    send: ({ plex }) =>
      withBearer(reheader(plex.issueToken(), { ...genuineParts(plex).header, alg: 'eddsa' })),
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'alg "Ed25519" (the fully-specified name Plex does not use)',
    send: ({ plex }) =>
      withBearer(plex.sign({ ...genuineParts(plex).header, alg: 'Ed25519' }, genuineParts(plex).payload)),
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'HS256 keyed with the published public key (algorithm confusion)',
    send: ({ plex }) => {
      const { header, payload } = genuineParts(plex)
      const input = `${b64({ ...header, alg: 'HS256' })}.${b64(payload)}`
      const secret = Buffer.from(plex.signingKey.publicJwk.x, 'base64url')
      return withBearer(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`)
    },
    expect: MALFORMED,
  },
  {
    group,
    name: 'HS512 keyed with the public JWK text: a MAC as long as an Ed25519 signature',
    send: ({ plex }) => {
      const { header, payload } = genuineParts(plex)
      const input = `${b64({ ...header, alg: 'HS512' })}.${b64(payload)}`
      const secret = JSON.stringify(plex.signingKey.publicJwk)
      return withBearer(`${input}.${createHmac('sha512', secret).update(input).digest('base64url')}`)
    },
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'RS256 signature by some RSA key',
    send: ({ plex }) => {
      const { header, payload } = genuineParts(plex)
      return withBearer(signOther('RS256', { ...header, alg: 'RS256' }, payload))
    },
    expect: MALFORMED,
  },
  {
    group,
    name: 'ES256 signature: 64 bytes, the length of an Ed25519 one',
    send: ({ plex }) => {
      const { header, payload } = genuineParts(plex)
      return withBearer(signOther('ES256', { ...header, alg: 'ES256' }, payload))
    },
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'tampered payload (another user id) under the genuine signature',
    send: ({ plex }) => {
      const [header, , signature] = segments(plex.issueToken())
      const { payload } = genuineParts(plex)
      const forged = { ...payload, user: { ...(payload.user as object), id: 1 } }
      return withBearer(`${header}.${b64(forged)}.${signature}`)
    },
    expect: BAD_SIGNATURE,
  },
  {
    group,
    name: 'tampered header (typ dropped) under the genuine signature',
    send: ({ plex }) => {
      const { header } = genuineParts(plex)
      const { typ: _typ, ...rest } = header
      return withBearer(reheader(plex.issueToken(), rest))
    },
    expect: BAD_SIGNATURE,
  },
  {
    group,
    name: 'signature transplanted from another genuine token',
    send: ({ plex }) => {
      const donor = segments(plex.issueToken({ user: { id: 77 } }))[2]
      const [header, payload] = segments(plex.issueToken())
      return withBearer(`${header}.${payload}.${donor}`)
    },
    expect: BAD_SIGNATURE,
  },
  {
    group,
    name: 'signed by a foreign key under the genuine kid',
    send: ({ plex }) => withBearer(plex.issueToken({ signWith: attacker })),
    expect: BAD_SIGNATURE,
  },
  {
    group,
    name: 'embedded jwk: the attacker key in the header, genuine kid',
    send: ({ plex }) =>
      withBearer(plex.issueToken({ signWith: attacker, header: { jwk: attacker.publicJwk } })),
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'jku pointing at a key set of the attacker',
    send: ({ plex }) =>
      withBearer(
        plex.issueToken({
          signWith: attacker,
          header: { kid: attacker.kid, jku: 'https://attacker.example/keys.json' },
        }),
      ),
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'x5c certificate chain in the header',
    send: ({ plex }) =>
      withBearer(plex.issueToken({ signWith: attacker, header: { x5c: ['MIIBszCCAVmgAwIBAgIU'] } })),
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'x5u pointing at the attacker',
    send: ({ plex }) =>
      withBearer(
        plex.issueToken({ signWith: attacker, header: { x5u: 'https://attacker.example/cert.pem' } }),
      ),
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'crit ["b64"] with b64 false (unencoded payload)',
    send: ({ plex }) => withBearer(plex.issueToken({ header: { crit: ['b64'], b64: false } })),
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'zip: a compressed payload',
    send: ({ plex }) => withBearer(plex.issueToken({ header: { zip: 'DEF' } })),
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'typ other than JWT ("at+jwt")',
    send: ({ plex }) => withBearer(plex.issueToken({ header: { typ: 'at+jwt' } })),
    expect: UNSUPPORTED,
  },
  {
    group,
    name: 'malleated signature: S + L, the same signature for a lenient verifier',
    send: ({ plex }) => withBearer(malleate(plex.issueToken())),
    expect: BAD_SIGNATURE,
  },
  {
    group,
    name: 'all-zero signature',
    send: ({ plex }) => withBearer(withSignature(plex.issueToken(), new Uint8Array(64))),
    expect: BAD_SIGNATURE,
  },
  {
    group,
    name: 'lenient encoding: the signature with unused bits set in its last character',
    send: ({ plex }) => {
      const [header, payload, signature] = segments(plex.issueToken())
      return withBearer(`${header}.${payload}.${lenientLastChar(signature)}`)
    },
    expect: MALFORMED,
  },
  {
    group,
    name: 'lenient encoding: padded signature',
    send: ({ plex }) => withBearer(`${plex.issueToken()}==`),
    expect: MALFORMED,
  },
  {
    group,
    name: 'lenient encoding: standard base64 alphabet (+ and /)',
    send: ({ plex }) => {
      for (let i = 0; ; i++) {
        const token = plex.issueToken({ claims: { nonce: `n${i}` } })
        if (/[-_]/.test(token)) return withBearer(token.replaceAll('-', '+').replaceAll('_', '/'))
      }
    },
    expect: MALFORMED,
  },
  {
    group,
    name: 'non-canonical JSON: the genuine header re-serialized with spaces',
    send: ({ plex }) => {
      const token = plex.issueToken()
      const [header, payload, signature] = segments(token)
      const spaced = JSON.stringify(JSON.parse(Buffer.from(header, 'base64url').toString()), null, 1)
      return withBearer(`${b64(spaced)}.${payload}.${signature}`)
    },
    expect: BAD_SIGNATURE,
  },
  {
    group,
    name: 'signature one character short',
    send: ({ plex }) => withBearer(plex.issueToken().slice(0, -1)),
    expect: MALFORMED,
  },
  {
    group,
    name: 'signed by a published key that is not the current signer',
    send: ({ plex }) => withBearer(plex.issueToken({ kid: plex.keys.keys[0]!.kid })),
    expect: OK,
  },
]
