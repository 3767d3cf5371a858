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
  STORE_INSECURE: EXIT_CODES.STORE,
  LOGIN_EXPIRED: EXIT_CODES.LOGIN_EXPIRED,
  ABORTED: EXIT_CODES.INTERRUPTED,
}

/** What to do next, printed under the message. */
const HINTS: Partial<Record<PlexClientErrorCode, string>> = {
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
                             (default $PLEXAUTH_BASE_URL, else the one the stored login came from,
                             else https://plex.tv and https://clients.plex.tv)
  --clients-base-url <url>   clients.plex.tv separately (PINs, refresh, keys)
  --product <name>           X-Plex-Product, shown in your authorized devices (default "plexauth CLI")
  --scopes <list>            user fields in the token (default username,email,friendly_name)
  --refresh                  token: refresh now, even if the stored token is fresh
  --json                     machine-readable output (one JSON object per line)
  -h, --help                 this help
  -v, --version              the version

Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 not logged in, 4 refused by Plex (log in again),
5 Plex unreachable or failing, 6 store unreadable, corrupted or not private, 7 PIN expired, 130 interrupted.
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
function waiting(stderr: CliOutput, expiresAt: Date): () => void {
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

/**
 * Where `plexauth` writes: `process.stdout` and `process.stderr`, or anything with `write` (tests collect the
 * text). `isTTY` turns the waiting spinner on.
 *
 * @example
 * ```ts
 * let text = ''
 * const stdout: CliOutput = { write: (chunk) => (text += chunk) }
 * ```
 */
export interface CliOutput {
  write(text: string): unknown
  readonly isTTY?: boolean
}

/**
 * What `runCli` runs with besides its arguments. Every field defaults to the process's own.
 *
 * @example
 * ```ts
 * let text = ''
 * const output: CliOutput = { write: (chunk) => (text += chunk) }
 * const options: CliOptions = { stdout: output, stderr: output, env: {}, signal: AbortSignal.timeout(60_000) }
 * const exitCode = await runCli(['whoami', '--json'], options)
 * ```
 */
export interface CliOptions {
  /**
   * Default `process.stdout`.
   * @default process.stdout
   */
  stdout?: CliOutput
  /**
   * Default `process.stderr`.
   * @default process.stderr
   */
  stderr?: CliOutput
  /**
   * `PLEXAUTH_STORE`, `PLEXAUTH_BASE_URL`, `XDG_CONFIG_HOME`, `APPDATA`. Default `process.env`.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>
  /**
   * Interrupts `login` (exit 130). Default: the process's SIGINT and SIGTERM while `login` waits.
   * @default the process's SIGINT and SIGTERM
   */
  signal?: AbortSignal
}

interface Io {
  stdout: CliOutput
  stderr: CliOutput
  json: boolean
}

/** The signal that interrupts a login: the caller's, else Ctrl-C (SIGINT) or SIGTERM of this process. */
function interruption(signal: AbortSignal | undefined): { signal: AbortSignal; stop: () => void } {
  if (signal !== undefined) return { signal, stop: () => {} }
  const controller = new AbortController()
  const interrupt = () => controller.abort()
  process.once('SIGINT', interrupt)
  process.once('SIGTERM', interrupt)
  return {
    signal: controller.signal,
    stop: () => {
      process.off('SIGINT', interrupt)
      process.off('SIGTERM', interrupt)
    },
  }
}

async function login(io: Io, client: PlexClient, store: FileStore, interrupt?: AbortSignal): Promise<void> {
  const { stdout, json } = io
  const { signal, stop: stopListening } = interruption(interrupt)
  try {
    const pin = await client.startLogin({ signal })
    if (json) {
      stdout.write(
        `${JSON.stringify({ authUrl: pin.authUrl, code: pin.code, expiresAt: pin.expiresAt.toISOString() })}\n`,
      )
    } else {
      stdout.write(`Open this link to sign in with Plex:\n\n  ${pin.authUrl}\n\nCode: ${pin.code}\n\n`)
    }
    const stop = json ? () => {} : waiting(io.stderr, pin.expiresAt)
    try {
      await client.waitForLogin(pin, { signal })
    } finally {
      stop()
    }
    const identity = await client.getIdentity()
    if (json) {
      stdout.write(`${JSON.stringify({ ...identityJson(identity), store: store.path })}\n`)
    } else {
      const who = identity.user.username ?? identity.user.friendlyName ?? `account ${identity.user.id}`
      const email = identity.user.email === undefined ? '' : ` <${identity.user.email}>`
      stdout.write(
        `Signed in as ${who}${email}. Token stored in ${store.path} (expires in ${remaining(identity.expiresAt)}).\n`,
      )
    }
  } finally {
    stopListening()
  }
}

/** A usage mistake (a `plexauth:` TypeError) exits 2; anything else without a code is a bug, named only. */
function reportUncoded(io: Io, err: unknown): number {
  if (err instanceof TypeError && err.message.startsWith('plexauth:')) {
    io.stderr.write(`${err.message}\n`)
    return EXIT_CODES.USAGE
  }
  io.stderr.write(`plexauth: unexpected error: ${err instanceof Error ? err.name : 'unknown'}\n`)
  return EXIT_CODES.ERROR
}

function report(io: Io, err: unknown, store: FileStore): number {
  if (!isPlexClientError(err)) return reportUncoded(io, err)
  if (io.json) {
    io.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message } })}\n`)
  } else if (err.code === 'NOT_LOGGED_IN') {
    // The library's message says "log in first"; the command line says how, once.
    io.stderr.write(`plexauth: No Plex login is stored in ${store.path}. Run \`plexauth login\` first.\n`)
  } else {
    // STORE_INSECURE names the path itself, with what to fix.
    const where = err.code.startsWith('STORE_') && err.code !== 'STORE_INSECURE' ? ` (${store.path})` : ''
    const hint = HINTS[err.code]
    io.stderr.write(`plexauth: ${err.message}${where}\n${hint === undefined ? '' : `${hint}\n`}`)
  }
  return EXIT_BY_CODE[err.code]
}

