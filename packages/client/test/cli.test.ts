import { spawn } from 'node:child_process'
import { chmod, chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PlexJwtIdentity } from '@plexauth/core'
import {
  createFakePlex,
  type FakePlex,
  PLEX_PATHS,
  PLEX_TOKEN_LIFETIME,
  STRONG_PIN_LIFETIME,
} from '@plexauth/testing'
import { afterAll, beforeAll, describe, expect, onTestFinished, test, vi } from 'vitest'
import { createPlexClient, type PlexClient } from '../src/create-plex-client.js'
import { PlexClientError, type PlexClientErrorCode } from '../src/errors.js'
import { type CliOptions, runCli } from '../src/run-cli.js'
import { advance, useFakeDate, verifyAsServer } from './helpers.js'

// createPlexClient passed through: a test can stand in a client of its own for one run.
vi.mock('../src/create-plex-client.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/create-plex-client.js')>()
  return { ...real, createPlexClient: vi.fn(real.createPlexClient) }
})

/** The next run's client is a stand-in whose `getIdentity` (all that `whoami` asks) answers as given. */
function nextClient(getIdentity: () => Promise<PlexJwtIdentity>): void {
  vi.mocked(createPlexClient).mockImplementationOnce(() => ({ getIdentity }) as unknown as PlexClient)
}

interface Run {
  /** Resolves with the first match of `pattern` in what was written to stdout so far or later. */
  stdoutMatch(pattern: RegExp): Promise<RegExpExecArray>
  exit: Promise<{ code: number; stdout: string; stderr: string }>
}

/** Runs `plexauth` in this process, its output collected, with an empty environment unless given one. */
function plexauth(args: string[], options: Omit<CliOptions, 'stdout' | 'stderr'> = {}): Run {
  let stdout = ''
  let stderr = ''
  const watchers: { pattern: RegExp; resolve: (match: RegExpExecArray) => void }[] = []
  const exit = runCli(args, {
    env: {},
    ...options,
    stdout: {
      write: (text: string) => {
        stdout += text
        for (const watcher of watchers.splice(0)) {
          const match = watcher.pattern.exec(stdout)
          if (match) watcher.resolve(match)
          else watchers.push(watcher)
        }
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text
      },
    },
  }).then((code) => ({ code, stdout, stderr }))
  return {
    stdoutMatch: (pattern) =>
      new Promise((resolve, reject) => {
        const match = pattern.exec(stdout)
        if (match) return resolve(match)
        watchers.push({ pattern, resolve })
        exit.then(() =>
          reject(new Error(`plexauth exited before printing ${pattern}:\n${stdout}\n${stderr}`)),
        )
      }),
    exit,
  }
}

let plex: FakePlex
let dir: string
let store: string
const withFake = (...args: string[]) => [...args, '--base-url', plex.url, '--store', store]
const stored = async () => JSON.parse(await readFile(store, 'utf8'))

beforeAll(async () => {
  plex = await createFakePlex()
  dir = await mkdtemp(join(tmpdir(), 'plexauth-cli-'))
  store = join(dir, 'config', 'plex.json')
})
afterAll(async () => {
  await plex.close()
  await rm(dir, { recursive: true, force: true })
})

