import { z } from 'zod';

/** Why a Prometheus call gave no answer: the server was not there, or it refused the query. */
export class PrometheusError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'bad-query' | 'bad-response',
    message: string,
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

const sample = z.tuple([z.number(), z.string()]);
const responseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({
        resultType: z.literal('matrix'),
        result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(sample) })),
      }),
      z.object({
        resultType: z.literal('vector'),
        result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sample })),
      }),
      z.object({ resultType: z.literal('scalar'), result: sample }),
      z.object({ resultType: z.literal('string'), result: sample }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
type ResponseData = Extract<z.infer<typeof responseSchema>, { status: 'success' }>['data'];

export interface RangeSeries {
  labels: Record<string, string>;
  times: number[];
  values: number[];
}

export type InstantResult =
  | { kind: 'vector'; samples: { labels: Record<string, string>; value: number }[] }
  | { kind: 'scalar'; value: number };

/** A small client for Prometheus's HTTP query API (instant and range queries). */
export class PrometheusClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {}

  async queryRange(query: string, startSec: number, endSec: number, stepSec: number): Promise<RangeSeries[]> {
    const data = await this.call('query_range', {
      query,
      start: String(startSec),
      end: String(endSec),
      step: String(stepSec),
    });
    if (data.resultType !== 'matrix')
      throw new PrometheusError('bad-response', `expected a matrix, got ${data.resultType}`);
    return data.result.map((s) => ({
      labels: s.metric,
      times: s.values.map(([t]) => t),
      values: s.values.map(([, v]) => Number(v)),
    }));
  }

  /** Evaluates an instant query: a vector's samples, or a scalar's value. */
  async query(query: string): Promise<InstantResult> {
    const data = await this.call('query', { query });
    switch (data.resultType) {
      case 'vector':
        return {
          kind: 'vector',
          samples: data.result.map((s) => ({ labels: s.metric, value: Number(s.value[1]) })),
        };
      case 'scalar':
        return { kind: 'scalar', value: Number(data.result[1]) };
      default:
        throw new PrometheusError('bad-response', `expected a vector or scalar, got ${data.resultType}`);
    }
  }

  private async call(endpoint: string, params: Record<string, string>): Promise<ResponseData> {
    const url = `${this.baseUrl.replace(/\/$/, '')}/api/v1/${endpoint}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        body: new URLSearchParams(params),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      throw new PrometheusError(
        'unreachable',
        `Prometheus at ${this.baseUrl} could not be reached (${cause})`,
      );
    }
    const body: unknown = await response.json().catch(() => undefined);
    const parsed = responseSchema.safeParse(body);
    if (!parsed.success) {
      throw new PrometheusError(
        'bad-response',
        `Prometheus at ${this.baseUrl} answered HTTP ${response.status} without a valid API response`,
      );
    }
    if (parsed.data.status === 'error') {
      throw new PrometheusError('bad-query', `Prometheus refused the query: ${parsed.data.error}`);
    }
    return parsed.data.data;
  }
}
