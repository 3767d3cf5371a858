import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { PlexJwtIdentity } from '@plexauth/core'
import { createPlexClient, type PlexClient } from './create-plex-client.js'
import { isPlexClientError, type PlexClientErrorCode } from './errors.js'
import { type FileStore, fileStore } from './file-store.js'
import type { PlexScope } from './resolve-options.js'

/**
 * Exit codes of `plexauth`, documented in the README.
 *
 * @example
 * ```ts
 * process.exitCode = EXIT_CODES.NOT_LOGGED_IN
 * ```
 */
export const EXIT_CODES = Object.freeze({
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  NOT_LOGGED_IN: 3,
  REJECTED: 4,
  UNAVAILABLE: 5,
  STORE: 6,
  LOGIN_EXPIRED: 7,
  INTERRUPTED: 130,
})

const EXIT_BY_CODE: Record<PlexClientErrorCode, number> = {
  NOT_LOGGED_IN: EXIT_CODES.NOT_LOGGED_IN,
  UNAUTHORIZED: EXIT_CODES.REJECTED,
  TOKEN_EXPIRED: EXIT_CODES.REJECTED,
  SIGNATURE_REJECTED: EXIT_CODES.REJECTED,
  THUMBPRINT_TAKEN: EXIT_CODES.REJECTED,
  THUMBPRINT_MISMATCH: EXIT_CODES.REJECTED,
  TOKEN_INVALID: EXIT_CODES.REJECTED,
  NETWORK_ERROR: EXIT_CODES.UNAVAILABLE,
  TIMEOUT: EXIT_CODES.UNAVAILABLE,
  RATE_LIMITED: EXIT_CODES.UNAVAILABLE,
  HTTP_ERROR: EXIT_CODES.UNAVAILABLE,
  RESPONSE_INVALID: EXIT_CODES.UNAVAILABLE,
  RESPONSE_TOO_LARGE: EXIT_CODES.UNAVAILABLE,
  KEYS_UNAVAILABLE: EXIT_CODES.UNAVAILABLE,
  STORE_CORRUPT: EXIT_CODES.STORE,
  STORE_FAILED: EXIT_CODES.STORE,
  LOGIN_EXPIRED: EXIT_CODES.LOGIN_EXPIRED,
  ABORTED: EXIT_CODES.INTERRUPTED,
}

const HINTS: Partial<Record<PlexClientErrorCode, string>> = {
  NOT_LOGGED_IN: 'Run `plexauth login` first.',
  STORE_CORRUPT: 'Move or delete the store file, then run `plexauth login` again.',
  SIGNATURE_REJECTED: 'The device may have been removed on plex.tv: run `plexauth login` again.',
  THUMBPRINT_MISMATCH: 'Run `plexauth login` again.',
  UNAUTHORIZED: 'Run `plexauth login` again.',
  LOGIN_EXPIRED: 'Run `plexauth login` again and approve before the code expires.',
}

const USAGE = `Usage: plexauth <command> [options]

Commands:
  login     sign in with Plex: prints a link and a code, waits for approval, stores the token
  token     print a fresh Plex JWT (refreshed when less than a day remains)
  whoami    print the verified identity and expiry of the stored token
  logout    forget the stored token and device key

Options:
  --store <path>             where the login is kept
                             (default $PLEXAUTH_STORE, else ~/.config/plexauth/plex.json)
  --base-url <url>           plex.tv to talk to, for every plex.tv and clients.plex.tv call
                             (default $PLEXAUTH_BASE_URL, else https://plex.tv and https://clients.plex.tv)
  --clients-base-url <url>   clients.plex.tv separately (PINs, refresh, keys)
  --product <name>           X-Plex-Product, shown in your authorized devices (default "plexauth CLI")
  --scopes <list>            user fields in the token (default username,email,friendly_name)
  --refresh                  token: refresh now, even if the stored token is fresh
  --json                     machine-readable output (one JSON object per line)
  -h, --help                 this help
  -v, --version              the version

Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 not logged in, 4 refused by Plex (log in again),
5 Plex unreachable or failing, 6 store unreadable or corrupted, 7 PIN expired, 130 interrupted.
`

