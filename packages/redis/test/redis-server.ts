import { type ChildProcess, spawn } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { createClient } from '@redis/client'

/** A free loopback port: bound on port 0 and released (redis-server cannot listen on port 0 itself). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** A real redis-server (Debian's package) on a loopback port, without persistence. */
export interface RedisServer extends AsyncDisposable {
  readonly port: number
  readonly url: string
  /** Kills it (SIGKILL): clients see the connection drop. */
  kill(): Promise<void>
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>
  /** Freezes it (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void
  /** Unfreezes it (SIGCONT). */
  resume(): void
  /** Runs one command over a connection of its own, e.g. `command('KEYS', '*')`. */
  command(...args: string[]): Promise<unknown>
  stop(): Promise<void>
}

/** Starts `redis-server --port N --save '' --appendonly no` and waits until it accepts connections. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const launch = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    )
    for (let i = 0; i < 200; i++) {
      if (await accepting(port)) return
      await sleep(10)
    }
    throw new Error('redis-server did not start')
  }
  const kill = async () => {
    const running = child
    if (running === undefined || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
  }
  await launch()
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: launch,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    command: async (...args) => {
      // A client of its own, as an attacker (or an operator) with access to Redis would have.
      const client = createClient({ url: server.url })
      await client.connect()
      try {
        return await client.sendCommand(args)
      } finally {
        client.destroy()
      }
    },
    stop: kill,
    [Symbol.asyncDispose]: kill,
  }
  return server
}
