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

/** Standard normal cumulative distribution (Abramowitz & Stegun 7.1.26; absolute error < 1.5e-7). */
export function normalCdf(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Values on a regular grid of `step` seconds from the first finite point to the last, linearly
 * interpolated across gaps and non-finite values: step-based forecasters assume every step is one step.
 */
export function toRegularGrid(times: readonly number[], values: readonly number[], step: number): number[] {
  const points: [number, number][] = [];
  times.forEach((t, i) => {
    const v = values[i];
    if (v !== undefined && Number.isFinite(v)) points.push([t, v]);
  });
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last || !(step > 0)) return [];
  const grid: number[] = [];
  let j = 0;
  for (let t = first[0]; t <= last[0] + 1e-9; t += step) {
    while (j < points.length - 2 && (points[j + 1]?.[0] ?? Infinity) < t) j++;
    const [t0, v0] = points[j] ?? first;
    const [t1, v1] = points[j + 1] ?? points[j] ?? first;
    grid.push(t1 === t0 ? v0 : v0 + ((v1 - v0) * (t - t0)) / (t1 - t0));
  }
  return grid;
}
