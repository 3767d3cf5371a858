import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A server listening on 127.0.0.1. */
export interface RunningApp {
  url: string
  close(): Promise<void>
  /** The CPU time of the process serving the app; this process's own when absent. */
  cpuUsage?(): Promise<NodeJS.CpuUsage>
}

/**
 * Listens on 127.0.0.1, any free port. `backlog` matters only to the cold start, where a thousand
 * connections arrive at once (Node's default of 511 would make the kernel drop SYNs, timing TCP
 * retransmits rather than the server).
 */
export function listen(server: Server, backlog = 511): Promise<RunningApp> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0, backlog }, () => {
      server.off('error', reject)
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}