describe('plexauth command line, as a user runs it', () => {
  test('login: prints the link and code, waits while the test approves the PIN, stores the token (exit 0)', async () => {
    const run = plexauth(withFake('login'))
    const [, code] = await run.stdoutMatch(/^Code: (\S+)$/m)
    const [printed] = await run.stdoutMatch(/[\s\S]*/)
    expect(printed).toContain('https://app.plex.tv/auth#?clientID=')
    expect(printed).toContain(`code=${code}`)
    expect(printed).toMatch(/^Open this link to sign in with Plex:\n\n {2}https:\/\/\S+\n\nCode: \S+\n\n$/)
    await expect.poll(() => plex.requests(PLEX_PATHS.pin), { interval: 10 }).toBeGreaterThanOrEqual(1)
    plex.approvePin(code!)
    const { code: exitCode, stdout, stderr } = await run.exit
    expect(exitCode, stderr).toBe(0)
    expect(stdout).toContain(`Signed in as ${plex.account.username} <${plex.account.email}>`)
    expect(stderr).toContain('Waiting for approval')
    // Without --product, plex.tv sees the command line's own name.
    expect(plex.log.map((entry) => entry.headers['x-plex-product'])).toContain('plexauth CLI')
    const state = await stored()
    expect(state.token).toEqual(expect.any(String))
    expect((await stat(store)).mode & 0o777).toBe(0o600)
  })

  test('token prints a verified JWT for scripts; whoami --json and token --json describe it (exit 0)', async () => {
    const [token, whoami, tokenJson] = await Promise.all([
      plexauth(withFake('token')).exit,
      plexauth(withFake('whoami', '--json')).exit,
      plexauth(withFake('token', '--json')).exit,
    ])
    for (const run of [token, whoami, tokenJson]) expect(run.code, run.stderr).toBe(0)
    const { clientIdentifier, device } = await stored()
    const jwt = token.stdout.trim()
    const identity = await verifyAsServer(plex, jwt, clientIdentifier)
    expect(identity.thumbprint).toBe(device.kid)
    expect(JSON.parse(whoami.stdout)).toEqual({
      user: {
        id: plex.account.id,
        uuid: plex.account.uuid,
        username: plex.account.username,
        email: plex.account.email,
        friendlyName: plex.account.friendly_name,
      },
      scopes: ['username', 'email', 'friendly_name'],
      clientIdentifier,
      thumbprint: device.kid,
      issuedAt: new Date(identity.issuedAt * 1000).toISOString(),
      expiresAt: new Date(identity.expiresAt * 1000).toISOString(),
    })
    expect(JSON.parse(tokenJson.stdout)).toEqual({
      token: jwt,
      expiresAt: new Date(identity.expiresAt * 1000).toISOString(),
    })
  })

  test('the base URL is kept with the login: a plain whoami and token (no --base-url) use it', async () => {
    const state = await stored()
    expect([state.baseUrl, state.clientsBaseUrl]).toEqual([plex.url, plex.url])
    const keysBefore = plex.requests(PLEX_PATHS.keys)
    const whoami = await plexauth(['whoami', '--json', '--store', store]).exit
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(JSON.parse(whoami.stdout).user.username).toBe(plex.account.username)
    const token = await plexauth(['token', '--store', store]).exit
    expect(token.code, token.stderr).toBe(0)
    expect((await verifyAsServer(plex, token.stdout.trim(), state.clientIdentifier)).thumbprint).toBe(
      state.device.kid,
    )
    // Asked the fake for its keys: the stored host, not plex.tv.
    expect(plex.requests(PLEX_PATHS.keys)).toBeGreaterThan(keysBefore)

    // An explicit --base-url or $PLEXAUTH_BASE_URL wins over the stored one.
    const other = await createFakePlex()
    try {
      await plexauth(['whoami', '--store', store, '--base-url', other.url]).exit
      await plexauth(['whoami', '--store', store], { env: { PLEXAUTH_BASE_URL: other.url } }).exit
      expect(other.requests(PLEX_PATHS.keys)).toBe(2)
    } finally {
      await other.close()
    }
  })

  test('plex.tv unreachable: token exits 5 and keeps the stored login', async () => {
    const before = await readFile(store, 'utf8')
    plex.fail(PLEX_PATHS.keys, 'down')
    try {
      const { code, stderr } = await plexauth(withFake('token')).exit
      expect(code).toBe(5)
      expect(stderr).toContain('Plex signing keys are unavailable')
    } finally {
      plex.recover()
    }
    expect(await readFile(store, 'utf8')).toBe(before)
  })

  test('logout forgets the login (exit 0); token afterwards exits 3 with a hint, whoami --json with a JSON error', async () => {
    const logout = await plexauth(withFake('logout')).exit
    expect([logout.code, logout.stdout]).toEqual([
      0,
      `Logged out: token and device key removed from ${store}.\n`,
    ])
    expect(await stored()).toEqual({ version: 1, clientIdentifier: expect.any(String) })
    const [token, whoami] = await Promise.all([
      plexauth(withFake('token')).exit,
      plexauth(withFake('whoami', '--json')).exit,
    ])
    expect([token.code, token.stdout]).toEqual([3, ''])
    expect(token.stderr).toContain('Run `plexauth login` first.')
    expect(whoami.code).toBe(3)
    expect(JSON.parse(whoami.stdout)).toEqual({
      error: { code: 'NOT_LOGGED_IN', message: 'No Plex login is stored: log in first' },
    })
  })

  test('not logged in: the message says it once, with the store and what to run', async () => {
    const { code, stderr } = await plexauth(withFake('whoami')).exit
    expect(code).toBe(3)
    expect(stderr).toBe(`plexauth: No Plex login is stored in ${store}. Run \`plexauth login\` first.\n`)
  })

  test('usage: --help exits 0; an unknown command or option, a non-https URL exit 2', async () => {
    const runs = await Promise.all([
      plexauth(['--help']).exit,
      plexauth(['frobnicate']).exit,
      plexauth(['token', '--colour']).exit,
      plexauth(['token', '--base-url', 'http://plex.example.com', '--store', store]).exit,
    ])
    expect(runs.map((run) => run.code)).toEqual([0, 2, 2, 2])
    expect(runs[0]!.stdout).toContain('Exit codes:')
    expect(runs[1]!.stderr).toContain('unknown command: frobnicate')
    expect(runs[2]!.stderr).toContain('unknown option --colour')
    expect(runs[3]!.stderr).toContain('baseUrl must use https')
  })

  test("usage mistakes get the command line's own message, never Node's parseArgs text (exit 2)", async () => {
    const cases: [string[], string][] = [
      [['token', '--colour'], 'plexauth: unknown option --colour\n'],
      [['token', '-x'], 'plexauth: unknown option -x\n'],
      [['token', '--store'], 'plexauth: --store needs a value\n'],
      [['token', '--store', '--json'], 'plexauth: --store needs a value\n'],
      [['token', '--store', '-v'], 'plexauth: --store needs a value\n'],
      [['token', '--constructor'], 'plexauth: unknown option --constructor\n'],
      [['token', '--no-json'], 'plexauth: unknown option --no-json\n'],
      [['token', '--json=yes'], 'plexauth: --json takes no value\n'],
      [['token', '--\x1b[31mred'], 'plexauth: unknown option --?[31mred\n'],
    ]
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await plexauth(args).exit
      expect([code, stdout], args.join(' ')).toEqual([2, ''])
      expect(stderr.startsWith(message), stderr).toBe(true)
      expect(stderr).toContain('Usage: plexauth <command> [options]')
      expect(stderr).not.toMatch(/Unknown option|To specify a positional|argument missing|ambiguous/)
    }
    // Values that merely look like options are fine when attached with `=`.
    const attached = await plexauth([
      'token',
      `--store=${join(dir, 'never-written.json')}`,
      '--product=-dashed',
    ]).exit
    expect(attached.code, attached.stderr).toBe(3)
    // `--` ends the options.
    const ended = await plexauth(['token', '--store', join(dir, 'never-written.json'), '--']).exit
    expect(ended.code, ended.stderr).toBe(3)
  })

  test('a corrupted store: exit 6, the file left as it was', async () => {
    const corrupted = join(dir, 'corrupted.json')
    await writeFile(corrupted, '{"version":1,"clientIdentifier":', { mode: 0o600 })
    const runs = await Promise.all(
      ['token', 'login'].map(
        (command) => plexauth([command, '--base-url', plex.url, '--store', corrupted]).exit,
      ),
    )
    for (const run of runs) {
      expect(run.code).toBe(6)
      expect(run.stderr).toContain(`The stored Plex login is corrupted; it was left untouched (${corrupted})`)
    }
    expect(await readFile(corrupted, 'utf8')).toBe('{"version":1,"clientIdentifier":')
  })

  test.skipIf(process.platform === 'win32')(
    'a store planted by another user (0644, not ours): login exits 6 before asking plex.tv, saying what to fix',
    async () => {
      const planted = join(dir, 'planted.json')
      const text = JSON.stringify({ version: 1, clientIdentifier: 'planted' })
      await writeFile(planted, text, { mode: 0o644 })
      await chmod(planted, 0o644)
      const asRoot = process.getuid?.() === 0
      if (asRoot) await chown(planted, 65534, 65534)
      const before = plex.log.length
      const { code, stdout, stderr } = await plexauth(['login', '--base-url', plex.url, '--store', planted])
        .exit
      expect([code, stdout]).toEqual([6, ''])
      expect(stderr).toContain(
        asRoot ? `${planted} is owned by uid 65534, not by you (uid 0)` : `chmod 600 ${planted}`,
      )
      expect(stderr).toContain('The Plex login store is not private to this user, so it was not used')
      expect(plex.log.length).toBe(before)
      expect(await readFile(planted, 'utf8')).toBe(text)
    },
  )

  test('interrupted while login waits (the signal): exit 130, nothing stored but the device key', async () => {
    const controller = new AbortController()
    const run = plexauth(withFake('login'), { signal: controller.signal })
    await run.stdoutMatch(/^Code: \S+$/m)
    controller.abort()
    const { code } = await run.exit
    expect(code).toBe(130)
    expect((await stored()).token).toBeUndefined()
  })
})