/**
 * The plex.tv to talk to: `--base-url`, `--clients-base-url` and `$PLEXAUTH_BASE_URL` when any is given,
 * else the hosts stored with the login (so that a login made with `--base-url` keeps using it), else the
 * client's defaults.
 */
async function hosts(
  values: Parsed['values'],
  env: Readonly<Record<string, string | undefined>>,
  store: FileStore,
): Promise<{ baseUrl?: string; clientsBaseUrl?: string }> {
  const baseUrl = values['base-url'] ?? (env.PLEXAUTH_BASE_URL || undefined)
  const clientsBaseUrl = values['clients-base-url']
  if (baseUrl !== undefined || clientsBaseUrl !== undefined) {
    return {
      ...(baseUrl === undefined ? {} : { baseUrl }),
      ...(clientsBaseUrl === undefined ? {} : { clientsBaseUrl }),
    }
  }
  const stored = await store.load()
  return {
    ...(stored?.baseUrl === undefined ? {} : { baseUrl: stored.baseUrl }),
    ...(stored?.clientsBaseUrl === undefined ? {} : { clientsBaseUrl: stored.clientsBaseUrl }),
  }
}

/**
 * Runs the `plexauth` command line with `argv` (without `node` and the script) and resolves to the exit
 * code. Writes to `options.stdout` and `options.stderr` (default the process's), never exits the process.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(['token', '--json'])
 * ```
 */
export async function runCli(argv: readonly string[], options: CliOptions = {}): Promise<number> {
  const env = options.env ?? process.env
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  const parsed = parse(argv)
  if ('problem' in parsed) {
    stderr.write(`plexauth: ${parsed.problem}\n\n${USAGE}`)
    return EXIT_CODES.USAGE
  }
  const { values, positionals } = parsed
  if (values.help) {
    stdout.write(USAGE)
    return EXIT_CODES.OK
  }
  if (values.version) {
    stdout.write(`${version()}\n`)
    return EXIT_CODES.OK
  }
  const [command, ...extra] = positionals
  if (
    command === undefined ||
    !['login', 'token', 'whoami', 'logout'].includes(command) ||
    extra.length > 0
  ) {
    const problem =
      command === undefined
        ? 'a command is required'
        : `unknown command: ${printable([command, ...extra].join(' '))}`
    stderr.write(`plexauth: ${problem}\n\n${USAGE}`)
    return EXIT_CODES.USAGE
  }
  const io: Io = { stdout, stderr, json: values.json === true }
  let store: FileStore
  try {
    store = fileStore(values.store ?? defaultStorePath(env))
  } catch (err) {
    // `--store ''`: fileStore's own usage error.
    return reportUncoded(io, err)
  }
  try {
    const client = createPlexClient({
      product: values.product ?? 'plexauth CLI',
      store,
      ...(await hosts(values, env, store)),
      ...(values.scopes === undefined
        ? {}
        : { scopes: values.scopes.split(',').map((scope) => scope.trim()) as PlexScope[] }),
    })
    switch (command) {
      case 'login':
        await login(io, client, store, options.signal)
        break
      case 'token': {
        const token = await client.getToken({ forceRefresh: values.refresh === true })
        if (io.json) {
          const identity = await client.getIdentity()
          stdout.write(`${JSON.stringify({ token, expiresAt: iso(identity.expiresAt) })}\n`)
        } else {
          stdout.write(`${token}\n`)
        }
        break
      }
      case 'whoami': {
        const identity = await client.getIdentity()
        stdout.write(io.json ? `${JSON.stringify(identityJson(identity))}\n` : `${identityText(identity)}\n`)
        break
      }
      case 'logout':
        await client.logout()
        stdout.write(
          io.json
            ? `${JSON.stringify({ loggedOut: true })}\n`
            : `Logged out: token and device key removed from ${store.path}.\n`,
        )
        break
    }
    return EXIT_CODES.OK
  } catch (err) {
    return report(io, err, store)
  }
}

const OPTIONS = {
  store: { type: 'string' },
  'base-url': { type: 'string' },
  'clients-base-url': { type: 'string' },
  product: { type: 'string' },
  scopes: { type: 'string' },
  refresh: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

interface Parsed {
  values: {
    [name in keyof typeof OPTIONS]?: (typeof OPTIONS)[name]['type'] extends 'string' ? string : boolean
  }
  positionals: string[]
}

/** The user's own text, echoed in a message: control characters dropped, cut short. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?')
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean
}

/**
 * Parses the arguments leniently, then judges every option itself, so that a mistake gets the command
 * line's own message instead of Node's parseArgs text.
 */
function parse(argv: readonly string[]): Parsed | { problem: string } {
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: OPTIONS,
  })
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const option = Object.hasOwn(OPTIONS, token.name)
      ? OPTIONS[token.name as keyof typeof OPTIONS]
      : undefined
    const name = printable(token.rawName)
    if (option === undefined) return { problem: `unknown option ${name}` }
    if (option.type === 'boolean' && token.value !== undefined) return { problem: `${name} takes no value` }
    if (
      option.type === 'string' &&
      (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))
    ) {
      return { problem: `${name} needs a value` }
    }
  }
  return { values: values as Parsed['values'], positionals }
}
