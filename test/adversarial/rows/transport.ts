import { DEFAULT_USER } from '@plexauth/testing'
import { BAD_REQUEST, bearer, MISSING, OK, plexToken, type Row, withBearer } from '../support.js'

const group = 'transport'

export const transportRows: Row[] = [
  // Scheme
  {
    group,
    name: 'scheme in lower case ("bearer")',
    send: ({ plex }) => ({ headers: [bearer(plex.issueToken(), 'bearer')] }),
    expect: OK,
  },
  {
    group,
    name: 'scheme in upper case ("BEARER")',
    send: ({ plex }) => ({ headers: [bearer(plex.issueToken(), 'BEARER')] }),
    expect: OK,
  },
  {
    group,
    name: 'two spaces between scheme and token',
    send: ({ plex }) => ({ headers: [['authorization', `Bearer  ${plex.issueToken()}`]] }),
    expect: OK,
  },
  {
    group,
    name: 'a tab between scheme and token',
    send: ({ plex }) => ({ headers: [['authorization', `Bearer\t${plex.issueToken()}`]] }),
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'Basic credentials only (another scheme is no token)',
    send: () => ({ headers: [['authorization', `Basic ${Buffer.from('admin:admin').toString('base64')}`]] }),
    expect: MISSING,
  },
  {
    group,
    name: 'two bearer credentials in one Authorization header',
    send: ({ plex }) => ({
      headers: [['authorization', `Bearer ${plex.issueToken()}, Bearer ${plex.issueToken()}`]],
    }),
    expect: BAD_REQUEST,
  },

  // Repeated and conflicting sources
  {
    group,
    name: 'Authorization sent twice',
    send: ({ plex }) => ({
      headers: [bearer(plex.issueToken()), bearer(plex.issueToken({ user: { id: 9 } }))],
    }),
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'X-Plex-Token sent twice with the same value',
    send: ({ plex }) => {
      const token = plex.issueToken()
      return { headers: [plexToken(token), plexToken(token)] }
    },
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'X-PLEX-TOKEN and x-plex-token as two lines',
    send: ({ plex }) => {
      const token = plex.issueToken()
      return {
        headers: [
          ['X-PLEX-TOKEN', token],
          ['x-plex-token', token],
        ],
      }
    },
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'Authorization and X-Plex-Token carrying different tokens',
    send: ({ plex }) => ({
      headers: [bearer(plex.issueToken()), plexToken(plex.issueToken({ user: { id: 9 } }))],
    }),
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'Authorization and X-Plex-Token carrying the same token',
    send: ({ plex }) => {
      const token = plex.issueToken()
      return { headers: [bearer(token), plexToken(token)] }
    },
    expect: OK,
  },
  {
    group,
    name: 'X-Plex-Token header name in upper case',
    send: ({ plex }) => ({ headers: [['X-PLEX-TOKEN', plex.issueToken()]] }),
    expect: OK,
  },

  // The query string
  {
    group,
    name: 'a query token where the query source is off',
    send: ({ plex }) => ({ query: `X-Plex-Token=${plex.issueToken()}` }),
    expect: MISSING,
  },
  {
    group,
    name: 'a query token where the query source is on',
    route: 'query',
    send: ({ plex }) => ({ query: `X-Plex-Token=${plex.issueToken()}` }),
    expect: OK,
  },
  {
    group,
    name: 'query "X-Plex-Token[]=" (an array to a qs parser)',
    route: 'query',
    send: ({ plex }) => ({ query: `X-Plex-Token[]=${plex.issueToken()}` }),
    expect: MISSING,
  },
  {
    group,
    name: 'query "X-Plex-Token[a]=" (an object to a qs parser)',
    route: 'query',
    send: ({ plex }) => ({ query: `X-Plex-Token[a]=${plex.issueToken()}&X-Plex-Token[b]=x` }),
    expect: MISSING,
  },
  {
    group,
    name: 'X-Plex-Token twice in the query',
    route: 'query',
    send: ({ plex }) => {
      const token = plex.issueToken()
      return { query: `X-Plex-Token=${token}&X-Plex-Token=${token}` }
    },
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'query and header carrying different tokens',
    route: 'query',
    send: ({ plex }) => ({
      query: `X-Plex-Token=${plex.issueToken()}`,
      headers: [plexToken(plex.issueToken({ user: { id: 9 } }))],
    }),
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'query parameter in lower case ("x-plex-token")',
    route: 'query',
    send: ({ plex }) => ({ query: `x-plex-token=${plex.issueToken()}` }),
    expect: MISSING,
  },

  // Control characters and injection
  {
    group,
    name: 'a NUL percent-encoded into the query token',
    route: 'query',
    send: ({ plex }) => ({ query: `X-Plex-Token=${plex.issueToken()}%00` }),
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'CR LF and a header line percent-encoded into the query token',
    route: 'query',
    send: ({ plex }) => ({ query: `X-Plex-Token=${plex.issueToken()}%0D%0AX-Injected:%20yes` }),
    expect: BAD_REQUEST,
  },
  {
    group,
    name: 'a control character in a header value (the HTTP server refuses it before any adapter)',
    send: ({ plex }) => ({ rawHeaderLines: [`X-Plex-Token: ${plex.issueToken()}\u0001`] }),
    expect: { status: 400, byNode: true },
  },
  {
    group,
    name: 'a token in a cookie or Proxy-Authorization is no token',
    send: ({ plex }) => ({
      headers: [
        ['cookie', `X-Plex-Token=${plex.issueToken()}`],
        ['proxy-authorization', `Bearer ${plex.issueToken()}`],
      ],
    }),
    expect: MISSING,
  },
  {
    group,
    name: 'a guard that throws: a bare 500, the error logged without the token',
    route: 'throws',
    send: ({ plex }) => withBearer(plex.issueToken()),
    expect: { status: 500, code: 'INTERNAL_ERROR', user: DEFAULT_USER.id },
  },
]
