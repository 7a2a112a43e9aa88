/**
 * @module Small statistics for benchmark runs: mean, median and nearest-rank percentiles. Pure, so
 * the figures the bench prints can be checked by tests.
 */

/** Arithmetic mean; NaN for an empty input. */
export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * Nearest-rank percentile of values already sorted ascending: the smallest value with at least
 * `p` percent of the values at or below it (p99 of 1..100 is 99, of 1..1000 is 990). NaN when empty.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (p <= 0 || p > 100) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

/** Median (mean of the two middle values for an even count); NaN when empty. Does not reorder `values`. */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/** Smallest and largest finite value, or undefined when there is none. */
export function range(values: readonly number[]): { min: number; max: number } | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return undefined;
  return { min: Math.min(...finite), max: Math.max(...finite) };
}
