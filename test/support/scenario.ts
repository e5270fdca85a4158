import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { inject } from 'vitest';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { Alert } from '../../src/domain/alert.js';
import type { IncidentInput, IncidentState, Stage } from '../../src/domain/incident.js';
import { alertsSignal, stateQuery } from '../../src/workflows/messages.js';
import { incidentWorkflow } from '../../src/workflows/incident.js';

/**
 * A runbook scope (one line of YAML) for this run's test containers, which all carry the label
 * steadfast.test (see createTestContainer): a test runbook acts on nothing else.
 */
/**
 * A medium-risk runbook for `alertname` whose one step waits a second: a plan that waits for alice's
 * decision and touches nothing; `verify` is its check (by default, its alerts resolve within 3 s).
 */
export const waitRunbook = (alertname: string, verify = '{ within: 3s, interval: 1s }'): string => `
title: Wait for a person
match: { alertnames: [${alertname}] }
risk: medium
approvers: [alice]
approval: { timeout: 10m }
steps:
  - action: wait
    duration: 1s
verify: ${verify}
`;

export const testDockerScope = (): string =>
  `scope: { docker: { labels: { steadfast.test: '${inject('testRunId')}' } } }`;

/** Polls the incident's state until it satisfies `done`; fails with the last state seen. */
export async function waitForState(
  handle: WorkflowHandle<typeof incidentWorkflow>,
  done: (s: IncidentState) => boolean,
  timeoutMs = 30_000,
): Promise<IncidentState> {
  const deadline = Date.now() + timeoutMs;
  let last: IncidentState | undefined;
  for (;;) {
    try {
      last = await handle.query(stateQuery);
      if (done(last)) return last;
    } catch {
      // the first workflow task may not have run yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out; last stage ${last?.stage}, timeline: ${JSON.stringify(last?.timeline.map((t) => t.message))}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const atStage = (stage: Stage) => (s: IncidentState) => s.stage === stage;

/** An alert as Alertmanager would deliver it, pointing at the test's Prometheus. */
export function makeAlert(
  overrides: Partial<Alert> & { alertName: string; labels: Record<string, string> },
  prometheusUrl?: string,
  expr?: string,
): Alert {
  const startsAt = overrides.startsAt ?? new Date(Date.now() - 60_000).toISOString();
  const fingerprint =
    overrides.fingerprint ?? `${overrides.alertName}-${Object.values(overrides.labels).join('-')}`;
  return {
    fingerprint,
    dedupeKey: `${fingerprint}@${startsAt}`,
    status: 'firing',
    severity: 'critical',
    annotations: { summary: `${overrides.alertName} in a test` },
    startsAt,
    source: 'alertmanager',
    ...(prometheusUrl && expr
      ? { generatorURL: `${prometheusUrl}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=1` }
      : {}),
    ...overrides,
    labels: { alertname: overrides.alertName, ...overrides.labels },
  };
}

/** Starts (or joins) incident `id` with these alerts, as the webhook does: one signalWithStart. */
export function startIncident(
  client: Client,
  taskQueue: string,
  id: string,
  alerts: Alert[],
  extra: Partial<IncidentInput> = {},
): Promise<WorkflowHandle<typeof incidentWorkflow>> {
  return client.workflow.signalWithStart(incidentWorkflow, {
    workflowId: id,
    taskQueue,
    args: [
      {
        incidentId: id,
        correlationKey: `test=${id}`,
        debounceMs: 100,
        maxHistoryEvents: 5000,
        dryRun: false,
        ...extra,
      },
    ],
    signal: alertsSignal,
    signalArgs: [alerts],
  });
}

/** The alert as Alertmanager sends it once it has resolved. */
export const resolvedAlert = (alert: Alert): Alert => ({
  ...alert,
  status: 'resolved',
  endsAt: new Date().toISOString(),
});

/** Writes runbooks into a fresh folder and returns it. */
export function writeRunbooks(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-runbooks-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/**
 * Captures JSON POSTs (escalation and announcement webhooks) in arrival order. With `failFirst`, the
 * first that many POSTs are answered 500 and not captured, as a receiver that is briefly down.
 */
export async function startWebhookSink(options: { failFirst?: number } = {}): Promise<{
  url: string;
  received: unknown[];
  close: () => Promise<void>;
}> {
  const received: unknown[] = [];
  let failures = options.failFirst ?? 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.writeHead(500).end('briefly down');
        return;
      }
      received.push(JSON.parse(body) as unknown);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * With STEADFAST_RECORD_HISTORIES=1, saves the scenario's history under test/histories, where the
 * replay test picks it up: a workflow change that breaks these recorded runs fails CI. Without `runId`,
 * the workflow's latest run (after a continue-as-new, the run it continued as).
 */
export async function recordHistory(
  client: Client,
  workflowId: string,
  name: string,
  runId?: string,
): Promise<void> {
  if (process.env['STEADFAST_RECORD_HISTORIES'] !== '1') return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const dir = join(import.meta.dirname, '..', 'histories');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), historyToJSON(history));
}

type HistoryEvents = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>;

/** The activity types a run scheduled, in order: what it did, read from its history rather than waited for. */
export const scheduledActivities = (events: HistoryEvents): string[] =>
  events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

/** The timers a run started, in order, with their durations in ms and whether they were cancelled. */
export function startedTimers(events: HistoryEvents): { ms: number; canceled: boolean }[] {
  const canceled = new Set(events.flatMap((e) => e.timerCanceledEventAttributes?.timerId ?? []));
  return events.flatMap((e) => {
    const t = e.timerStartedEventAttributes;
    if (!t) return [];
    const seconds = Number(t.startToFireTimeout?.seconds ?? 0);
    const ms = seconds * 1000 + Math.round((t.startToFireTimeout?.nanos ?? 0) / 1e6);
    return [{ ms, canceled: canceled.has(t.timerId ?? '') }];
  });
}

/** The run's history events, once `done` holds for them (a workflow task may still be in flight). */
export async function historyWhen(
  handle: WorkflowHandle,
  done: (events: HistoryEvents) => boolean,
  timeoutMs = 30_000,
): Promise<HistoryEvents> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = (await handle.fetchHistory()).events ?? [];
    if (done(events)) return events;
    if (Date.now() > deadline) throw new Error(`timed out waiting on the history of ${handle.workflowId}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * How an update was answered: `accepted`, or the type of the refusal its validator or handler threw. Any
 * other failure (the update never reached the incident) fails the test.
 */
export async function updateAnswer(update: Promise<unknown>): Promise<string | undefined> {
  try {
    await update;
    return 'accepted';
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    return err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;
  }
}