function defaultStorePath(env: NodeJS.ProcessEnv): string {
  if (env.PLEXAUTH_STORE) return env.PLEXAUTH_STORE
  const base =
    process.platform === 'win32' && env.APPDATA
      ? env.APPDATA
      : env.XDG_CONFIG_HOME
        ? env.XDG_CONFIG_HOME
        : join(homedir(), '.config')
  return join(base, 'plexauth', 'plex.json')
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString()
}

function remaining(seconds: number): string {
  const left = Math.max(0, Math.round(seconds - Date.now() / 1000))
  const days = Math.floor(left / 86_400)
  const hours = Math.floor((left % 86_400) / 3600)
  const minutes = Math.floor((left % 3600) / 60)
  return days > 0 ? `${days}d ${hours}h` : hours > 0 ? `${hours}h ${minutes}m` : `${minutes}m`
}

function identityJson(identity: PlexJwtIdentity): Record<string, unknown> {
  return {
    user: identity.user,
    scopes: identity.scopes,
    clientIdentifier: identity.clientIdentifier,
    thumbprint: identity.thumbprint,
    issuedAt: iso(identity.issuedAt),
    expiresAt: iso(identity.expiresAt),
  }
}

function identityText(identity: PlexJwtIdentity): string {
  const { user } = identity
  const rows: [string, string | number | undefined][] = [
    ['username', user.username],
    ['email', user.email],
    ['friendly name', user.friendlyName],
    ['account id', user.id],
    ['uuid', user.uuid],
    ['scopes', identity.scopes.join(', ')],
    ['client identifier', identity.clientIdentifier],
    ['device key (kid)', identity.thumbprint],
    ['issued', iso(identity.issuedAt)],
    ['expires', `${iso(identity.expiresAt)} (in ${remaining(identity.expiresAt)})`],
  ]
  return rows
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([name, value]) => `${`${name}:`.padEnd(19)}${value}`)
    .join('\n')
}

/** A spinner on a terminal, one line otherwise; the returned function clears it. */
function waiting(expiresAt: Date): () => void {
  const { stderr } = process
  if (!stderr.isTTY) {
    stderr.write('Waiting for approval...\n')
    return () => {}
  }
  const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'
  let frame = 0
  const draw = () => {
    const left = Math.max(0, Math.round((expiresAt.getTime() - Date.now()) / 1000))
    const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`
    stderr.write(`\r${frames[frame++ % frames.length]} Waiting for approval (the code expires in ${clock}) `)
  }
  draw()
  const timer = setInterval(draw, 100)
  return () => {
    clearInterval(timer)
    stderr.write('\r\x1b[K')
  }
}

async function login(client: PlexClient, store: FileStore, json: boolean): Promise<void> {
  const controller = new AbortController()
  const interrupt = () => controller.abort()
  process.once('SIGINT', interrupt)
  process.once('SIGTERM', interrupt)
  try {
    const pin = await client.startLogin({ signal: controller.signal })
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ authUrl: pin.authUrl, code: pin.code, expiresAt: pin.expiresAt.toISOString() })}\n`,
      )
    } else {
      process.stdout.write(
        `Open this link to sign in with Plex:\n\n  ${pin.authUrl}\n\nCode: ${pin.code}\n\n`,
      )
    }
    const stop = json ? () => {} : waiting(pin.expiresAt)
    try {
      await client.waitForLogin(pin, { signal: controller.signal })
    } finally {
      stop()
    }
    const identity = await client.getIdentity()
    if (json) {
      process.stdout.write(`${JSON.stringify({ ...identityJson(identity), store: store.path })}\n`)
    } else {
      const who = identity.user.username ?? identity.user.friendlyName ?? `account ${identity.user.id}`
      const email = identity.user.email === undefined ? '' : ` <${identity.user.email}>`
      process.stdout.write(
        `Signed in as ${who}${email}. Token stored in ${store.path} (expires in ${remaining(identity.expiresAt)}).\n`,
      )
    }
  } finally {
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
  }
}

