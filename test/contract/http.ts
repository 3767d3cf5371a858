import { request } from 'node:http'
import { connect } from 'node:net'

/** A request of the contract table. `headers` are raw pairs, so one name may repeat. */
export interface RequestShape {
  method?: string
  path: string
  headers?: readonly (readonly [string, string])[]
  /** The local (loopback) address to send from, e.g. `127.0.0.2`: the client address the server sees. */
  localAddress?: string
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  body: unknown
}

/** One request on a fresh connection, headers sent exactly as given. */
export function send(baseUrl: string, shape: RequestShape): Promise<Answer> {
  const url = new URL(shape.path, baseUrl)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: shape.method ?? 'GET',
        path: `${url.pathname}${url.search}`,
        // With raw headers Node adds no Host header of its own.
        headers: [
          // A Host the row gives (a public host name, say) replaces the server's address.
          ...(shape.headers?.some(([name]) => name.toLowerCase() === 'host') ? [] : [['host', url.host]]),
          ...(shape.headers ?? []),
        ].flat(),
        agent: false,
        ...(shape.localAddress === undefined ? {} : { localAddress: shape.localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let body: unknown
          try {
            body = text === '' ? undefined : JSON.parse(text)
          } catch {
            body = text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/**
 * One request on a raw socket, its header lines written exactly as given: for bytes Node's client refuses
 * to send (control characters). Reads until the server closes; the body is kept as text, not decoded.
 */
export function sendRaw(
  baseUrl: string,
  shape: { method?: string; path: string; headerLines: readonly string[] },
): Promise<Answer> {
  const url = new URL(shape.path, baseUrl)
  const head = [
    `${shape.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${url.host}`,
    ...shape.headerLines,
    'Connection: close',
  ]
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1')
      const end = raw.indexOf('\r\n\r\n')
      const [statusLine = '', ...lines] = raw.slice(0, end === -1 ? raw.length : end).split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      const text = end === -1 ? '' : raw.slice(end + 4)
      resolve({
        status: Number(statusLine.split(' ')[1] ?? 0),
        headers,
        text,
        body: text === '' ? undefined : text,
      })
    })
    socket.end(`${head.join('\r\n')}\r\n\r\n`, 'latin1')
  })
}
