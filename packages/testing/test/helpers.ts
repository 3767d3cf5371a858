import { type Ed25519Key, type FakePlex, generateEd25519Key, signJwt } from '../src/index.js'

export const CLIENT_ID = 'route-test-client'

/** Headers a Plex client sends; `token` adds `X-Plex-Token`. */
export function plexHeaders(token?: string, clientIdentifier = CLIENT_ID): Record<string, string> {
  return {
    accept: 'application/json',
    'x-plex-client-identifier': clientIdentifier,
    'x-plex-product': 'Route Test',
    ...(token === undefined ? {} : { 'x-plex-token': token }),
  }
}

/** A device JWT as a client signs it, claims overridable (`undefined` deletes one). */
export function deviceJwt(
  key: Ed25519Key,
  claims: Record<string, unknown> = {},
  options: { clientIdentifier?: string; header?: Record<string, unknown>; signWith?: Ed25519Key } = {},
): string {
  const iat = Math.floor(Date.now() / 1000)
  const payload: Record<string, unknown> = {
    nonce: 'unset',
    scope: 'username,email,friendly_name',
    aud: 'plex.tv',
    iss: options.clientIdentifier ?? CLIENT_ID,
    iat,
    exp: iat + 300,
    ...claims,
  }
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name]
  const header = { kid: key.kid, alg: 'EdDSA', typ: 'JWT', ...options.header }
  return signJwt(header, payload, options.signWith ?? key)
}

export function newDevice(): Ed25519Key {
  return generateEd25519Key()
}

/**
 * A call of the fake's control surface: `body` sent as JSON (a string as it is, for malformed bodies); the
 * answer's status and parsed JSON body.
 */
export async function callControl(plex: FakePlex, method: string, path: string, body?: unknown) {
  const response = await fetch(`${plex.controlUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          headers: { 'content-type': 'application/json' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) }
}
