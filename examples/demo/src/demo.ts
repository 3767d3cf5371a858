import type { AddressInfo } from 'node:net'
import { createFakePlex, type FakePlex, PLEX_PATHS } from '@plexauth/testing'
import { createExampleApp } from './app.js'

// One environment variable points the same API at the real plex.tv (or any key endpoint).
const REAL_KEYS_URL = process.env.PLEXAUTH_JWKS_URL
const CLIENT_ID = process.env.PLEXAUTH_CLIENT_ID ?? 'plexauth-demo'
// The fake's owner by default; against the real plex.tv, only the id given (123456 is somebody's account).
const OWNER_ID = Number(process.env.PLEXAUTH_OWNER_ID ?? (REAL_KEYS_URL === undefined ? 123456 : Number.NaN))
const DEMO_COOLDOWN = 1
const once = process.argv.includes('--once')
const port = once ? 0 : Number(process.env.PORT ?? 3000)

const color = process.stdout.isTTY
  ? (code: number) => (text: string) => `\x1b[${code}m${text}\x1b[0m`
  : () => (text: string) => text
const bold = color(1)
const green = color(32)
const red = color(31)
const dim = color(2)

async function listen(app: ReturnType<typeof createExampleApp>, wanted: number) {
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve, reject) => {
    const server = app.listen(wanted, '127.0.0.1', () => {
      const { port: actual } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${actual}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
    server.on('error', reject)
  })
}

interface Step {
  title: string
  path: string
  token?: string
  expect: number
  before?: () => void | Promise<void>
}

function describe(body: unknown): string {
  const text = JSON.stringify(body)
  return text.length > 160 ? `${text.slice(0, 157)}...` : text
}

async function walkThrough(api: string, plex: FakePlex): Promise<boolean> {
  const valid = plex.issueToken({ clientIdentifier: CLIENT_ID })
  const steps: Step[] = [
    { title: 'No token', path: '/me', expect: 401 },
    { title: 'A valid Plex token', path: '/me', token: valid, expect: 200 },
    {
      title: 'An expired token',
      path: '/me',
      token: plex.issueToken({
        clientIdentifier: CLIENT_ID,
        issuedAt: Math.floor(Date.now() / 1000) - 8 * 86_400,
      }),
      expect: 401,
    },
    {
      title: 'A token without the email scope, on a route that needs it',
      path: '/mail',
      token: plex.issueToken({ clientIdentifier: CLIENT_ID, scopes: ['username'] }),
      expect: 403,
    },
    {
      title: 'A token Plex issued to another app',
      path: '/me',
      token: plex.issueToken({ clientIdentifier: 'some-other-app' }),
      expect: 401,
    },
    {
      title: 'A user who is not the owner, on an owner-only route',
      path: '/admin',
      token: plex.issueToken({ clientIdentifier: CLIENT_ID, user: { id: 999 } }),
      expect: 403,
    },
  ]
  let ok = true
  const run = async (step: Step, token = step.token) => {
    await step.before?.()
    const response = await fetch(`${api}${step.path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    })
    const body = await response.json()
    const passed = response.status === step.expect
    ok &&= passed
    const mark = passed ? green('✔') : red(`✘ expected ${step.expect}`)
    console.log(
      `${mark} ${bold(step.title)}\n    GET ${step.path} → ${response.status} ${dim(describe(body))}`,
    )
    const challenge = response.headers.get('www-authenticate')
    if (response.status !== 200 && challenge !== null)
      console.log(`    ${dim(`WWW-Authenticate: ${challenge}`)}`)
  }
  for (const step of steps) await run(step)

  // The demo verifier allows an unknown-kid refetch once a second (30 s by default), so wait for it.
  await new Promise((resolve) => setTimeout(resolve, DEMO_COOLDOWN * 1000 + 100))
  const fetchesBefore = plex.requests(PLEX_PATHS.keys)
  plex.rotateKeys()
  await run({
    title: 'Plex rotates its keys: a token signed with the new key',
    path: '/me',
    token: plex.issueToken({ clientIdentifier: CLIENT_ID }),
    expect: 200,
  })
  console.log(`    ${dim(`key set fetched again ${plex.requests(PLEX_PATHS.keys) - fetchesBefore} time(s)`)}`)

  plex.fail(PLEX_PATHS.keys, 'down')
  await run({
    title: 'plex.tv is down: a fresh token still verifies against the cached keys',
    path: '/me',
    token: plex.issueToken({ clientIdentifier: CLIENT_ID, user: { id: 424242, username: 'friend' } }),
    expect: 200,
  })
  plex.recover()
  return ok
}

async function main(): Promise<void> {
  if (REAL_KEYS_URL !== undefined) {
    if (!Number.isSafeInteger(OWNER_ID) || OWNER_ID <= 0)
      throw new Error(
        'PLEXAUTH_OWNER_ID (your Plex account id, the one /admin lets in) is required with PLEXAUTH_JWKS_URL',
      )
    const api = await listen(
      createExampleApp({ auth: { jwksUrl: REAL_KEYS_URL, clientIdentifier: CLIENT_ID }, ownerId: OWNER_ID }),
      port,
    )
    console.log(`Example API on ${api.url}, verifying tokens against ${REAL_KEYS_URL}`)
    console.log(`Try: curl -H "X-Plex-Token: <your Plex JWT>" ${api.url}/me`)
    return
  }
  const plex = await createFakePlex()
  const api = await listen(
    createExampleApp({
      auth: { jwksUrl: plex.jwksUrl, clientIdentifier: CLIENT_ID, jwks: { cooldown: DEMO_COOLDOWN } },
      ownerId: OWNER_ID,
    }),
    port,
  )
  console.log(bold(`plexauth demo: an Express API on ${api.url}, a fake plex.tv on ${plex.url}\n`))
  const ok = await walkThrough(api.url, plex)
  console.log(
    ok ? green('\nEvery step answered as expected.') : red('\nSome steps did not answer as expected.'),
  )
  if (once || !ok) {
    await api.close()
    await plex.close()
    process.exitCode = ok ? 0 : 1
    return
  }
  const token = plex.issueToken({ clientIdentifier: CLIENT_ID })
  const noEmail = plex.issueToken({ clientIdentifier: CLIENT_ID, scopes: ['username'] })
  console.log(`\nStill serving. Try it yourself (Ctrl-C to stop):`)
  console.log(`  curl -i ${api.url}/me`)
  console.log(`  curl -i -H "Authorization: Bearer ${token}" ${api.url}/me`)
  console.log(`  curl -i -H "X-Plex-Token: ${token}" ${api.url}/mail`)
  console.log(`  curl -i -H "X-Plex-Token: ${noEmail}" ${api.url}/mail`)
  console.log(`  curl -i -H "X-Plex-Token: ${token}" ${api.url}/admin`)
  const stop = async () => {
    await api.close()
    await plex.close()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((err: unknown) => {
  console.error(red(`demo failed: ${err instanceof Error ? err.message : String(err)}`))
  process.exitCode = 1
})
