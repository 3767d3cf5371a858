import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { createGzip } from 'node:zlib'
import type { FakeResponse } from './responses.js'

const PADDING = Buffer.alloc(64 * 1024, 'x')

/** `bytes` bytes of `body` every `intervalMs`, until it is all sent or `signal` aborts. */
export async function* drip(
  body: Uint8Array,
  bytes: number,
  intervalMs: number,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const step = Math.max(1, bytes)
  for (let offset = 0; offset < body.length; offset += step) {
    await sleep(intervalMs, undefined, { signal })
    yield body.subarray(offset, offset + step)
  }
}

/**
 * A JSON object of `size` bytes (at least): the original object with a `padding` member in front, so a
 * reader that ignores the size still finds valid content.
 */
export function* paddedJson(original: string, size: number): Generator<Uint8Array> {
  const head = '{"padding":"'
  const tail = original.startsWith('{') && original.trim() !== '{}' ? `",${original.slice(1)}` : '"}'
  let padding = size - Buffer.byteLength(head) - Buffer.byteLength(tail)
  yield Buffer.from(head)
  for (; padding > 0; padding -= PADDING.length) yield PADDING.subarray(0, Math.min(padding, PADDING.length))
  yield Buffer.from(tail)
}

export async function gzip(chunks: Iterable<Uint8Array>): Promise<Buffer> {
  const compressed: Buffer[] = []
  for await (const chunk of Readable.from(chunks).pipe(createGzip({ level: 9 }))) compressed.push(chunk)
  return Buffer.concat(compressed)
}

export async function collect(body: FakeResponse['body']): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0)
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body)
  const chunks: Uint8Array[] = []
  for await (const chunk of body) chunks.push(chunk)
  return Buffer.concat(chunks)
}
