import { randomInt } from 'node:crypto'
import { accountById, createLegacyToken, upsertAccount } from './accounts.js'
import { registerDevice } from './device-keys.js'
import type { FakePlexState, PinRecord } from './state.js'
import type { PlexTokenUser } from './tokens.js'
import type { XmlElement } from './xml.js'

/**
 * How long a 4-character PIN lives, in seconds: 900, as plex.tv's answer for the 4-character PIN `7RQZ` in
 * Plex's API reference shows (`createdAt` 17:03:05, `expiresAt` 17:18:05).
 *
 * @example
 * ```ts
 * vi.setSystemTime(Date.now() + (PIN_LIFETIME + 1) * 1000) // a 4-character PIN is gone
 * ```
 */
export const PIN_LIFETIME = 900

/**
 * How long a strong PIN (25 characters) lives, in seconds: 1800, as the strong PIN of Plex's API reference
 * (`expiresIn: 1800`, `createdAt` 17:00:03, `expiresAt` 17:30:03).
 *
 * @example
 * ```ts
 * vi.setSystemTime(Date.now() + (STRONG_PIN_LIFETIME + 1) * 1000) // a strong PIN is gone
 * ```
 */
export const STRONG_PIN_LIFETIME = 1800

const STRONG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'
const SHORT_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/**
 * What the user chose when clicking "Allow" in `approvePin`. Every member is optional.
 *
 * @example
 * ```ts
 * const pin = { code: 'ABCD' } // as the app's client got it from POST /api/v2/pins
 * plex.approvePin(pin.code, { user: { id: 7, username: 'bob' }, scopes: ['username'] })
 * ```
 */
export interface ApprovePinOptions {
  /** The account signing in: merged over the account with that `id` (a new one when unknown). Default: the default account. */
  user?: { [K in keyof PlexTokenUser]?: PlexTokenUser[K] | undefined }
  /**
   * The user fields the token carries. Default: the `scope` of the client's device JWT, else `DEFAULT_SCOPES`.
   * @default the device JWT's scope, else DEFAULT_SCOPES
   */
  scopes?: readonly string[]
}

function randomCode(alphabet: string, length: number): string {
  let code = ''
  for (let i = 0; i < length; i++) code += alphabet[randomInt(alphabet.length)]
  return code
}

/** A new PIN; strong PINs get a 25-character code, others a 4-character one. */
export function createPin(
  state: FakePlexState,
  pin: Pick<PinRecord, 'clientIdentifier' | 'product' | 'strong' | 'kid' | 'publicKey'>,
): PinRecord {
  const now = Date.now()
  let code: string
  do code = pin.strong ? randomCode(STRONG_ALPHABET, 25) : randomCode(SHORT_ALPHABET, 4)
  while (findPin(state, code) !== undefined)
  const record: PinRecord = {
    ...pin,
    id: state.nextPinId++,
    code,
    createdAt: now,
    expiresAt: now + (pin.strong ? STRONG_PIN_LIFETIME : PIN_LIFETIME) * 1000,
    approval: undefined,
    authToken: undefined,
  }
  state.pins.set(record.id, record)
  return record
}

/** The live (unexpired) PIN with that id or code. */
export function findPin(state: FakePlexState, idOrCode: string | number): PinRecord | undefined {
  const now = Date.now()
  for (const pin of state.pins.values()) {
    if (pin.expiresAt <= now) continue
    if (pin.id === Number(idOrCode) || pin.code === idOrCode) return pin
  }
  return undefined
}

/**
 * Stands in for the user clicking "Allow": a PIN with a key gets its device registered to the account,
 * a legacy PIN a new legacy token. Throws for an unknown or expired PIN, or a key another device owns.
 */
export function approvePin(
  state: FakePlexState,
  idOrCode: string | number,
  options: ApprovePinOptions = {},
): void {
  const pin = findPin(state, idOrCode)
  if (pin === undefined) throw new Error(`FakePlex: no live PIN ${JSON.stringify(idOrCode)}`)
  const account =
    options.user === undefined ? accountById(state, state.account.id) : upsertAccount(state, options.user)
  if (pin.kid !== undefined && pin.publicKey !== undefined) {
    const outcome = registerDevice(state, {
      kid: pin.kid,
      publicKey: pin.publicKey,
      clientIdentifier: pin.clientIdentifier,
      accountId: account.id,
    })
    if (outcome === 'taken') throw new Error('FakePlex: the PIN key belongs to another device')
  } else {
    pin.authToken = createLegacyToken(state, account.id)
  }
  pin.approval = { accountId: account.id, scopes: options.scopes }
}

/**
 * Withdraws a PIN, as the fake's sign-in page does on "Deny" (plex.tv documents no refusal): polls of it
 * then answer 404 code 1020, like an expired PIN. Throws for an unknown or expired PIN.
 */
export function denyPin(state: FakePlexState, idOrCode: string | number): void {
  const pin = findPin(state, idOrCode)
  if (pin === undefined) throw new Error(`FakePlex: no live PIN ${JSON.stringify(idOrCode)}`)
  state.pins.delete(pin.id)
}

/** An instant as plex.tv writes it: ISO 8601 to the second, `Z`. */
export function isoTime(milliseconds: number): string {
  return new Date(milliseconds).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

const LOCATION = { code: 'US', european_union_member: false, continent_code: 'NA', country: 'United States' }

/** A PIN as plex.tv answers it, in JSON and XML (`<pin …><location …/></pin>`); `authToken` null until approved. */
export function pinDocument(pin: PinRecord, authToken: string | null): { json: unknown; xml: XmlElement } {
  const fields = {
    id: pin.id,
    code: pin.code,
    product: pin.product ?? null,
    trusted: false,
    qr: `https://plex.tv/api/v2/pins/qr/${pin.code}`,
    clientIdentifier: pin.clientIdentifier,
    expiresIn: Math.max(0, Math.ceil((pin.expiresAt - Date.now()) / 1000)),
    createdAt: isoTime(pin.createdAt),
    expiresAt: isoTime(pin.expiresAt),
    authToken,
    newRegistration: null,
  }
  return {
    json: { ...fields, location: LOCATION },
    xml: { tag: 'pin', attributes: fields, children: [{ tag: 'location', attributes: LOCATION }] },
  }
}
