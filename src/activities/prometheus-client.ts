import { z } from 'zod';
import { readBodyCapped } from '../lib/body.js';
import { cutText } from '../domain/utf8.js';

/** Why a Prometheus call gave no answer: the server was not there, refused the query, or said too much. */
export class PrometheusError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'bad-query' | 'bad-response' | 'too-large',
    message: string,
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

/**
 * How much of an answer is read. Whatever a server says ends up in an activity's result and in the
 * workflow's history, so nothing it sends is taken whole: the body is read up to `maxBytes` and
 * dropped beyond it, at most `maxSeries` series are kept, and a series keeps at most the points asked
 * for (the range's grid, and never more than `maxPointsPerSeries`, Prometheus's own 11,000).
 */
export interface PrometheusLimits {
  maxBytes: number;
  maxSeries: number;
  maxPointsPerSeries: number;
  /** The whole call, the body included. */
  timeoutMs: number;
}

export const DEFAULT_PROMETHEUS_LIMITS: PrometheusLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxSeries: 100,
  maxPointsPerSeries: 11_000,
  timeoutMs: 5000,
};

// Labels bounded like an alert's (src/domain/alert.ts), so one series cannot carry megabytes of them.
const MAX_LABELS = 64;
const MAX_LABEL_CHARS = 1024;

