import { send } from '../contract/http.js'

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
    // A browser's bodiless POST says `Content-Length: 0` (Node would otherwise send it chunked).
    const bodiless: Record<string, string> =
      (options.method ?? 'GET') === 'GET' ? {} : { 'content-length': '0' }
    const headers: Record<string, string> = { accept: 'application/json', ...bodiless, ...options.headers }
    if (this.cookies.size > 0 && options.withoutCookies !== true && headers.cookie === undefined) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    }
    const sent = await send(this.baseUrl, {
      method: options.method ?? 'GET',
      path,
      headers: Object.entries(headers),
    })
    const setCookies = [sent.headers['set-cookie'] ?? []].flat()
    const answer: LoginAnswer = { status: sent.status, headers: sent.headers, body: sent.body, setCookies }
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