describe('plexauth command line, the rest of its surface', () => {
  test('--version and -v print the package version; -h prints the usage (exit 0)', async () => {
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
    for (const flag of ['--version', '-v']) {
      const run = await plexauth([flag]).exit
      expect([run.code, run.stdout, run.stderr]).toEqual([0, `${version}\n`, ''])
    }
    const help = await plexauth(['-h']).exit
    expect([help.code, help.stdout.startsWith('Usage: plexauth <command> [options]')]).toEqual([0, true])
    // Asked for both, the help wins.
    expect(await plexauth(['-v', '-h']).exit).toEqual({ code: 0, stdout: help.stdout, stderr: '' })
    const none = await plexauth([]).exit
    expect([none.code, none.stderr.startsWith('plexauth: a command is required\n')]).toEqual([2, true])
  })

  test('login --json: one line with the PIN, one with the identity and the store; logout --json', async () => {
    const own = join(dir, 'json', 'plex.json')
    const run = plexauth(['login', '--json', '--base-url', plex.url, '--store', own])
    const [first] = await run.stdoutMatch(/^.*\n/)
    const pin = JSON.parse(first)
    expect(Object.keys(pin)).toEqual(['authUrl', 'code', 'expiresAt'])
    expect(pin.authUrl).toContain(`code=${pin.code}`)
    plex.approvePin(pin.code)
    const { code, stdout, stderr } = await run.exit
    expect(code, stderr).toBe(0)
    expect(stderr).toBe('')
    const lines = stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    const signedIn = JSON.parse(lines[1]!)
    expect(signedIn).toMatchObject({
      user: { id: plex.account.id, username: plex.account.username },
      scopes: ['username', 'email', 'friendly_name'],
      store: own,
    })
    const logout = await plexauth(['logout', '--json', '--store', own]).exit
    expect([logout.code, logout.stdout]).toEqual([0, '{"loggedOut":true}\n'])
  })

  test('on a terminal, login draws a spinner on stderr and clears it once approved', async () => {
    const own = join(dir, 'tty', 'plex.json')
    let stderr = ''
    let stdout = ''
    let approved = false
    const exit = runCli(['login', '--base-url', plex.url, '--store', own], {
      env: {},
      stdout: {
        write: (text: string) => {
          stdout += text
          const code = /^Code: (\S+)$/m.exec(stdout)?.[1]
          if (code !== undefined && !approved) {
            approved = true
            plex.approvePin(code)
          }
        },
      },
      stderr: { isTTY: true, write: (text: string) => (stderr += text) },
    })
    expect(await exit, stderr).toBe(0)
    expect(stderr).toMatch(/^\r\S Waiting for approval \(the code expires in \d+:\d\d\) /)
    expect(stderr.endsWith('\r\x1b[K')).toBe(true)
    expect(stderr).not.toContain('Waiting for approval...\n')
  })

  test('--product and --scopes reach plex.tv and the token; an unknown scope is a usage error (exit 2)', async () => {
    const own = join(dir, 'scopes', 'plex.json')
    const run = plexauth([
      'login',
      '--json',
      '--product',
      'Scripted Thing',
      '--scopes',
      'username, email',
      '--base-url',
      plex.url,
      '--store',
      own,
    ])
    const [first] = await run.stdoutMatch(/^.*\n/)
    plex.approvePin(JSON.parse(first).code)
    const { code, stdout } = await run.exit
    expect(code).toBe(0)
    expect(JSON.parse(stdout.trim().split('\n')[1]!).scopes).toEqual(['username', 'email'])
    expect(
      plex.log.filter((entry) => entry.headers['x-plex-product'] === 'Scripted Thing').length,
    ).toBeGreaterThan(0)
    const bad = await plexauth(['token', '--scopes', 'admin', '--store', own]).exit
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('plexauth: unknown scope "admin"')
  })
})

