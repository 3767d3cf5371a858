#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { createFakePlex } from './fake-plex.js'

const USAGE = `Usage: plexauth-fake-plex [--port 32400] [--host 127.0.0.1]

Runs the fake plex.tv of @plexauth/testing on its own, seeded with three accounts (an owner, a friend
the owner's server is shared with, a stranger without access) and one media server. Stops on Ctrl-C.`

async function main(): Promise<void> {
  let values: { port?: string; host?: string; help?: boolean }
  try {
    ;({ values } = parseArgs({
      options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }))
  } catch {
    process.stderr.write(`${USAGE}\n`)
    process.exit(2)
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  const port = Number(values.port ?? 0)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`--port must be a port number\n${USAGE}\n`)
    process.exit(2)
  }
  const plex = await createFakePlex({ port, host: values.host ?? '127.0.0.1' })
  const owner = plex.account
  const friend = plex.addAccount({ username: 'friend', email: 'friend@example.com', friendly_name: 'Friend' })
  const stranger = plex.addAccount({
    username: 'stranger',
    email: 'stranger@example.com',
    friendly_name: 'Stranger',
  })
  const server = plex.addServer({ name: 'Fake Media Server', sharedWith: [friend.id] })

  const lines = [
    'fake plex.tv (@plexauth/testing) is listening',
    `  plex.tv and clients.plex.tv  ${plex.url}`,
    `  app.plex.tv/auth             ${plex.authAppUrl}`,
    `  control surface              ${plex.controlUrl}`,
    `  key set                      ${plex.jwksUrl}`,
    `media server "${server.name}"  machineIdentifier ${server.machineIdentifier}`,
    'accounts',
    `  ${owner.id}  ${owner.username}  owner of the server`,
    `  ${friend.id}  ${friend.username}  the server is shared with them`,
    `  ${stranger.id}  ${stranger.username}  no access`,
    'Ctrl-C stops it.',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)

  const stop = () => {
    plex.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((error: unknown) => {
  process.stderr.write(`fake plex.tv could not start: ${(error as Error).message}\n`)
  process.exit(1)
})
