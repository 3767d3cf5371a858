/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  return percentile(values, 50)
}

/** Nearest-rank percentile (`p` from 0 to 100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty list')
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1]!
}

/** `max / min - 1` over the rounds of one measurement, in percent: how much the machine wobbled. */
export function spread(values: readonly number[]): number {
  if (values.length < 2) return 0
  return (Math.max(...values) / Math.min(...values) - 1) * 100
}

/**
 * The median over rounds of `a[i] / b[i]`: each ratio compares two measurements taken minutes apart
 * at most, so a slow spell of a shared machine that hits one round does not skew the result.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error('pairedRatio needs rounds of the same length')
  return median(a.map((value, i) => value / b[i]!))
}
