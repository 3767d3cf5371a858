/** Option validators shared by every factory: a misconfiguration throws `TypeError` when the factory runs. */

export function fail(message: string): never {
  throw new TypeError(`plexauth: ${message}`)
}

export function number(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
  integer = false,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(`${name} must be a number from ${min} to ${max}`)
  }
  if (integer && !Number.isInteger(value)) fail(`${name} must be an integer`)
  return value
}

export function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512 || value.trim() !== value) {
    fail(`${name} must be a non-empty string without surrounding spaces`)
  }
  return value
}

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname)
}

/** Validates a key endpoint URL: https, or http on a loopback host; no credentials, query or fragment. */
export function validateEndpointUrl(name: string, value: unknown): string {
  if (typeof value !== 'string') fail(`${name} must be a string URL`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    fail(`${name} is not a valid URL`)
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    fail(`${name} must use https (http is allowed for loopback hosts only)`)
  }
  if (url.username !== '' || url.password !== '') fail(`${name} must not contain credentials`)
  if (value.includes('?') || value.includes('#')) fail(`${name} must not contain a query or fragment`)
  return url.href
}

export function checkKeys(name: string, object: object, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(object)) {
    if (!allowed.has(key)) fail(`unknown option ${name}${key}`)
  }
}
