import { request } from 'node:http'

/** One answer: status, headers and the body (parsed when JSON). */
export interface LoginAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
  /** The `Set-Cookie` lines of the answer. */
  setCookies: string[]
}

export interface SendOptions {
  method?: string
  headers?: Record<string, string>
  /** Leave the jar's cookies out. */
  withoutCookies?: boolean
}

/**
 * A browser as far as the login routes can tell: a cookie jar (name → value, as the server last set them)
 * and requests to one app. `Secure` cookies are kept even over http: what is tested is what the server sets.
 */
export class Browser {
  readonly cookies = new Map<string, string>()
  constructor(readonly baseUrl: string) {}

  async send(path: string, options: SendOptions = {}): Promise<LoginAnswer> {
    const url = new URL(path, this.baseUrl)
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
    if (this.cookies.size > 0 && options.withoutCookies !== true && headers.cookie === undefined) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    }
    const answer = await new Promise<LoginAnswer>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: options.method ?? 'GET',
          path: `${url.pathname}${url.search}`,
          headers,
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
            const setCookies = [res.headers['set-cookie'] ?? []].flat()
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, setCookies })
          })
        },
      )
      req.on('error', reject)
      req.end()
    })
    for (const line of answer.setCookies) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return answer
  }
}

/** The `Set-Cookie` line for a cookie name, if the answer has one. */
export function cookieLine(answer: LoginAnswer, name: string): string | undefined {
  return answer.setCookies.find((line) => line.startsWith(`${name}=`))
}
