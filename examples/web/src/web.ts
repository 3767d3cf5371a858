// `pnpm demo:web [--port N]`: the example web app on the embedded fake plex.tv (or the real plex.tv with
// PLEXAUTH_JWKS_URL, as for `pnpm demo`). Prints where to go and which accounts to try.
import { startWebDemo } from './start.js'

const color = process.stdout.isTTY
  ? (code: number) => (text: string) => `\x1b[${code}m${text}\x1b[0m`
  : () => (text: string) => text
const bold = color(1)
const dim = color(2)
const red = color(31)

function portArgument(argv: readonly string[]): number {
  const index = argv.findIndex((arg) => arg === '--port' || arg.startsWith('--port='))
  const raw =
    index === -1
      ? (process.env.PORT ?? '3000')
      : argv[index]!.includes('=')
        ? argv[index]!.split('=')[1]
        : argv[index + 1]
  const port = Number(raw)
  if (raw === undefined || !/^\d+$/.test(raw) || port > 65_535) {
    throw new Error(`--port needs a port number (0-65535), got ${JSON.stringify(raw ?? '')}`)
  }
  return port
}

async function main(): Promise<void> {
  const demo = await startWebDemo({ port: portArgument(process.argv.slice(2)) })
  console.log(bold(`plexauth web example: ${demo.url}`))
  if (demo.plex === undefined) {
    console.log(`Signing in with the real plex.tv (keys from ${process.env.PLEXAUTH_JWKS_URL}).`)
  } else {
    console.log(dim(`A fake plex.tv on ${demo.plex.url} stands in for plex.tv and its sign-in page.`))
    console.log(`\nOpen ${demo.url}, press "Sign in with Plex" and pick one of these accounts:`)
    const width = Math.max(...demo.accounts.map((a) => a.username.length))
    for (const account of demo.accounts)
      console.log(`  ${bold(account.username.padEnd(width))}  ${account.role}`)
  }
  console.log(dim('\nCtrl-C to stop.'))
  const stop = () => {
    demo.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((err: unknown) => {
  console.error(red(`demo:web failed: ${err instanceof Error ? err.message : String(err)}`))
  process.exitCode = 1
})
