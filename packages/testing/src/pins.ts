import { randomInt } from 'node:crypto'
import { accountById, createLegacyToken, upsertAccount } from './accounts.js'
import { registerDevice } from './device-keys.js'
import type { FakePlexState, PinRecord } from './state.js'
import type { PlexTokenUser } from './tokens.js'

/**
 * How long a PIN lives, in seconds (plex.tv: `expiresIn: 900`).
 *
 * @example
 * ```ts
 * vi.setSystemTime(Date.now() + (PIN_LIFETIME + 1) * 1000) // the PIN is gone
 * ```
 */
export const PIN_LIFETIME = 900

const STRONG_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'
const SHORT_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/**
 * What the user chose when clicking "Allow" in `approvePin`. Every member is optional.
 *
 * @example
 * ```ts
 * plex.approvePin(pin.code, { user: { id: 7, username: 'bob' }, scopes: ['username'] })
 * ```
 */
export interface ApprovePinOptions {
  /** The account signing in: merged over the account with that `id` (a new one when unknown). Default: the default account. */
  user?: { [K in keyof PlexTokenUser]?: PlexTokenUser[K] | undefined }
  /** The user fields the token carries. Default: the `scope` of the client's device JWT, else `DEFAULT_SCOPES`. */
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
    expiresAt: now + PIN_LIFETIME * 1000,
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

/** The JSON of a PIN as plex.tv answers it; `authToken` as given (null until approved). */
export function pinJson(pin: PinRecord, authToken: string | null): Record<string, unknown> {
  return {
    id: pin.id,
    code: pin.code,
    product: pin.product ?? null,
    trusted: false,
    qr: `https://plex.tv/api/v2/pins/qr/${pin.code}`,
    clientIdentifier: pin.clientIdentifier,
    location: { code: 'US', european_union_member: false, continent_code: 'NA', country: 'United States' },
    expiresIn: Math.max(0, Math.ceil((pin.expiresAt - Date.now()) / 1000)),
    createdAt: new Date(pin.createdAt).toISOString(),
    expiresAt: new Date(pin.expiresAt).toISOString(),
    authToken,
    newRegistration: null,
  }
}
