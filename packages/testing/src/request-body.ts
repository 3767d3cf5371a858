import { readJson } from './device-keys.js'
import type { RouteContext } from './router.js'

/**
 * The fields of a request body: a JSON object, or a form (`application/x-www-form-urlencoded`, as
 * python-plexapi sends `PUT /api/v2/pins/link`). An empty body is `{}`; anything else is `undefined`.
 */
export function readFields(context: RouteContext): Record<string, unknown> | undefined {
  if (context.body.length === 0) return {}
  const type = [context.headers['content-type'] ?? ''].flat().join(',')
  if (/application\/x-www-form-urlencoded/i.test(type)) {
    return Object.fromEntries(new URLSearchParams(context.body.toString('utf8')))
  }
  const value = readJson(context.body)
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}
