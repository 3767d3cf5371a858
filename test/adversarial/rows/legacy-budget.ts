import { randomBytes } from 'node:crypto'
import { DEFAULT_CLIENT_IDENTIFIER, PLEX_PATHS } from '@plexauth/testing'
import { expect } from 'vitest'
import { type Expect, plexToken, type Req, type Row } from '../support.js'

/**
 * Issue 11: one global bucket of legacy-token lookups served everybody, so one client sending random
 * legacy-shaped tokens made every other client's first lookup 503. Each client (address, as the framework
 * reports it) now has its own budget (1 a second, bursts of 3) in front of the global one (10 a second),
 * and a token plex.tv refused recently is answered from the cache without spending any. The clock is frozen:
 * no bucket refills during the row.
 */

const FLOODER = '127.0.0.2'
/** Seven others: the global bucket (10) minus the flooder's burst (3). */
const OTHERS = Array.from({ length: 7 }, (_, i) => `127.0.0.${10 + i}`)
const ACCOUNT_ID = 4242

const randomLegacy = (): string => randomBytes(15).toString('base64url')
const from = (address: string, token: string): Req => ({ from: address, headers: [plexToken(token)] })

const INVALID: Expect = { status: 401, code: 'TOKEN_INVALID' }
const WAIT: Expect = { status: 503, code: 'PLEX_UNAVAILABLE', retryAfter: '1' }

let refused: string[] = []

export const legacyBudgetRows: Row[] = [
  {
    group: 'availability',
    name: "a client flooding random legacy tokens spends its own budget, never the others' first lookups",
    ownPlex: true,
    route: ({ own }) => ({
      jwksUrl: own.jwksUrl,
      clientIdentifier: DEFAULT_CLIENT_IDENTIFIER,
      legacyTokens: true,
      plexTvUrl: own.url,
    }),
    setup: ({ own }) => {
      own.addAccount({ id: ACCOUNT_ID, username: 'patient' })
      refused = Array.from({ length: 3 }, randomLegacy)
    },
    phases: [
      // The flooder's burst: three lookups, which plex.tv answers 401.
      { send: () => refused.map((token) => from(FLOODER, token)), expect: INVALID },
      // Beyond its budget, the flooder waits (503 with Retry-After), and plex.tv is not asked.
      { send: () => Array.from({ length: 30 }, () => from(FLOODER, randomLegacy())), expect: WAIT },
      // Tokens plex.tv refused a moment ago cost no budget: the negative cache answers 401, not 503.
      { send: () => refused.map((token) => from(FLOODER, token)), expect: INVALID },
      // Every other client's first lookup goes through.
      {
        send: ({ own }) =>
          OTHERS.map((address) => from(address, own.createLegacyToken({ accountId: ACCOUNT_ID }))),
        expect: { status: 200, user: ACCOUNT_ID, kind: 'legacy' },
      },
    ],
    check: ({ own }, run) => {
      // Per framework: the flooder's three lookups and one per other client, nothing for the rest.
      expect(own.requests(PLEX_PATHS.user)).toBe(run.frameworks * (refused.length + OTHERS.length))
    },
  },
]
