/**
 * A small parser of `WWW-Authenticate` per RFC 7235 §4.1 / RFC 9110 §11.6.1, and the RFC 6750 §3 rules
 * a Bearer challenge adds. Strict on purpose: a header it cannot read is a header some client cannot read.
 *
 *   WWW-Authenticate = 1#challenge
 *   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param       = token BWS "=" BWS ( token / quoted-string )
 */

export interface Challenge {
  scheme: string
  /** Parameter names lower-cased; values unquoted. */
  params: Map<string, string>
  /** The parameters whose value was a quoted-string. */
  quoted: Set<string>
  token68?: string
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/
const QDTEXT = /[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]/
const QUOTED_PAIR = /[\t \x21-\x7e\x80-\xff]/

class Reader {
  index = 0
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.index >= this.text.length
  }
  peek(): string {
    return this.text[this.index] ?? ''
  }
  fail(what: string): never {
    throw new Error(`WWW-Authenticate: ${what} at ${this.index} in ${JSON.stringify(this.text)}`)
  }
  /** Optional whitespace (OWS / BWS). */
  ows(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.index++
  }
  token(): string {
    const start = this.index
    while (!this.done && TCHAR.test(this.peek())) this.index++
    if (this.index === start) this.fail('token expected')
    return this.text.slice(start, this.index)
  }
  quoted(): string {
    if (this.peek() !== '"') this.fail('quoted-string expected')
    this.index++
    let value = ''
    for (;;) {
      if (this.done) this.fail('unterminated quoted-string')
      const c = this.peek()
      this.index++
      if (c === '"') return value
      if (c === '\\') {
        const escaped = this.peek()
        if (!QUOTED_PAIR.test(escaped)) this.fail('bad quoted-pair')
        this.index++
        value += escaped
      } else if (QDTEXT.test(c)) {
        value += c
      } else {
        this.fail(`character ${JSON.stringify(c)} not allowed in a quoted-string`)
      }
    }
  }
  /** At a list separator: consumes `OWS "," OWS` (and empty elements, which the list rule allows). */
  comma(): boolean {
    const save = this.index
    this.ows()
    if (this.peek() !== ',') {
      this.index = save
      return false
    }
    while (this.peek() === ',' || this.peek() === ' ' || this.peek() === '\t') this.index++
    return true
  }
  /** True when an `auth-param` (token BWS "=") starts here; does not consume. */
  atParam(): boolean {
    const save = this.index
    try {
      this.token()
      this.ows()
      return this.peek() === '=' && this.text[this.index + 1] !== '='
    } catch {
      return false
    } finally {
      this.index = save
    }
  }
}

/** Parses a whole `WWW-Authenticate` value into its challenges; throws on anything malformed. */
export function parseChallenges(value: string): Challenge[] {
  const reader = new Reader(value)
  const challenges: Challenge[] = []
  reader.ows()
  while (!reader.done) {
    const scheme = reader.token()
    const challenge: Challenge = { scheme, params: new Map(), quoted: new Set() }
    challenges.push(challenge)
    if (reader.done) break
    if (reader.comma()) continue
    if (reader.peek() !== ' ') reader.fail('SP expected after the auth-scheme')
    while (reader.peek() === ' ') reader.index++
    if (reader.done) break
    if (!reader.atParam()) {
      const match = TOKEN68.exec(value.slice(reader.index))
      if (match === null) return reader.fail('token68 or auth-param expected')
      challenge.token68 = match[0]
      reader.index += match[0].length
      reader.ows()
      if (!reader.done && !reader.comma()) reader.fail('"," expected after token68')
      continue
    }
    // #auth-param: params until something that is not a param (the next challenge's scheme) or the end.
    for (;;) {
      const name = reader.token().toLowerCase()
      reader.ows()
      if (reader.peek() !== '=') reader.fail('"=" expected')
      reader.index++
      reader.ows()
      const isQuoted = reader.peek() === '"'
      const paramValue = isQuoted ? reader.quoted() : reader.token()
      if (challenge.params.has(name)) reader.fail(`parameter ${name} repeated`)
      if (isQuoted) challenge.quoted.add(name)
      challenge.params.set(name, paramValue)
      reader.ows()
      if (reader.done) break
      if (!reader.comma()) reader.fail('"," expected between parameters')
      if (reader.done || !reader.atParam()) break
    }
  }
  if (challenges.length === 0) reader.fail('no challenge')
  return challenges
}

// RFC 6750 §3: error_description and scope values are limited to these characters.
const DESCRIPTION = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/
const BEARER_ERRORS = new Set(['invalid_request', 'invalid_token', 'insufficient_scope'])
const ERROR_BY_STATUS: Record<number, readonly (string | undefined)[]> = {
  400: ['invalid_request'],
  401: [undefined, 'invalid_token'],
  403: [undefined, 'insufficient_scope'],
  // The login routes' codes (PIN_EXPIRED, RATE_LIMITED) carry the bare challenge too.
  410: [undefined],
  429: [undefined],
  500: [undefined],
  503: [undefined],
}

/**
 * Checks an error answer's `WWW-Authenticate` header: it parses, holds exactly one `Bearer` challenge
 * with a `realm`, no parameter twice, an `error` RFC 6750 defines and that fits `status`, and
 * `error_description`/`scope` within RFC 6750's character sets. Returns the Bearer challenge.
 */
export function checkBearerChallenge(value: unknown, status: number): Challenge {
  if (typeof value !== 'string') throw new Error(`WWW-Authenticate missing on a ${status} answer`)
  const challenges = parseChallenges(value)
  const bearer = challenges.filter((challenge) => challenge.scheme.toLowerCase() === 'bearer')
  if (bearer.length !== 1) throw new Error(`expected one Bearer challenge in ${JSON.stringify(value)}`)
  const { params, quoted, token68 } = bearer[0]!
  if (token68 !== undefined) throw new Error('a Bearer challenge takes auth-params, not token68')
  // RFC 7235 §2.2: a sender must only generate the quoted-string form of realm.
  if (!quoted.has('realm')) throw new Error(`no quoted realm in ${JSON.stringify(value)}`)
  const error = params.get('error')
  if (error !== undefined && !BEARER_ERRORS.has(error)) throw new Error(`unknown error ${error}`)
  const allowed = ERROR_BY_STATUS[status]
  if (allowed === undefined || !allowed.includes(error)) {
    throw new Error(`error=${String(error)} does not fit status ${status}`)
  }
  const description = params.get('error_description')
  if (description !== undefined && !DESCRIPTION.test(description)) throw new Error('bad error_description')
  if (description !== undefined && error === undefined) throw new Error('error_description without error')
  const scope = params.get('scope')
  if (scope !== undefined && (!SCOPE.test(scope) || error !== 'insufficient_scope')) {
    throw new Error(`bad scope ${JSON.stringify(scope)}`)
  }
  for (const name of params.keys()) {
    if (!['realm', 'error', 'error_description', 'error_uri', 'scope'].includes(name)) {
      throw new Error(`unexpected parameter ${name}`)
    }
  }
  return bearer[0]!
}
