import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A listening loopback server whose `close()` also cuts open connections, hanging ones included. */
export async function listen(
  listener: RequestListener,
  port: number,
  host = '127.0.0.1',
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  let closing: Promise<void> | undefined
  return {
    url: `http://${urlHost(host)}:${(server.address() as AddressInfo).port}`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
}

// A wildcard address is not one to connect to: print loopback for it; IPv6 literals need brackets.
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}