describe('plexauth command line: its signal listeners, --refresh and $PLEXAUTH_BASE_URL', () => {
  /** A login to `own` through the fake, approved by the test. */
  async function loginTo(own: string): Promise<void> {
    const run = plexauth(['login', '--base-url', plex.url, '--store', own])
    const [, code] = await run.stdoutMatch(/^Code: (\S+)$/m)
    plex.approvePin(code as string)
    const { code: exit, stderr } = await run.exit
    expect(exit, stderr).toBe(0)
  }

  test('login listens for SIGINT and SIGTERM only while it runs, whether it succeeds or fails', async () => {
    const listeners = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]
    const before = listeners()
    const own = join(dir, 'listeners', 'plex.json')
    const run = plexauth(['login', '--base-url', plex.url, '--store', own])
    const [, code] = await run.stdoutMatch(/^Code: (\S+)$/m)
    expect(listeners()).toEqual([before[0]! + 1, before[1]! + 1])
    plex.approvePin(code as string)
    const done = await run.exit
    expect(done.code, done.stderr).toBe(0)
    expect(listeners()).toEqual(before)

    plex.fail(PLEX_PATHS.pins, { status: 503 }, { times: 1 })
    const failed = await plexauth(['login', '--base-url', plex.url, '--store', own]).exit
    expect(failed.code).toBe(5)
    expect(listeners()).toEqual(before)
  })

  test('token --refresh asks plex.tv for a new token even when the stored one is fresh; token alone does not', async () => {
    const own = join(dir, 'refresh', 'plex.json')
    await loginTo(own)
    const { token: first } = JSON.parse(await readFile(own, 'utf8'))
    const nonces = plex.requests(PLEX_PATHS.nonce)
    const plain = await plexauth(['token', '--store', own]).exit
    expect([plain.code, plain.stdout]).toEqual([0, `${first}\n`])
    expect(plex.requests(PLEX_PATHS.nonce)).toBe(nonces)

    const refreshed = await plexauth(['token', '--refresh', '--store', own]).exit
    expect(refreshed.code, refreshed.stderr).toBe(0)
    const second = refreshed.stdout.trim()
    expect(second).not.toBe(first)
    expect(plex.requests(PLEX_PATHS.nonce)).toBe(nonces + 1)
    // Refreshed with the hosts stored with the login, which stay stored.
    expect(JSON.parse(await readFile(own, 'utf8'))).toMatchObject({
      token: second,
      baseUrl: plex.url,
      clientsBaseUrl: plex.url,
    })
  })

  test('--base-url wins over $PLEXAUTH_BASE_URL', async () => {
    const own = join(dir, 'base-url-wins', 'plex.json')
    const env = { PLEXAUTH_BASE_URL: 'http://plain.example.com' }
    const given = await plexauth(['whoami', '--base-url', plex.url, '--store', own], { env }).exit
    expect([given.code, given.stderr]).toEqual([
      3,
      `plexauth: No Plex login is stored in ${own}. Run \`plexauth login\` first.\n`,
    ])
    const fromEnv = await plexauth(['whoami', '--store', own], { env }).exit
    expect(fromEnv.code).toBe(2)
    expect(fromEnv.stderr).toContain('baseUrl must use https')
  })

  test('interrupted while plex.tv has not answered the PIN request yet: exit 130', async () => {
    plex.fail(PLEX_PATHS.pins, 'hang', { times: 1 })
    onTestFinished(() => plex.recover())
    const pins = plex.requests(PLEX_PATHS.pins)
    const controller = new AbortController()
    const run = plexauth(['login', '--base-url', plex.url, '--store', join(dir, 'hang', 'plex.json')], {
      signal: controller.signal,
    })
    await expect.poll(() => plex.requests(PLEX_PATHS.pins), { interval: 10 }).toBe(pins + 1)
    controller.abort()
    expect(await run.exit).toEqual({
      code: 130,
      stdout: '',
      stderr: 'plexauth: The operation was aborted\n',
    })
  })

  test('an empty $PLEXAUTH_BASE_URL counts as unset: the host stored with the login is used', async () => {
    const own = join(dir, 'empty-base-url', 'plex.json')
    await loginTo(own)
    const keys = plex.requests(PLEX_PATHS.keys)
    const whoami = await plexauth(['whoami', '--json', '--store', own], { env: { PLEXAUTH_BASE_URL: '' } })
      .exit
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(JSON.parse(whoami.stdout).user.username).toBe(plex.account.username)
    expect(plex.requests(PLEX_PATHS.keys)).toBe(keys + 1)
  })
})

