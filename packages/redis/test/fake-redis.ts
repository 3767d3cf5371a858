import { type AddressInfo, createServer, type Socket } from 'node:net'

/** One command a client sent, and the connection it came on. */
export interface FakeCommand {
  readonly args: readonly string[]
  readonly socket: Socket
  /** Writes raw bytes on the connection (a reply, a part of one, or garbage). */
  write(raw: string | Buffer): void
}

/**
 * What to do with a command: a raw reply (`'+OK\r\n'`), `undefined` to leave it unanswered, or a function
 * that does something else with the connection (a part of a reply, a close).
 */
export type FakeHandler = (command: FakeCommand) => string | Buffer | undefined

/** A bulk string, `$n\r\n…\r\n`. */
export function bulk(value: string): string {
  return `$${Buffer.byteLength(value)}\r\n${value}\r\n`
}

/** A RESP3 push of bulk strings (how Redis sends pub/sub messages to a RESP3 client). */
export function push(...values: string[]): string {
  return `>${values.length}\r\n${values.map(bulk).join('')}`
}

/**
 * What a well-behaved Redis answers to the commands plexauth's store sends while it connects and subscribes:
 * `HELLO 3`, `CLIENT SETINFO`, `SUBSCRIBE` (its confirmation), the catch-up `ZRANGE` (empty), `PING`, `QUIT`.
 */
export function wellBehaved({ args, socket }: FakeCommand): string | undefined {
  const name = args[0]?.toUpperCase()
  if (name === 'HELLO') return `%1\r\n${bulk('server')}${bulk('redis')}`
  if (name === 'CLIENT') return '+OK\r\n'
  if (name === 'SUBSCRIBE') return `>3\r\n${bulk('subscribe')}${bulk(args[1] ?? '')}:1\r\n`
  if (name === 'ZRANGE') return '*0\r\n'
  if (name === 'PING') return '+PONG\r\n'
  if (name === 'QUIT') {
    socket.end('+OK\r\n')
    return undefined
  }
  return undefined
}

/** A fake Redis on a loopback port that answers as `handler` says: for a client's misbehaving server. */
export interface FakeRedis extends AsyncDisposable {
  readonly url: string
  /** Every command received, in order. */
  readonly commands: FakeCommand[]
  /** Connections accepted so far. */
  readonly connections: number
  handler: FakeHandler
  close(): Promise<void>
}

// RESP arrays of bulk strings, as clients send them; `undefined` until a whole command has come.
function parse(buffer: Buffer): { args: string[]; rest: Buffer } | undefined {
  let at = buffer.indexOf('\r\n')
  if (at < 0 || buffer[0] !== 0x2a) return undefined
  const count = Number(buffer.subarray(1, at).toString())
  let cursor = at + 2
  const args: string[] = []
  for (let i = 0; i < count; i++) {
    at = buffer.indexOf('\r\n', cursor)
    if (at < 0) return undefined
    const length = Number(buffer.subarray(cursor + 1, at).toString())
    const start = at + 2
    if (buffer.length < start + length + 2) return undefined
    args.push(buffer.subarray(start, start + length).toString())
    cursor = start + length + 2
  }
  return { args, rest: buffer.subarray(cursor) }
}

export async function startFakeRedis(handler: FakeHandler = wellBehaved): Promise<FakeRedis> {
  const sockets = new Set<Socket>()
  let connections = 0
  const commands: FakeCommand[] = []
  const server = createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffer: Buffer = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk])
      for (let parsed = parse(buffer); parsed !== undefined; parsed = parse(buffer)) {
        buffer = parsed.rest
        const command: FakeCommand = {
          args: parsed.args,
          socket,
          write: (raw) => {
            if (!socket.destroyed) socket.write(raw)
          },
        }
        commands.push(command)
        const reply = fake.handler(command)
        if (reply !== undefined) command.write(reply)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const close = async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  }
  const fake: FakeRedis = {
    url: `redis://127.0.0.1:${port}`,
    commands,
    get connections() {
      return connections
    },
    handler,
    close,
    [Symbol.asyncDispose]: close,
  }
  return fake
}
