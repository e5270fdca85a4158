import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { TRACING_WORKFLOW_MODULES } from '../../src/telemetry/index.js';
import { bundlerOptions, workflowsPath } from '../../src/temporal/worker.js';

const dir = join(import.meta.dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/**
 * A worker may be restarted with tracing on while incidents are running: their histories, recorded
 * without the tracing interceptor, must replay with it. Replay fails on any command the interceptor
 * would add, drop or reorder.
 */
describe('recorded histories replay with the tracing workflow interceptor bundled in', () => {
  it('when every recorded history replays with tracing on, then none fails and replay exports no span twice', async () => {
    expect(files.length).toBeGreaterThan(10);
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: [...TRACING_WORKFLOW_MODULES],
      ...bundlerOptions,
      logger: quietLogger,
    });
    const exporter = new InMemorySpanExporter();
    const histories = files.map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8'))),
    }));
    const failed: string[] = [];
    for await (const result of Worker.runReplayHistories(
      {
        workflowBundle,
        sinks: { exporter: makeWorkflowExporter(new SimpleSpanProcessor(exporter), new Resource({})) },
      },
      histories,
    )) {
      if (result.error) failed.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failed).toEqual([]);
    // Spans leave through a sink that is not called in replay: the run that was traced keeps its own.
    expect(exporter.getFinishedSpans()).toEqual([]);
  }, 180_000);
});
