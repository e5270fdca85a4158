/** A metric series as the detector and forecaster read it: times in epoch seconds, oldest first. */
export interface Series {
  /** The PromQL expression the values came from. */
  query: string;
  labels: Record<string, string>;
  times: number[];
  values: number[];
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/** Short number formatting for sentences: 0.0791 → "0.0791", 12345.6 → "12346", 1.5e-7 → "1.5e-7". */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) return value.toExponential(2).replace(/\.?0+e/, 'e');
  return Number(value.toPrecision(abs >= 100 ? 5 : 3)).toString();
}
