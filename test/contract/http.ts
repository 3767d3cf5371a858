import { request } from 'node:http'

/** A request of the contract table. `headers` are raw pairs, so one name may repeat. */
export interface RequestShape {
  method?: string
  path: string
  headers?: readonly (readonly [string, string])[]
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
        headers: [['host', url.host], ...(shape.headers ?? [])].flat(),
        agent: false,
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