function report(err: unknown, json: boolean, store: FileStore | undefined): number {
  if (err instanceof TypeError && err.message.startsWith('plexauth:')) {
    process.stderr.write(`${err.message}\n`)
    return EXIT_CODES.USAGE
  }
  if (!isPlexClientError(err)) {
    process.stderr.write(`plexauth: unexpected error: ${err instanceof Error ? err.name : 'unknown'}\n`)
    return EXIT_CODES.ERROR
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message } })}\n`)
  } else {
    const where = err.code.startsWith('STORE_') && store !== undefined ? ` (${store.path})` : ''
    const hint = HINTS[err.code]
    process.stderr.write(`plexauth: ${err.message}${where}\n${hint === undefined ? '' : `${hint}\n`}`)
  }
  return EXIT_BY_CODE[err.code]
}

/**
 * Runs the `plexauth` command line with `argv` (without `node` and the script) and resolves to the exit
 * code. Writes to `process.stdout` and `process.stderr`.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(['token', '--json'])
 * ```
 */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (err) {
    process.stderr.write(`plexauth: ${err instanceof Error ? err.message : 'bad arguments'}\n\n${USAGE}`)
    return EXIT_CODES.USAGE
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(USAGE)
    return EXIT_CODES.OK
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`)
    return EXIT_CODES.OK
  }
  const [command, ...extra] = positionals
  if (
    command === undefined ||
    !['login', 'token', 'whoami', 'logout'].includes(command) ||
    extra.length > 0
  ) {
    const problem =
      command === undefined ? 'a command is required' : `unknown command: ${[command, ...extra].join(' ')}`
    process.stderr.write(`plexauth: ${problem}\n\n${USAGE}`)
    return EXIT_CODES.USAGE
  }
  const json = values.json === true
  let store: FileStore | undefined
  try {
    store = fileStore(values.store ?? defaultStorePath(env))
    const baseUrl = values['base-url'] ?? (env.PLEXAUTH_BASE_URL || undefined)
    const client = createPlexClient({
      product: values.product ?? 'plexauth CLI',
      store,
      ...(baseUrl === undefined ? {} : { baseUrl }),
      ...(values['clients-base-url'] === undefined ? {} : { clientsBaseUrl: values['clients-base-url'] }),
      ...(values.scopes === undefined
        ? {}
        : { scopes: values.scopes.split(',').map((scope) => scope.trim()) as PlexScope[] }),
    })
    switch (command) {
      case 'login':
        await login(client, store, json)
        break
      case 'token': {
        const token = await client.getToken({ forceRefresh: values.refresh === true })
        if (json) {
          const identity = await client.getIdentity()
          process.stdout.write(`${JSON.stringify({ token, expiresAt: iso(identity.expiresAt) })}\n`)
        } else {
          process.stdout.write(`${token}\n`)
        }
        break
      }
      case 'whoami': {
        const identity = await client.getIdentity()
        process.stdout.write(
          json ? `${JSON.stringify(identityJson(identity))}\n` : `${identityText(identity)}\n`,
        )
        break
      }
      case 'logout':
        await client.logout()
        process.stdout.write(
          json
            ? `${JSON.stringify({ loggedOut: true })}\n`
            : `Logged out: token and device key removed from ${store.path}.\n`,
        )
        break
    }
    return EXIT_CODES.OK
  } catch (err) {
    return report(err, json, store)
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      store: { type: 'string' },
      'base-url': { type: 'string' },
      'clients-base-url': { type: 'string' },
      product: { type: 'string' },
      scopes: { type: 'string' },
      refresh: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  })
}