const sample = z.tuple([z.number(), z.string()]);
const metric = z.record(z.string(), z.string());
const responseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({
        resultType: z.literal('matrix'),
        result: z.array(z.object({ metric, values: z.array(sample) })),
      }),
      z.object({
        resultType: z.literal('vector'),
        result: z.array(z.object({ metric, value: sample })),
      }),
      z.object({ resultType: z.literal('scalar'), result: sample }),
      z.object({ resultType: z.literal('string'), result: sample }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
type ResponseData = Extract<z.infer<typeof responseSchema>, { status: 'success' }>['data'];
/** The rules API's answer, as much of it as is read: each rule's type, name and expression. */
const rulesSchema = z.object({
  status: z.string(),
  data: z.object({
    groups: z.array(
      z.object({ rules: z.array(z.object({ type: z.string(), name: z.string(), query: z.string() })) }),
    ),
  }),
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export interface RangeSeries {
  labels: Record<string, string>;
  times: number[];
  values: number[];
  /** Set when Prometheus answered more points than were kept: what was cut, in words. */
  cut?: string;
}

export interface RangeAnswer {
  series: RangeSeries[];
  /** Set when Prometheus answered more series than were kept: what was cut, in words. */
  cut?: string;
}

export type InstantResult =
  | {
      kind: 'vector';
      /** At most `maxSeries` of them; `count` is how many Prometheus answered. */
      samples: { labels: Record<string, string>; value: number }[];
      count: number;
      /** Set when a sample's labels were cut to the bounds: what, in words. */
      cut?: string;
    }
  | { kind: 'scalar'; value: number };

const count = (n: number): string => n.toLocaleString('en-US');

/** A small client for Prometheus's HTTP query API (instant and range queries), within its limits. */
export class PrometheusClient {
  private readonly limits: PrometheusLimits;

  constructor(
    readonly baseUrl: string,
    limits: Partial<PrometheusLimits> = {},
  ) {
    this.limits = { ...DEFAULT_PROMETHEUS_LIMITS, ...limits };
  }

  async queryRange(query: string, startSec: number, endSec: number, stepSec: number): Promise<RangeAnswer> {
    const data = await this.call('query_range', {
      query,
      start: String(startSec),
      end: String(endSec),
      step: String(stepSec),
    });
    if (data.resultType !== 'matrix')
      throw new PrometheusError('bad-response', `expected a matrix, got ${data.resultType}`);
    // A range has one point per step at most: anything beyond that grid was not asked for.
    const grid = Math.floor(Math.max(0, endSec - startSec) / stepSec) + 1;
    const maxPoints = Math.min(grid, this.limits.maxPointsPerSeries);
    const kept = data.result.slice(0, this.limits.maxSeries);
    return {
      series: kept.map((s) => this.rangeSeries(s.metric, s.values, maxPoints)),
      ...(data.result.length > kept.length ? { cut: this.seriesCut(data.result.length) } : {}),
    };
  }

  /** Evaluates an instant query: a vector's samples, or a scalar's value. */
  async query(query: string): Promise<InstantResult> {
    const data = await this.call('query', { query });
    switch (data.resultType) {
      case 'vector': {
        const samples = data.result.slice(0, this.limits.maxSeries).map((s) => {
          const bounded = this.boundedLabels(s.metric);
          return { labels: bounded.labels, value: Number(s.value[1]), cut: bounded.cut };
        });
        const cut = samples.find((s) => s.cut !== undefined)?.cut;
        return {
          kind: 'vector',
          samples: samples.map(({ labels, value }) => ({ labels, value })),
          count: data.result.length,
          ...(cut ? { cut } : {}),
        };
      }
      case 'scalar':
        return { kind: 'scalar', value: Number(data.result[1]) };
      default:
        throw new PrometheusError('bad-response', `expected a vector or scalar, got ${data.resultType}`);
    }
  }

  private rangeSeries(
    labels: Record<string, string>,
    points: [number, string][],
    maxPoints: number,
  ): RangeSeries {
    const ordered = points.every((p, i) => i === 0 || (points[i - 1]?.[0] ?? 0) <= p[0])
      ? points
      : [...points].sort((a, b) => a[0] - b[0]);
    const kept = ordered.slice(-maxPoints);
    const bounded = this.boundedLabels(labels);
    const cut = [
      bounded.cut,
      points.length > kept.length
        ? `Prometheus at ${this.baseUrl} answered more than ${count(maxPoints)} points ` +
          `(${count(points.length)}); the series was cut to the most recent ${count(maxPoints)}`
        : undefined,
    ].filter((c) => c !== undefined);
    return {
      labels: bounded.labels,
      times: kept.map(([t]) => t),
      values: kept.map(([, v]) => Number(v)),
      ...(cut.length > 0 ? { cut: cut.join('; ') } : {}),
    };
  }

  private seriesCut(answered: number): string {
    const max = this.limits.maxSeries;
    return `Prometheus at ${this.baseUrl} answered more than ${count(max)} series (${count(answered)}); only the first ${count(max)} were read`;
  }

  /**
   * The series' labels within the bounds, and what was cut, if anything. A series is kept with its labels
   * cut rather than the answer dropped: whoever exports one oversized series (a label is anyone's to set
   * in a scraped target) must not blind a check, a watch or detection to every other series, nor make a
   * check that holds look failed.
   */
  private boundedLabels(labels: Record<string, string>): { labels: Record<string, string>; cut?: string } {
    const entries = Object.entries(labels);
    const over = (k: string, v: string): boolean => k.length + v.length > MAX_LABEL_CHARS;
    if (entries.length <= MAX_LABELS && !entries.some(([k, v]) => over(k, v))) return { labels };
    const kept = entries.slice(0, MAX_LABELS).map(([k, v]): [string, string] => {
      const key = cutText(k, MAX_LABEL_CHARS / 4);
      return [key, cutText(v, MAX_LABEL_CHARS - key.length)];
    });
    return {
      labels: Object.fromEntries(kept),
      cut: `Prometheus at ${this.baseUrl} answered a series with more than ${MAX_LABELS} labels or a label over ${count(MAX_LABEL_CHARS)} characters; its labels were cut`,
    };
  }

  /**
   * The expressions of the alerting rules named `name` that this server evaluates (its rules API; the
   * filter by name is asked for, and applied here too, since servers before 2.54 ignore it).
   */
  async alertingRuleQueries(name: string): Promise<string[]> {
    const params = new URLSearchParams({ type: 'alert' });
    params.append('rule_name[]', name);
    const { status, text } = await this.fetchText(`rules?${params.toString()}`, undefined);
    const parsed = rulesSchema.safeParse(parseJson(text));
    if (!parsed.success || parsed.data.status !== 'success') {
      throw new PrometheusError(
        'bad-response',
        `Prometheus at ${this.baseUrl} answered HTTP ${status} to its rules API without a valid list of rules`,
      );
    }
    return parsed.data.data.groups.flatMap((g) =>
      g.rules.filter((r) => r.type === 'alerting' && r.name === name).map((r) => r.query),
    );
  }

  private async call(endpoint: string, params: Record<string, string>): Promise<ResponseData> {
    const { status, text } = await this.fetchText(endpoint, new URLSearchParams(params));
    return this.parse(status, text);
  }

  /** POSTs `form` to the API endpoint (GET without one), and reads the answer within the limits. */
  private async fetchText(
    endpoint: string,
    form: URLSearchParams | undefined,
  ): Promise<{ status: number; text: string }> {
    const url = `${this.baseUrl.replace(/\/$/, '')}/api/v1/${endpoint}`;
    const signal = AbortSignal.timeout(this.limits.timeoutMs);
    let response: Response;
    let text: string;
    try {
      // Redirects are not followed: a query goes to the configured server and nowhere else.
      response = await fetch(url, {
        method: form ? 'POST' : 'GET',
        ...(form ? { body: form } : {}),
        signal,
        redirect: 'manual',
      });
      text = await this.readCapped(response);
    } catch (err) {
      if (err instanceof PrometheusError) throw err;
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      const why = signal.aborted ? `no answer within ${this.limits.timeoutMs} ms` : cause;
      throw new PrometheusError('unreachable', `Prometheus at ${this.baseUrl} could not be reached (${why})`);
    }
    if (response.status >= 300 && response.status < 400) {
      throw new PrometheusError(
        'bad-response',
        `Prometheus at ${this.baseUrl} answered with a redirect (HTTP ${response.status}), which is not followed`,
      );
    }
    return { status: response.status, text };
  }

  /** The body as text, read as a stream and dropped as soon as it passes `maxBytes`. */
  private async readCapped(response: Response): Promise<string> {
    const max = this.limits.maxBytes;
    const tooLarge = () =>
      new PrometheusError(
        'too-large',
        `Prometheus at ${this.baseUrl} answered more than ${count(max)} bytes; the answer was dropped`,
      );
    if (Number(response.headers.get('content-length') ?? 0) > max) {
      await response.body?.cancel();
      throw tooLarge();
    }
    const body = await readBodyCapped(response, max);
    if (body.cut) throw tooLarge();
    // A read that failed (the timeout, a dropped connection) fails the query as a failed fetch does.
    if (body.failed !== undefined) {
      throw body.failed instanceof Error ? body.failed : new Error('the answer could not be read');
    }
    return body.text;
  }

  private parse(status: number, text: string): ResponseData {
    const parsed = responseSchema.safeParse(parseJson(text));
    if (!parsed.success) {
      throw new PrometheusError(
        'bad-response',
        `Prometheus at ${this.baseUrl} answered HTTP ${status} without a valid API response`,
      );
    }
    if (parsed.data.status === 'error') {
      throw new PrometheusError(
        'bad-query',
        `Prometheus refused the query: ${cutText(parsed.data.error, 500)}`,
      );
    }
    return parsed.data.data;
  }
}