describe('plexauth command line: where it keeps the login, what it prints, when things go wrong', () => {
  /** The store path a plain `whoami` (no --store) reads, from its "not logged in" message. */
  async function defaultStore(env: Record<string, string>): Promise<string> {
    const { code, stderr } = await plexauth(['whoami'], { env }).exit
    expect(code, stderr).toBe(3)
    const path = /^plexauth: No Plex login is stored in (.+)\. Run `plexauth login` first\.\n$/.exec(
      stderr,
    )?.[1]
    expect(path, stderr).toBeDefined()
    return path as string
  }

  test('the default store: $PLEXAUTH_STORE, else $XDG_CONFIG_HOME/plexauth, else ~/.config/plexauth', async () => {
    vi.stubEnv('HOME', join(dir, 'home'))
    onTestFinished(() => {
      vi.unstubAllEnvs()
    })
    expect(await defaultStore({ PLEXAUTH_STORE: join(dir, 'env.json') })).toBe(join(dir, 'env.json'))
    expect(await defaultStore({ XDG_CONFIG_HOME: join(dir, 'xdg'), APPDATA: join(dir, 'appdata') })).toBe(
      join(dir, 'xdg', 'plexauth', 'plex.json'),
    )
    // An empty variable counts as unset.
    expect(await defaultStore({ PLEXAUTH_STORE: '', XDG_CONFIG_HOME: '' })).toBe(
      join(dir, 'home', '.config', 'plexauth', 'plex.json'),
    )
  })

  test('on Windows the default store is under %APPDATA%, else as elsewhere', async () => {
    const platform = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor
    Object.defineProperty(process, 'platform', { ...platform, value: 'win32' })
    onTestFinished(() => {
      Object.defineProperty(process, 'platform', platform)
    })
    expect(await defaultStore({ APPDATA: join(dir, 'appdata'), XDG_CONFIG_HOME: join(dir, 'xdg') })).toBe(
      join(dir, 'appdata', 'plexauth', 'plex.json'),
    )
    expect(await defaultStore({ XDG_CONFIG_HOME: join(dir, 'xdg') })).toBe(
      join(dir, 'xdg', 'plexauth', 'plex.json'),
    )
  })

  test("without options it writes to the process's own streams and reads the process's environment", async () => {
    const own = join(dir, 'process-env', 'plex.json')
    vi.stubEnv('PLEXAUTH_STORE', own)
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    onTestFinished(() => {
      vi.unstubAllEnvs()
      out.mockRestore()
      err.mockRestore()
    })
    expect(await runCli(['whoami'])).toBe(3)
    expect(await runCli(['--help'])).toBe(0)
    expect(err.mock.calls).toEqual([
      [`plexauth: No Plex login is stored in ${own}. Run \`plexauth login\` first.\n`],
    ])
    expect(out.mock.calls).toEqual([[expect.stringMatching(/^Usage: plexauth <command> \[options\]\n/)]])
  })

  test('an empty --store is a usage error (exit 2); an unknown command is echoed printable and cut short', async () => {
    const empty = await plexauth(['whoami', '--store', '']).exit
    expect([empty.code, empty.stdout, empty.stderr]).toEqual([2, '', 'plexauth: fileStore needs a path\n'])
    const long = await plexauth([`fetch-${'x'.repeat(80)}`]).exit
    expect(long.code).toBe(2)
    expect(long.stderr.split('\n')[0]).toBe(`plexauth: unknown command: fetch-${'x'.repeat(58)}...`)
    // Cut only past 64 characters.
    const [at64, at65] = await Promise.all([plexauth(['y'.repeat(64)]).exit, plexauth(['y'.repeat(65)]).exit])
    expect(at64.stderr.split('\n')[0]).toBe(`plexauth: unknown command: ${'y'.repeat(64)}`)
    expect(at65.stderr.split('\n')[0]).toBe(`plexauth: unknown command: ${'y'.repeat(64)}...`)
    // A known command with more words is not one: all of them are echoed, then the usage.
    const extra = await plexauth(['token', 'now', '--store', join(dir, 'never-written.json')]).exit
    expect([extra.code, extra.stdout]).toEqual([2, ''])
    expect(extra.stderr.startsWith('plexauth: unknown command: token now\n\nUsage: plexauth <command>')).toBe(
      true,
    )
  })

  test('a failing output stream is an unexpected error (exit 1), named but never echoed', async () => {
    const own = join(dir, 'failing-stdout', 'plex.json')
    for (const [thrown, name] of [
      [new RangeError('EPIPE secret detail'), 'RangeError'],
      // A TypeError is a usage mistake only when it is plexauth's own.
      [new TypeError('EPIPE secret detail'), 'TypeError'],
      ['a thrown string', 'unknown'],
    ] as const) {
      let stderr = ''
      const code = await runCli(['logout', '--store', own], {
        env: {},
        stdout: {
          write: () => {
            throw thrown
          },
        },
        stderr: { write: (text: string) => (stderr += text) },
      })
      expect([code, stderr]).toEqual([1, `plexauth: unexpected error: ${name}\n`])
    }
  })

  test('--clients-base-url alone: the login, its keys and the later commands use that host only', async () => {
    const own = join(dir, 'clients-only', 'plex.json')
    const clients = await createFakePlex()
    onTestFinished(() => clients.close())
    const run = plexauth(['login', '--json', '--clients-base-url', clients.url, '--store', own])
    const [first] = await run.stdoutMatch(/^.*\n/)
    clients.approvePin(JSON.parse(first).code)
    const login = await run.exit
    expect(login.code, login.stderr).toBe(0)
    const state = JSON.parse(await readFile(own, 'utf8'))
    expect([state.baseUrl, state.clientsBaseUrl]).toEqual(['https://plex.tv', clients.url])
    const whoami = await plexauth(['whoami', '--json', '--store', own]).exit
    expect(whoami.code, whoami.stderr).toBe(0)
    expect(clients.requests(PLEX_PATHS.pins)).toBe(1)
    expect(clients.requests(PLEX_PATHS.keys)).toBe(2)
  })

  test('whoami prints what the token carries, and the time left in days, hours or minutes', async () => {
    useFakeDate()
    // On a whole second, as the token's times are: the time left is then exact.
    const issued = new Date(Math.ceil(Date.now() / 1000) * 1000)
    vi.setSystemTime(issued)
    const own = join(dir, 'whoami-text', 'plex.json')
    const run = plexauth(['login', '--scopes', 'friendly_name', '--base-url', plex.url, '--store', own])
    const [, code] = await run.stdoutMatch(/^Code: (\S+)$/m)
    plex.approvePin(code as string)
    const login = await run.exit
    expect(login.code, login.stderr).toBe(0)
    // No username or email in the token: the friendly name says who signed in.
    expect(login.stdout).toContain(
      `Signed in as ${plex.account.friendly_name}. Token stored in ${own} (expires in 7d 0h).`,
    )
    const { clientIdentifier, device } = JSON.parse(await readFile(own, 'utf8'))
    const expires = new Date(issued.getTime() + PLEX_TOKEN_LIFETIME * 1000)
    const whoami = async (left: string) => {
      const { code: exit, stdout, stderr } = await plexauth(['whoami', '--store', own]).exit
      expect(exit, stderr).toBe(0)
      expect(stdout).toBe(
        [
          `friendly name:     ${plex.account.friendly_name}`,
          `account id:        ${plex.account.id}`,
          `uuid:              ${plex.account.uuid}`,
          'scopes:            friendly_name',
          `client identifier: ${clientIdentifier}`,
          `device key (kid):  ${device.kid}`,
          `issued:            ${issued.toISOString()}`,
          `expires:           ${expires.toISOString()} (in ${left})`,
          '',
        ].join('\n'),
      )
    }
    await whoami('7d 0h')
    // Under a day left, whoami would refresh: plex.tv failing, it describes the stored token, still valid.
    plex.fail(PLEX_PATHS.nonce, 'down')
    onTestFinished(() => plex.recover())
    advance(PLEX_TOKEN_LIFETIME - 5 * 3600 - 120)
    await whoami('5h 2m')
    advance(5 * 3600 + 120 - 1800)
    await whoami('30m')
    expect(plex.requests(PLEX_PATHS.nonce)).toBeGreaterThanOrEqual(2)
  })

  test('every failure of the client: its exit code, its fixed message, the store for a store unread, the hint; --json on stdout', async () => {
    const own = join(dir, 'failures', 'plex.json')
    const again = '\nRun `plexauth login` again.\n'
    const cases: [PlexClientErrorCode, number, string][] = [
      ['UNAUTHORIZED', 4, again],
      ['TOKEN_EXPIRED', 4, '\n'],
      [
        'SIGNATURE_REJECTED',
        4,
        '\nThe device may have been removed on plex.tv: run `plexauth login` again.\n',
      ],
      ['THUMBPRINT_TAKEN', 4, '\n'],
      ['THUMBPRINT_MISMATCH', 4, again],
      ['TOKEN_INVALID', 4, '\n'],
      ['NETWORK_ERROR', 5, '\n'],
      ['TIMEOUT', 5, '\n'],
      ['RATE_LIMITED', 5, '\n'],
      ['HTTP_ERROR', 5, '\n'],
      ['RESPONSE_INVALID', 5, '\n'],
      ['RESPONSE_TOO_LARGE', 5, '\n'],
      ['KEYS_UNAVAILABLE', 5, '\n'],
      ['STORE_CORRUPT', 6, ` (${own})\nMove or delete the store file, then run \`plexauth login\` again.\n`],
      ['STORE_FAILED', 6, ` (${own})\n`],
      // Its message names the path itself.
      ['STORE_INSECURE', 6, '\n'],
      ['LOGIN_EXPIRED', 7, '\nRun `plexauth login` again and approve before the code expires.\n'],
      ['ABORTED', 130, '\n'],
    ]
    for (const [code, exit, tail] of cases) {
      const err = new PlexClientError(code, code === 'STORE_INSECURE' ? { detail: `chmod 600 ${own}` } : {})
      nextClient(() => Promise.reject(err))
      const text = await plexauth(['whoami', '--store', own]).exit
      expect(text, code).toEqual({ code: exit, stdout: '', stderr: `plexauth: ${err.message}${tail}` })
      nextClient(() => Promise.reject(err))
      const json = await plexauth(['whoami', '--json', '--store', own]).exit
      expect(json, code).toEqual({
        code: exit,
        stdout: `${JSON.stringify({ error: { code, message: err.message } })}\n`,
        stderr: '',
      })
    }
    // A TypeError of plexauth's own is a usage mistake (exit 2); any other, an unexpected error named only.
    nextClient(() => Promise.reject(new TypeError('plexauth: a usage mistake')))
    expect(await plexauth(['whoami', '--store', own]).exit).toEqual({
      code: 2,
      stdout: '',
      stderr: 'plexauth: a usage mistake\n',
    })
    nextClient(() => Promise.reject(new TypeError('secret detail')))
    expect(await plexauth(['whoami', '--store', own]).exit).toEqual({
      code: 1,
      stdout: '',
      stderr: 'plexauth: unexpected error: TypeError\n',
    })
  })

  test('whoami: username and email rows, an empty field left out, the time left rounded and never below 0m', async () => {
    useFakeDate()
    const now = Math.ceil(Date.now() / 1000)
    // 1799.6 seconds before the expiry: rounded, 30 minutes.
    vi.setSystemTime(now * 1000 + 400)
    const identity = (user: Partial<PlexJwtIdentity['user']>, expiresAt: number): PlexJwtIdentity => ({
      kind: 'jwt',
      token: 'a.b.c',
      claims: {},
      user: { id: 7, uuid: 'uuid-7', ...user },
      scopes: ['username', 'email', 'friendly_name'],
      clientIdentifier: 'client-7',
      thumbprint: 'kid-7',
      issuedAt: expiresAt - PLEX_TOKEN_LIFETIME,
      expiresAt,
    })
    const own = join(dir, 'stand-in', 'plex.json')
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString()
    nextClient(async () =>
      identity({ username: 'ada', email: 'ada@example.com', friendlyName: '' }, now + 1800),
    )
    const fresh = await plexauth(['whoami', '--store', own]).exit
    expect(fresh).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'username:          ada',
        'email:             ada@example.com',
        'account id:        7',
        'uuid:              uuid-7',
        'scopes:            username, email, friendly_name',
        'client identifier: client-7',
        'device key (kid):  kid-7',
        `issued:            ${iso(now + 1800 - PLEX_TOKEN_LIFETIME)}`,
        `expires:           ${iso(now + 1800)} (in 30m)`,
        '',
      ].join('\n'),
    })
    nextClient(async () => identity({ username: 'ada' }, now - 90))
    const expired = await plexauth(['whoami', '--store', own]).exit
    expect(expired.code, expired.stderr).toBe(0)
    expect(expired.stdout.endsWith(`expires:           ${iso(now - 90)} (in 0m)\n`), expired.stdout).toBe(
      true,
    )
  })

  test('the spinner turns every 100 ms showing m:ss left, never below 0:00; the PIN expiring exits 7, the spinner stopped and cleared', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    const start = Math.ceil(Date.now() / 1000) * 1000
    vi.setSystemTime(start)
    let stderr = ''
    let shown: () => void = () => {}
    const codeShown = new Promise<void>((resolve) => {
      shown = resolve
    })
    const exit = runCli(['login', '--base-url', plex.url, '--store', join(dir, 'spinner', 'plex.json')], {
      env: {},
      stdout: { write: (text: string) => (text.includes('Code: ') ? shown() : undefined) },
      stderr: { isTTY: true, write: (text: string) => (stderr += text) },
    })
    await codeShown
    vi.advanceTimersByTime(100)
    vi.setSystemTime(start + (STRONG_PIN_LIFETIME - 605) * 1000)
    vi.advanceTimersByTime(100)
    vi.setSystemTime(start + (STRONG_PIN_LIFETIME + 5) * 1000)
    vi.advanceTimersByTime(100)
    const frames = [...stderr.matchAll(/\r(\S) Waiting for approval \(the code expires in ([^)]*)\) /g)]
    expect(frames.map(([, frame, left]) => [frame, left])).toEqual([
      ['⠋', '30:00'],
      ['⠙', '30:00'],
      ['⠹', '10:05'],
      ['⠸', '0:00'],
    ])
    expect(await exit).toBe(7)
    expect(stderr.slice(stderr.lastIndexOf('\r'))).toBe(
      '\r\x1b[Kplexauth: The login PIN expired before it was approved\n' +
        'Run `plexauth login` again and approve before the code expires.\n',
    )
    const final = stderr
    vi.advanceTimersByTime(1000)
    expect(stderr).toBe(final)
  })

  test('signed in without username, email or friendly name: the account id says who', async () => {
    const own = join(dir, 'id-only', 'plex.json')
    const run = plexauth(['login', '--base-url', plex.url, '--store', own])
    const [, code] = await run.stdoutMatch(/^Code: (\S+)$/m)
    plex.approvePin(code as string, { scopes: [] })
    const { code: exit, stdout, stderr } = await run.exit
    expect(exit, stderr).toBe(0)
    expect(stdout).toContain(`Signed in as account ${plex.account.id}. Token stored in ${own}`)
  })
})

describe('the real binary', () => {
  const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
  const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')
  const CLI = join(ROOT, 'packages', 'client', 'src', 'cli.ts')

  test('smoke: login prints the code on stdout, Ctrl-C (SIGINT) exits 130, nothing stored but the device key', async () => {
    const env = { ...process.env }
    delete env.PLEXAUTH_STORE
    delete env.PLEXAUTH_BASE_URL
    const child = spawn(TSX, ['--conditions=dev-source', CLI, ...withFake('login')], { cwd: ROOT, env })
    let stdout = ''
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        if (/^Code: \S+$/m.test(stdout)) resolve()
      })
      exit.then(() => reject(new Error(`plexauth exited before printing the code:\n${stdout}`)))
    })
    child.kill('SIGINT')
    expect(await exit).toBe(130)
    expect((await stored()).token).toBeUndefined()
  })
})
