// Public keys are checked by hand because a small-order or non-canonical key lets one signature
// verify for many messages; OpenSSL accepts some of those encodings.
const P = 2n ** 255n - 19n
const D = (-121665n * inverse(121666n)) % P
const SQRT_M1 = modPow(2n, (P - 1n) / 4n, P)

function mod(a: bigint): bigint {
  const r = a % P
  return r < 0n ? r + P : r
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n
  let b = base % m
  let e = exp
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m
    b = (b * b) % m
    e >>= 1n
  }
  return result
}

function inverse(a: bigint): bigint {
  return modPow(mod(a), P - 2n, P)
}

function decodeLittleEndian(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}

/** Decodes a 32-byte Ed25519 point; undefined when not canonical or not on the curve. */
function decodePoint(bytes: Uint8Array): { x: bigint; y: bigint } | undefined {
  const last = bytes[31]!
  const sign = last >> 7
  const copy = Uint8Array.from(bytes)
  copy[31] = last & 0x7f
  const y = decodeLittleEndian(copy)
  if (y >= P) return undefined
  const y2 = mod(y * y)
  const u = mod(y2 - 1n)
  const v = mod(D * y2 + 1n)
  const v3 = mod(v * v * v)
  let x = mod(u * v3 * modPow(mod(u * v3 * v3 * v), (P - 5n) / 8n, P))
  const vx2 = mod(v * x * x)
  if (vx2 === mod(-u)) x = mod(x * SQRT_M1)
  else if (vx2 !== u) return undefined
  if (x === 0n && sign === 1) return undefined
  if (Number(x & 1n) !== sign) x = mod(-x)
  return { x, y }
}

type Extended = [bigint, bigint, bigint, bigint]

function double([x1, y1, z1]: Extended): Extended {
  const a = mod(x1 * x1)
  const b = mod(y1 * y1)
  const c = mod(2n * z1 * z1)
  const h = mod(a + b)
  const e = mod(h - mod((x1 + y1) * (x1 + y1)))
  const g = mod(a - b)
  const f = mod(c + g)
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)]
}

/**
 * True when `bytes` is a canonical encoding of an Ed25519 point of large order: the only public keys
 * a signature check can rely on.
 */
export function isStrongEd25519PublicKey(bytes: Uint8Array): boolean {
  if (bytes.length !== 32) return false
  const point = decodePoint(bytes)
  if (point === undefined) return false
  let q: Extended = [point.x, point.y, 1n, mod(point.x * point.y)]
  for (let i = 0; i < 3; i++) q = double(q)
  return q[0] !== 0n
}

const L = 2n ** 252n + 27742317777372353535851937790883648493n

/** True when the `S` half of a 64-byte Ed25519 signature is canonical (`S < L`). */
export function isCanonicalSignature(signature: Uint8Array): boolean {
  if (signature.length !== 64) return false
  // Fast path: the top byte of a canonical S is below 0x10 and usually far below.
  const top = signature[63]!
  if (top < 0x10) return true
  if (top > 0x10) return false
  return decodeLittleEndian(signature.subarray(32)) < L
}
