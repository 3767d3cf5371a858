import { PlexClientError } from './errors.js'

// The account, resources and PIN answers, which core reads too, are read by core's parsers
// (`@plexauth/core/plex-tv`); what only the client asks for (nonce, exchange, transient token) is read here.

/**
 * A PIN waiting for the user: send them to `authUrl` (it carries `code`), then `waitForLogin(pin)`.
 *
 * @example
 * ```ts
 * declare const client: PlexClient
 * const pin = await client.startLogin()
 * console.log(`Open ${pin.authUrl} (code ${pin.code}, valid until ${pin.expiresAt.toLocaleTimeString()})`)
 * ```
 */
export interface PlexPin {
  readonly id: number
  readonly code: string
  readonly authUrl: string
  readonly expiresAt: Date
}

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalid(): PlexClientError {
  return new PlexClientError('RESPONSE_INVALID')
}

function object(value: unknown): Json {
  if (!isObject(value)) throw invalid()
  return value
}

function text(value: unknown, max = 8192): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined
}

function requiredText(value: unknown, max?: number): string {
  const result = text(value, max)
  if (result === undefined) throw invalid()
  return result
}

/** The nonce of `GET /api/v2/auth/nonce`. */
export function parseNonce(body: unknown): string {
  return requiredText(object(body).nonce, 512)
}

/** The `auth_token` of `POST /api/v2/auth/token` (snake_case, unlike the PIN's `authToken`). */
export function parseAuthToken(body: unknown): string {
  return requiredText(object(body).auth_token)
}

/** The transient token of a media server's `/security/token`. */
export function parseTransientToken(body: unknown): string {
  const container = object(object(body).MediaContainer)
  return requiredText(container.token)
}

/**
 * Reads an answer with one of core's parsers (`parseAccount`, `parseResources`): an answer it refuses is
 * `RESPONSE_INVALID`.
 *
 * @example
 * ```ts
 * const body: unknown = JSON.parse('{"nonce":"6f3c…"}')
 * const nonce = readAnswer(parseNonce, body) // or PlexClientError('RESPONSE_INVALID')
 * ```
 */
export function readAnswer<T>(parse: (body: unknown) => T, body: unknown): T {
  try {
    return parse(body)
  } catch (cause) {
    throw new PlexClientError('RESPONSE_INVALID', { cause })
  }
}
