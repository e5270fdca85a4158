import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { z } from 'zod';
import { durationMs } from './schemas.js';
import type { AnomalyFinding } from './anomaly.js';
import type { Forecast } from './forecast.js';

/**
 * A query watched before any alert fires. It warns when its series is forecast to cross the threshold
 * within `within` with at least `probability`, or when its anomaly score reaches `anomalyScore`.
 */
const watchSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an alert name: letters, digits and _'),
    query: z.string().min(1).max(4000),
    /**
     * The service the predicted incident is about. Absent: each series' own `service` label (else its
     * `job`), so one watch covers several services and each incident joins its own service's alert.
     */
    service: z.string().min(1).max(253).optional(),
    threshold: z.object({ value: z.number(), direction: z.enum(['above', 'below']) }).strict(),
    within: durationMs('30m'),
    probability: z.number().gt(0).max(1).default(0.8),
    anomalyScore: z.number().gt(0).max(1).default(0.9),
    window: durationMs('1h'),
    step: durationMs('15s'),
    labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string().max(1024)).default({}),
    description: z.string().max(2000).optional(),
  })
  .strict();

export const watchFileSchema = z.object({ watches: z.array(watchSchema).max(500) }).strict();
export type Watch = z.infer<typeof watchSchema>;

/**
 * The expression a watch's predicted incidents carry as their rule (`query > value`): what triage reads
 * for them, and what it accepts as theirs, since the watch file is Steadfast's own configuration.
 */
export function watchComparison(watch: Pick<Watch, 'query' | 'threshold'>): string {
  return `${watch.query} ${watch.threshold.direction === 'above' ? '>' : '<'} ${watch.threshold.value}`;
}

/**
 * The predicted alert's dedupKey for one watch and series: the same series keeps its alert, and no two
 * series share one. A digest of the whole label set, since a prefix of it (the key has 128 bytes) is the
 * same for series that differ only in a later label, such as two pods with long Kubernetes labels.
 */
export function watchDedupKey(name: string, labels: Record<string, string>): string {
  const sorted = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const digest = createHash('sha256')
    .update(JSON.stringify([name, sorted]))
    .digest('hex')
    .slice(0, 32);
  return `watch:${name.slice(0, 80)}:${digest}`;
}

export function parseWatchFile(file: string, text: string): Watch[] {
  const parsed = watchFileSchema.safeParse(parse(text));
  if (!parsed.success) {
    throw new Error(
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const names = parsed.data.watches.map((w) => w.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`${file}: watch ${twice} is defined twice`);
  return parsed.data.watches;
}

export interface WatchVerdict {
  warn: boolean;
  /** The early-warning score: the higher of the crossing probability and the anomaly score. */
  score: number;
  reason: string;
}

/** Whether a watch warns, given its forecast and anomaly finding (either may be missing). */
export function judgeWatch(
  watch: Watch,
  forecast: Forecast | undefined,
  finding: AnomalyFinding | undefined,
): WatchVerdict {
  const probability = forecast?.probability ?? 0;
  const anomaly = finding?.score ?? 0;
  const crossing = probability >= watch.probability && (forecast?.secondsToThreshold ?? 0) > 0;
  const unusual = anomaly >= watch.anomalyScore;
  const score = Math.max(probability, anomaly);
  const parts = [
    forecast ? `forecast: ${forecast.summary}` : 'no forecast',
    finding ? `anomaly score ${finding.score}: ${finding.reason}` : 'no anomaly score',
  ];
  return { warn: crossing || unusual, score: Math.round(score * 1000) / 1000, reason: parts.join('; ') };
}

/** What one run of the watches found: series evaluated, warnings raised, queries that failed. */
export interface WatchReport {
  evaluated: number;
  warnings: {
    watch: string;
    series: Record<string, string>;
    score: number;
    incidentId: string;
    reason: string;
  }[];
  problems: string[];
}
