import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../demo/daemons.js';
import { createSilenceActivities } from '../../src/activities/silences.js';
import type { Alert } from '../../src/domain/alert.js';
import { DEFAULT_CORRELATION_LABELS } from '../../src/domain/correlation.js';
import type { IncidentState } from '../../src/domain/incident.js';
import type { CalendarOutlook } from '../../src/domain/outlook.js';
import { summarize } from '../../src/domain/incident-view.js';
import { sendDecision } from '../../src/incidents/decisions.js';
import { ingestGroup, type IngestConfig } from '../../src/incidents/ingest.js';
import { createLogger } from '../../src/lib/logger.js';
import { alertsSignal, REFUSAL, stateQuery } from '../../src/workflows/messages.js';
import type { incidentWorkflow } from '../../src/workflows/incident.js';
import { testActivities } from '../support/activities.js';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager.js';
import {
  atStage,
  makeAlert,
  recordHistory,
  resolvedAlert,
  startIncident,
  startWebhookSink,
  waitForState,
} from '../support/scenario.js';
import { startTestWorker, testClient, type TestWorker } from '../support/temporal.js';

/**
 * Silences while fixing, on Debian's real Alertmanager (read back with its own amtool), and change
 * freezes from a real calendar file, on a real Temporal server. The remediation is a `wait` step: what
 * is under test is what happens around it.
 */

const run = promisify(execFile);

const runbook = (alert: string, extra = ''): string => `
title: Wait it out
match: { alertnames: [${alert}] }
risk: low
approvers: [alice]
approval: { timeout: 1s, finalPolicy: auto-approve }
${extra}
steps:
  - action: wait
    duration: 1s
verify: { within: 60s, interval: 1s }
`;

const runbooks = {
  'silence.yaml': runbook('SilenceWhileFixing').replace(
    'approval: { timeout: 1s, finalPolicy: auto-approve }',
    'approval: { timeout: 10m }',
  ),
  'unsilenced.yaml': runbook('NoSilencePlease', 'silence: false').replace(
    'approval: { timeout: 1s, finalPolicy: auto-approve }',
    'approval: { timeout: 10m }',
  ),
  'freeze.yaml': runbook('FrozenChange'),
  'declared.yaml': runbook('FreezeDeclared').replace(
    'approval: { timeout: 1s, finalPolicy: auto-approve }',
    'approval: { timeout: 10m }',
  ),
};

let client: Client;
let alertmanager: RunningAlertmanager;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
let calendarFile: string;
const workers: TestWorker[] = [];
/** The worker of QUEUES.rereading, which a test stops and starts again. */
let rereading: TestWorker | undefined;

/** One worker per setup: a real Alertmanager, one that does not answer, and a change calendar. */
const QUEUES = {
  silence: 'silence-scenarios',
  deadAlertmanager: 'silence-am-down',
  calendar: 'freeze-scenarios',
  slowCalendar: 'freeze-slow-read',
  /** The calendar's answers stay current for a second here, not 5 minutes. */
  rereading: 'freeze-reread',
  /** The same, on a worker whose clock is 20 minutes behind the server's. */
  skewed: 'freeze-reread-skewed',
  /** A worker whose calendar answers are made by the test (as `temporal activity complete` can). */
  handmade: 'freeze-handmade',
};

/** While set, the handmade worker answers this instead of reading the calendar. */
let handmade: (() => CalendarOutlook) | undefined;

/** The skewed worker's calendar reads, counted. */
let skewedReads = 0;

const REREAD = { file: '', readAgainMs: 1000 };

/** While set, the slow-calendar worker's reads wait for `release`; `entered` says one got there. */
let calendarGate: { entered: () => void; release: Promise<void> } | undefined;

beforeAll(async () => {
  sink = await startWebhookSink();
  alertmanager = await startAlertmanager(sink.url, 'unused-token');
  calendarFile = join(mkdtempSync(join(tmpdir(), 'steadfast-calendar-')), 'calendar.yaml');
  writeFileSync(calendarFile, '');
  client = await testClient();
  workers.push(
    await startTestWorker(
      testActivities({ runbooks, silences: { alertmanagerUrl: alertmanager.url } }),
      QUEUES.silence,
    ),
    await startTestWorker(
      testActivities({ runbooks, silences: { alertmanagerUrl: `http://127.0.0.1:${await freePort()}` } }),
      QUEUES.deadAlertmanager,
    ),
    await startTestWorker(testActivities({ runbooks, calendar: { file: calendarFile } }), QUEUES.calendar),
  );
  const slow = testActivities({ runbooks, calendar: { file: calendarFile } });
  const read = slow.checkCalendar.bind(slow);
  slow.checkCalendar = async (input) => {
    if (calendarGate) {
      calendarGate.entered();
      await calendarGate.release;
    }
    return read(input);
  };
  workers.push(await startTestWorker(slow, QUEUES.slowCalendar));
  REREAD.file = calendarFile;
  rereading = await startTestWorker(testActivities({ runbooks, calendar: REREAD }), QUEUES.rereading);
  const skewed = testActivities({ runbooks, calendar: { ...REREAD, now: () => Date.now() - 20 * 60_000 } });
  const readSkewed = skewed.checkCalendar.bind(skewed);
  skewed.checkCalendar = async (input) => {
    skewedReads++;
    return readSkewed(input);
  };
  workers.push(await startTestWorker(skewed, QUEUES.skewed));
  const made = testActivities({ runbooks, calendar: REREAD });
  const readMade = made.checkCalendar.bind(made);
  made.checkCalendar = async (input) => (handmade ? handmade() : readMade(input));
  workers.push(await startTestWorker(made, QUEUES.handmade));
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.stop();
  await rereading?.stop();
  await alertmanager?.close();
  await sink?.close();
});

const unique = (name: string): string => `${name}-${Date.now().toString(36)}`;

/** Opens the incident as the webhook does (so the Web UI's static summary is set on the way). */
async function ingest(taskQueue: string, alerts: Alert[]): Promise<WorkflowHandle<typeof incidentWorkflow>> {
  const config: IngestConfig = {
    taskQueue,
    correlationLabels: DEFAULT_CORRELATION_LABELS,
    debounceMs: 100,
    maxHistoryEvents: 5000,
    maxHistoryBytes: 20 * 1_048_576,
    dryRun: false,
    temporalTimeoutMs: 10_000,
  };
  const first = alerts[0] as Alert;
  const { incidentId } = await ingestGroup(client, config, {
    commonLabels: first.labels,
    identity: first.fingerprint,
    alerts,
  });
  return client.workflow.getHandle<typeof incidentWorkflow>(incidentId);
}

interface AmtoolSilence {
  id: string;
  status: { state: string };
  createdBy: string;
  comment: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
}

/** Debian's amtool, asking the test's Alertmanager. */
async function amtoolSilences(...flags: string[]): Promise<AmtoolSilence[]> {
  const { stdout } = await run('amtool', [
    `--alertmanager.url=${alertmanager.url}`,
    'silence',
    'query',
    '-o',
    'json',
    ...flags,
  ]);
  return JSON.parse(stdout) as AmtoolSilence[];
}

/** The alerts Alertmanager holds for a name, with whether each is silenced and by what. */
async function alertmanagerAlerts(
  alertname: string,
): Promise<{ labels: Record<string, string>; status: { state: string; silencedBy: string[] } }[]> {
  const filter = encodeURIComponent(`alertname="${alertname}"`);
  const r = await fetch(`${alertmanager.url}/api/v2/alerts?filter=${filter}`);
  return (await r.json()) as {
    labels: Record<string, string>;
    status: { state: string; silencedBy: string[] };
  }[];
}

const events = (s: IncidentState): string[] => s.timeline.map((t) => t.event);
const noteOf = (s: IncidentState, event: string): string =>
  s.timeline.find((t) => t.event === event)?.message ?? '';

describe('silence while fixing, on a real Alertmanager', () => {
  it('when remediation starts, then each of its alerts is silenced (amtool shows it, the alert is suppressed, its neighbour is not), and closing expires the silence', async () => {
    const job = unique('web');
    const labels = { job, instance: 'web-1:8080', severity: 'critical' };
    const neighbour = { job, instance: 'web-2:8080', severity: 'critical' };
    // Both alerts fire in Alertmanager; only the first is the incident's, sent as Alertmanager holds it.
    const alert = makeAlert({ alertName: 'SilenceWhileFixing', labels });
    await alertmanager.fire([
      { labels: { alertname: 'SilenceWhileFixing', ...labels }, startsAt: alert.startsAt },
      { labels: { alertname: 'SilenceWhileFixing', ...neighbour } },
    ]);
    // One more alert in the incident whose labels name no alert in particular: it must not be silenced.
    const vague = makeAlert({
      alertName: 'SilenceWhileFixing',
      labels: { severity: 'warning' },
      fingerprint: `vague-${job}`,
    });
    const handle = await ingest(QUEUES.silence, [alert, vague]);
    const id = handle.workflowId;

    // The Web UI reads the incident by its alert, service and severity.
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe('SilenceWhileFixing on ' + job + ' (critical)');
    expect(await description.staticDetails()).toContain('instance="web-1:8080"');

    await waitForState(handle, atStage('approve'));
    await sendDecision(client, id, 'approve', { actor: 'alice', via: 'api', reason: 'restart it' });
    const fixing = await waitForState(handle, (s) => s.silence?.status === 'active' && s.stage === 'verify');
    const [silenceId] = fixing.silence?.ids ?? [];
    expect(fixing.silence?.ids).toHaveLength(1);
    expect(noteOf(fixing, 'silenced')).toMatch(
      new RegExp(
        `^silenced 1 alert\\(s\\) in Alertmanager until .*: ${silenceId} \\(SilenceWhileFixing\\{job=${job}.*not silenced: SilenceWhileFixing\\{severity=warning\\}: its labels \\(alertname, severity\\) would silence every alert of that name$`,
      ),
    );

    // amtool sees Steadfast's silence: every label of the alert, for equality, with who approved.
    const active = (await amtoolSilences()).filter((s) => s.id === silenceId);
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({ createdBy: 'steadfast', status: { state: 'active' } });
    expect(active[0]?.comment).toContain(`incident ${id}`);
    expect(active[0]?.comment).toContain('approved by alice');
    expect(active[0]?.matchers.map((m) => [m.name, m.value, m.isRegex, m.isEqual ?? true]).sort()).toEqual(
      [
        ['alertname', 'SilenceWhileFixing', false, true],
        ['instance', 'web-1:8080', false, true],
        ['job', job, false, true],
        ['severity', 'critical', false, true],
      ].sort(),
    );
    // Alertmanager applies it to the incident's alert, and to nothing else.
    const inAlertmanager = await alertmanagerAlerts('SilenceWhileFixing');
    const byInstance = new Map(
      inAlertmanager.filter((a) => a.labels['job'] === job).map((a) => [a.labels['instance'], a.status]),
    );
    expect(byInstance.get('web-1:8080')).toMatchObject({
      state: 'suppressed',
      silencedBy: [silenceId],
      inhibitedBy: [],
    });
    expect(byInstance.get('web-2:8080')).toMatchObject({ state: 'active', silencedBy: [] });
    // The Web UI's current details follow the incident.
    const metadata = await handle.query(workflowMetadataQuery);
    expect(metadata.currentDetails).toContain('**Stage:** verify');
    expect(metadata.currentDetails).toContain(`**Silenced in Alertmanager:** ${silenceId}`);

    await handle.signal(alertsSignal, [resolvedAlert(alert), resolvedAlert(vague)]);
    const closed = await handle.result();
    expect(closed.outcome).toBe('verified');
    expect(closed.silence).toMatchObject({ status: 'expired', ids: [silenceId] });
    expect(noteOf(closed, 'silence-expired')).toBe(`expired the Alertmanager silence(s) ${silenceId}`);
    expect((await amtoolSilences()).map((s) => s.id)).not.toContain(silenceId);
    const expired = (await amtoolSilences('--expired')).find((s) => s.id === silenceId);
    expect(expired?.status.state).toBe('expired');
    expect((await handle.query(workflowMetadataQuery)).currentDetails).toContain(
      '**Stage:** closed (outcome: verified)',
    );
    // Patch silence-beside-reservation: the target is touched (the step's snapshot) only once the silence
    // is in place (test/workflow/recorded.test.ts checks it is asked beside the reservation).
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = (type: string) =>
      events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
    const silenceAsked = scheduled('silenceIncident');
    const silenceDone = events.find(
      (e) =>
        Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(silenceAsked?.eventId),
    );
    expect(Number(scheduled('snapshotTarget')?.eventId)).toBeGreaterThan(Number(silenceDone?.eventId));
    // The run before the patch is kept as silence-created-expired; this one records it.
    await recordHistory(client, id, 'silence-beside-reservation');
  });

  it('when the activity runs again (a retry), then it finds its own silence instead of making a second', async () => {
    const silences = createSilenceActivities({ alertmanagerUrl: alertmanager.url }, createLogger('silent'));
    const incidentId = unique('incident-retry');
    const request = {
      incidentId,
      runbookId: 'wait',
      approvedBy: 'alice',
      alerts: [{ labels: { alertname: 'Retried', job: incidentId, severity: 'page' } }],
      durationMs: 60_000,
    };
    await alertmanager.fire([{ labels: { alertname: 'Retried', job: incidentId, severity: 'page' } }]);
    const first = await silences.silenceIncident(request);
    const second = await silences.silenceIncident(request);
    expect(first.status === 'silenced' && first.silences[0]?.reused).toBe(false);
    expect(second).toMatchObject({ status: 'silenced', silences: [{ reused: true }] });
    const ids = (first.status === 'silenced' ? first.silences : []).map((s) => s.id);
    expect(second.status === 'silenced' && second.silences.map((s) => s.id)).toEqual(ids);
    const mine = (await amtoolSilences()).filter((s) => s.comment.includes(`incident=${incidentId} `));
    expect(mine.map((s) => s.id)).toEqual(ids);
    // Expiring twice is as safe: the second finds nothing left to expire.
    expect(await silences.expireSilences({ incidentId })).toEqual({ expired: ids });
    expect(await silences.expireSilences({ incidentId })).toEqual({ expired: [] });
  });

  it('when Alertmanager answers a new silence with an ID that is not one, then the activity fails and stores nothing of it', async () => {
    // A misbehaving server in front of the real Alertmanager: it makes the silence, then answers with a
    // megabyte path instead of its UUID (kept, it would ride in the state and in the expiring URL).
    const front = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void fetch(`${alertmanager.url}${req.url ?? ''}`, {
          method: req.method ?? 'GET',
          headers: { 'content-type': 'application/json' },
          ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
        }).then(async (answer) => {
          const text = await answer.text();
          const odd = req.method === 'POST' && req.url === '/api/v2/silences';
          res.statusCode = answer.status;
          res.end(odd ? JSON.stringify({ silenceID: `../${'x'.repeat(1024 * 1024)}` }) : text);
        });
      });
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    const { port } = front.address() as AddressInfo;
    try {
      const silences = createSilenceActivities(
        { alertmanagerUrl: `http://127.0.0.1:${port}` },
        createLogger('silent'),
      );
      const incidentId = unique('incident-odd-id');
      const labels = { alertname: 'OddSilenceId', job: incidentId, severity: 'page' };
      await alertmanager.fire([{ labels }]);
      const request = {
        incidentId,
        runbookId: 'wait',
        approvedBy: 'alice',
        alerts: [{ labels }],
        durationMs: 60_000,
      };
      await expect(silences.silenceIncident(request)).rejects.toThrow(/not a silence ID/);
    } finally {
      await new Promise((r) => front.close(r));
    }
  });

  it("when a sender copies another team's alert whole but for its start, then it gets no silence: only the alert Alertmanager sent is silenced", async () => {
    const silences = createSilenceActivities({ alertmanagerUrl: alertmanager.url }, createLogger('silent'));
    const service = unique('copied');
    const labels = { alertname: 'CopiedSilence', service, severity: 'page' };
    const startsAt = new Date(Date.now() - 120_000).toISOString();
    await alertmanager.fire([{ labels, startsAt }]);
    const request = { runbookId: 'restart', approvedBy: 'policy:auto-approve', durationMs: 60_000 };

    const copied = await silences.silenceIncident({
      ...request,
      incidentId: unique('incident-copied'),
      alerts: [{ labels, startsAt: new Date(Date.parse(startsAt) + 1000).toISOString() }],
    });
    expect(copied).toMatchObject({ status: 'silenced', silences: [] });
    expect(copied.status === 'silenced' && copied.skipped.join()).toContain(
      `Alertmanager holds no alert with exactly these labels, started at`,
    );
    const held = (await alertmanagerAlerts('CopiedSilence')).find((a) => a.labels['service'] === service);
    expect(held?.status).toMatchObject({ state: 'active', silencedBy: [] });

    // The same labels with Alertmanager's own start, written to the nanosecond as its webhook does.
    const own = await silences.silenceIncident({
      ...request,
      incidentId: unique('incident-own'),
      alerts: [{ labels, startsAt: startsAt.replace('Z', '456789Z') }],
    });
    expect(own.status === 'silenced' && own.silences).toHaveLength(1);
    const ids = own.status === 'silenced' ? own.silences.map((s) => s.id) : [];
    for (const id of ids) await fetch(`${alertmanager.url}/api/v2/silence/${id}`, { method: 'DELETE' });
  });

  it("when an incident's alert has labels no alert in Alertmanager has exactly, then it gets no silence: it would mute only others' alerts", async () => {
    const silences = createSilenceActivities({ alertmanagerUrl: alertmanager.url }, createLogger('silent'));
    const service = unique('bare');
    // The real alert, in Alertmanager, with labels of its own; a sender's bare one only in the incident.
    const real = { alertname: 'BareSilence', service, namespace: 'prod', instance: 'prod-1' };
    await alertmanager.fire([{ labels: real }]);
    const result = await silences.silenceIncident({
      incidentId: unique('incident-bare'),
      runbookId: 'restart',
      approvedBy: 'alice',
      alerts: [
        { labels: { alertname: 'BareSilence', service } },
        // A control character in a value: Alertmanager reads the filter, holds no such alert; skipped.
        { labels: { alertname: 'BareSilence', service, instance: 'x\u0001y' } },
      ],
      durationMs: 60_000,
    });
    expect(result).toMatchObject({ status: 'silenced', silences: [] });
    expect(result.status === 'silenced' && result.skipped).toHaveLength(2);
    expect(result.status === 'silenced' && result.skipped.join()).toMatch(
      /Alertmanager holds no alert with exactly these labels/,
    );
    const held = (await alertmanagerAlerts('BareSilence')).find((a) => a.labels['service'] === service);
    expect(held?.status).toMatchObject({ state: 'active', silencedBy: [] });
  });

  it('when the runbook says silence: false, then nothing is silenced', async () => {
    const job = unique('quiet');
    const alert = makeAlert({ alertName: 'NoSilencePlease', labels: { job, severity: 'critical' } });
    const handle = await startIncident(client, QUEUES.silence, unique('no-silence'), [alert]);
    await waitForState(handle, atStage('approve'));
    await sendDecision(client, handle.workflowId, 'approve', { actor: 'alice', via: 'api' });
    await waitForState(handle, atStage('verify'));
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    const closed = await handle.result();
    expect(closed.outcome).toBe('verified');
    expect(closed.silence).toBeUndefined();
    expect((await amtoolSilences()).filter((s) => s.matchers.some((m) => m.value === job))).toEqual([]);
  });

  it('when Alertmanager does not answer, then the timeline says so and the remediation still runs and verifies', async () => {
    const alert = makeAlert({
      alertName: 'SilenceWhileFixing',
      labels: { job: unique('down'), severity: 'critical' },
    });
    const handle = await startIncident(client, QUEUES.deadAlertmanager, unique('am-down'), [alert]);
    await waitForState(handle, atStage('approve'));
    await sendDecision(client, handle.workflowId, 'approve', { actor: 'alice', via: 'api' });
    await waitForState(handle, atStage('verify'));
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    const closed = await handle.result();
    expect(closed.outcome).toBe('verified');
    expect(closed.actions[0]?.status).toBe('done');
    expect(noteOf(closed, 'silence-failed')).toMatch(/^the alerts could not be silenced in Alertmanager: /);
    // Closing still looked for silences to expire, and said it could not.
    expect(events(closed)).toContain('silence-expire-failed');
  });
});

describe('change freezes from a real calendar file', () => {
  /** An incident of `alertName` opened on `queue`: its alert's job and its ID are named after `name`. */
  const openOn = async (queue: string, alertName: string, name: string) => {
    const alert = makeAlert({ alertName, labels: { job: unique(name), severity: 'warning' } });
    return { alert, handle: await startIncident(client, queue, unique(`freeze-${name}`), [alert]) };
  };
  /** During a freeze a plain approval is refused; one with an override runs the plan to a verified fix. */
  async function overriddenToFix(
    handle: WorkflowHandle<typeof incidentWorkflow>,
    alert: Alert,
    reason: string,
    history: string,
  ): Promise<void> {
    const refused = await sendDecision(client, handle.workflowId, 'approve', {
      actor: 'alice',
      via: 'api',
    }).catch((err: unknown) => (err as { cause?: unknown }).cause);
    expect((refused as ApplicationFailure).type).toBe(REFUSAL.frozen);
    await sendDecision(client, handle.workflowId, 'approve', {
      actor: 'alice',
      via: 'api',
      override: true,
      reason,
    });
    await waitForState(handle, atStage('verify'));
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('verified');
    await recordHistory(client, handle.workflowId, history);
  }
  const freezeFor = (name: string, reason: string, endsInMs: number): void =>
    writeFileSync(
      calendarFile,
      [
        'freezes:',
        `  - name: ${name}`,
        `    reason: ${JSON.stringify(reason)}`,
        `    start: ${new Date(Date.now() - 3_600_000).toISOString()}`,
        `    end: ${new Date(Date.now() + endsInMs).toISOString()}`,
      ].join('\n'),
    );

  it('when a freeze is on, then nothing is approved automatically, an approval without override is refused and recorded, and one with an override runs', async () => {
    freezeFor('launch', 'Launch week: no automatic changes', 3_600_000);
    const alert = makeAlert({
      alertName: 'FrozenChange',
      labels: { job: unique('frozen'), severity: 'warning' },
    });
    const handle = await startIncident(client, QUEUES.calendar, unique('freeze-override'), [alert]);
    const id = handle.workflowId;
    // The final policy would approve after 1 s; the freeze holds it.
    const held = await waitForState(handle, (s) => events(s).includes('auto-approval-held'));
    expect(noteOf(held, 'change-freeze')).toMatch(
      /^change freeze "launch": Launch week: no automatic changes \(until .*\): no plan is approved automatically, and a person's approval needs an override with a reason$/,
    );
    expect(held.approvals).toEqual([]);
    // The incident says why it waits, with the freeze's end.
    const waiting = summarize(held).waiting;
    expect(waiting?.reason).toContain('change freeze "launch"');
    expect(waiting).toMatchObject({ until: held.hold?.until, overrideNeeded: true });

    const refused = await sendDecision(client, id, 'approve', {
      actor: 'alice',
      via: 'api',
      reason: 'go',
    }).catch((err: unknown) => err);
    const cause = (refused as { cause?: unknown }).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(REFUSAL.frozen);
    expect((cause as ApplicationFailure).message).toMatch(
      /^change freeze "launch".*; to approve anyway, approve with an override and a reason$/,
    );
    // An override without a reason is refused too.
    await expect(
      sendDecision(client, id, 'approve', { actor: 'alice', via: 'api', override: true }),
    ).rejects.toThrow();

    await sendDecision(client, id, 'approve', {
      actor: 'alice',
      via: 'api',
      override: true,
      reason: 'customers are down',
    });
    const fixing = await waitForState(handle, atStage('verify'));
    expect(fixing.approvals).toMatchObject([
      { actor: 'alice', decision: 'approved', override: true, reason: 'customers are down' },
    ]);
    expect(fixing.hold).toBeUndefined();
    const approvedNote = noteOf(fixing, 'approved');
    expect(approvedNote).toMatch(
      /^alice approved the remediation via api, overriding change freeze "launch": .*: customers are down$/,
    );
    const refusals = fixing.timeline.filter((t) => t.event === 'decision-refused').map((t) => t.message);
    expect(refusals[0]).toMatch(/^alice tried to approve via api and was refused: change freeze "launch"/);

    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('verified');
    await recordHistory(client, id, 'freeze-refused-then-override');
    // The same with approval opening once the calendar was read (CALENDAR_BEFORE_APPROVE_PATCH).
    await recordHistory(client, id, 'freeze-read-before-approve');
  });

  it('when someone approves while the calendar is still being read, then it is refused: approval opens once the answer is in', async () => {
    freezeFor('read-gap', 'Nothing until the calendar is read', 3_600_000);
    let release = (): void => undefined;
    const entered = new Promise<void>((entered) => {
      calendarGate = { entered, release: new Promise<void>((r) => (release = r)) };
    });
    const { handle } = await openOn(QUEUES.slowCalendar, 'FrozenChange', 'gap');
    await entered;
    // The plan is made; approval opens only once the calendar has answered.
    const planned = await waitForState(handle, (s) => s.recommendation !== undefined);
    expect(planned.stage).not.toBe('approve');
    const early = await sendDecision(client, handle.workflowId, 'approve', {
      actor: 'alice',
      via: 'api',
    }).catch((err: unknown) => (err as { cause?: unknown }).cause);
    expect(early).toBeInstanceOf(ApplicationFailure);
    expect((early as ApplicationFailure).type).toBe(REFUSAL.wrongStage);

    calendarGate = undefined;
    release();
    // Once read, the freeze it found holds the approval as it holds any.
    await waitForState(handle, (s) => events(s).includes('change-freeze'));
    const late = await sendDecision(client, handle.workflowId, 'approve', {
      actor: 'alice',
      via: 'api',
    }).catch((err: unknown) => (err as { cause?: unknown }).cause);
    expect((late as ApplicationFailure).type).toBe(REFUSAL.frozen);
    expect((await handle.query(stateQuery)).approvals).toEqual([]);
    await handle.terminate('test done');
  });

  it('when the freeze ends while the plan waits, then the calendar is read again and the final policy approves', async () => {
    freezeFor('deploy-window', 'Deploys in progress', 6000);
    const { alert, handle } = await openOn(QUEUES.calendar, 'FrozenChange', 'thaw');
    const held = await waitForState(handle, (s) => events(s).includes('auto-approval-held'));
    expect(held.hold?.reason).toMatch(/^change freeze "deploy-window": Deploys in progress/);
    const fixing = await waitForState(handle, atStage('verify'), 60_000);
    expect(fixing.approvals.map((a) => a.actor)).toEqual(['policy:auto-approve']);
    expect(fixing.approvals[0]?.reason).toMatch(
      /^the change calendar allows it again \(held since .*\); low-risk runbook$/,
    );
    // Approved only once the freeze was over.
    expect(Date.parse(fixing.approvals[0]?.at ?? '')).toBeGreaterThanOrEqual(
      Date.parse(held.hold?.until ?? ''),
    );
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('verified');
    await recordHistory(client, handle.workflowId, 'freeze-held-then-auto-approved');
  });
  it('when a freeze is declared while a plan waits for people, then the calendar is read again and an approval needs an override', async () => {
    writeFileSync(calendarFile, '');
    const { alert, handle } = await openOn(QUEUES.rereading, 'FreezeDeclared', 'declared');
    const waiting = await waitForState(handle, atStage('approve'));
    expect(events(waiting)).not.toContain('change-freeze');
    freezeFor('incident-review', 'Declared while the plan waited', 3_600_000);
    // Read again within a second or two, the freeze is noted for people.
    const frozen = await waitForState(handle, (s) => events(s).includes('change-freeze'), 30_000);
    expect(noteOf(frozen, 'change-freeze')).toMatch(/^change freeze "incident-review": Declared while/);
    await overriddenToFix(handle, alert, 'the review can wait', 'freeze-declared-while-waiting');
  });

  it('when a freeze is lifted before its end, then the plan it held is approved once the calendar is read again', async () => {
    freezeFor('lifted', 'Lifted early', 3_600_000);
    const { alert, handle } = await openOn(QUEUES.rereading, 'FrozenChange', 'lifted');
    const held = await waitForState(handle, (s) => events(s).includes('auto-approval-held'));
    expect(Date.parse(held.hold?.until ?? '')).toBeGreaterThan(Date.now() + 3_000_000);
    writeFileSync(calendarFile, '');
    // Not at the freeze's old end, an hour away: at the next read.
    const fixing = await waitForState(handle, atStage('verify'), 30_000);
    expect(fixing.approvals.map((a) => a.actor)).toEqual(['policy:auto-approve']);
    expect(fixing.approvals[0]?.reason).toMatch(/^the change calendar allows it again/);
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('verified');
  });

  it('when a freeze ends and comes back for the same reason while a plan waits for people, then its end and its return are noted', async () => {
    writeFileSync(calendarFile, '');
    const { alert, handle } = await openOn(QUEUES.rereading, 'FreezeDeclared', 'nightly');
    await waitForState(handle, atStage('approve'));
    freezeFor('nightly', 'Nightly batch', 3_600_000);
    await waitForState(handle, (s) => events(s).includes('change-freeze'), 30_000);
    writeFileSync(calendarFile, '');
    const over = await waitForState(handle, (s) => events(s).includes('change-freeze-over'), 30_000);
    expect(noteOf(over, 'change-freeze-over')).toBe(
      `the change calendar blocks nothing now (it noted: change freeze "nightly": Nightly batch); a person's approval needs no override`,
    );
    // The same freeze the next night: before, it looked noted already, and people were not told.
    freezeFor('nightly', 'Nightly batch', 3_600_000);
    const calendarNotes = (s: IncidentState) => events(s).filter((e) => e.startsWith('change-freeze'));
    await waitForState(handle, (s) => calendarNotes(s).length === 3, 30_000);
    // Read again every second meanwhile: each change is noted once.
    await new Promise((r) => setTimeout(r, 3000));
    expect(calendarNotes(await handle.query(stateQuery))).toEqual([
      'change-freeze',
      'change-freeze-over',
      'change-freeze',
    ]);
    await overriddenToFix(handle, alert, 'the batch can wait', 'freeze-over-and-back');
  });

  it("when a worker's clock is 20 minutes behind the server's, then the calendar is read again at its interval, not at once and for ever, and a person's approval counts", async () => {
    writeFileSync(calendarFile, '');
    const { alert, handle } = await openOn(QUEUES.skewed, 'FreezeDeclared', 'skewed');
    await waitForState(handle, atStage('approve'));
    const before = skewedReads;
    await new Promise((r) => setTimeout(r, 3000));
    // About one read a second (the interval here); read on the outlook's own times, hundreds.
    expect(skewedReads - before).toBeGreaterThanOrEqual(1);
    expect(skewedReads - before).toBeLessThanOrEqual(6);
    await sendDecision(client, handle.workflowId, 'approve', { actor: 'alice', via: 'api' });
    await waitForState(handle, atStage('verify'));
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('verified');
  });

  it('when someone acknowledged a plan a freeze held, then the freeze lifting does not let the final policy approve it', async () => {
    freezeFor('acked', 'Held, then acknowledged', 3_600_000);
    const { handle } = await openOn(QUEUES.rereading, 'FrozenChange', 'acked');
    await waitForState(handle, (s) => events(s).includes('auto-approval-held'));
    await sendDecision(client, handle.workflowId, 'acknowledge', { actor: 'alice', via: 'api' });
    writeFileSync(calendarFile, '');
    // Read again every second: the lifted freeze is seen, and alice still owns the decision.
    await new Promise((r) => setTimeout(r, 4000));
    const state = await handle.query(stateQuery);
    expect(state.approvals.map((a) => [a.actor, a.decision])).toEqual([['alice', 'acknowledged']]);
    expect(state.stage).toBe('approve');
    await handle.terminate('test done');
  });

  it('when the calendar keeps failing, then its freeze is noted once, not at every read', async () => {
    const reason = 'the change calendar could not be read: no such file';
    handmade = () => {
      const now = Date.now();
      const until = new Date(now + 1000).toISOString();
      const from = new Date(now).toISOString();
      return {
        checkedAt: from,
        horizon: until,
        readAgainAt: until,
        periods: [{ from, until, kind: 'freeze', name: 'calendar', reason }],
      };
    };
    const { handle } = await openOn(QUEUES.handmade, 'FreezeDeclared', 'failing');
    await waitForState(handle, atStage('approve'));
    await new Promise((r) => setTimeout(r, 5000));
    const state = await handle.query(stateQuery);
    expect(state.timeline.filter((t) => t.event === 'change-freeze')).toHaveLength(1);
    expect(events(state)).not.toContain('change-freeze-over');
    await handle.terminate('test done');
  });

  it('when a calendar answer holds times that are not times, then the plan still waits, reads again and takes an approval', async () => {
    handmade = () => ({ checkedAt: 'now', horizon: 'later', readAgainAt: 'not a time', periods: [] });
    const { alert, handle } = await openOn(QUEUES.handmade, 'FreezeDeclared', 'not-a-time');
    await waitForState(handle, atStage('approve'));
    handmade = undefined;
    await sendDecision(client, handle.workflowId, 'approve', { actor: 'alice', via: 'api' });
    await waitForState(handle, atStage('verify'));
    await handle.signal(alertsSignal, [resolvedAlert(alert)]);
    expect((await handle.result()).outcome).toBe('verified');
  });

  it('when the calendar is due to be read again and no worker reads it, then an approval waits for the read, and counts once it is in', async () => {
    writeFileSync(calendarFile, '');
    const { handle } = await openOn(QUEUES.rereading, 'FreezeDeclared', 'unread');
    await waitForState(handle, atStage('approve'));
    await rereading?.stop();
    // A freeze declared while no worker runs, and an outlook twice its interval old.
    freezeFor('unseen', 'Declared while the workers were down', 3_600_000);
    await new Promise((r) => setTimeout(r, 2500));
    const approving = sendDecision(client, handle.workflowId, 'approve', {
      actor: 'alice',
      via: 'api',
    }).catch((err: unknown) => (err as { cause?: unknown }).cause);
    rereading = await startTestWorker(testActivities({ runbooks, calendar: REREAD }), QUEUES.rereading);
    const unread = await approving;
    expect(unread).toBeInstanceOf(ApplicationFailure);
    expect((unread as ApplicationFailure).type).toBe(REFUSAL.calendarUnread);
    expect((unread as ApplicationFailure).message).toMatch(/is due to be read again and has not been/);
    // Once read, the freeze is seen.
    await waitForState(handle, (s) => events(s).includes('change-freeze'), 30_000);
    const frozen = await sendDecision(client, handle.workflowId, 'approve', {
      actor: 'alice',
      via: 'api',
    }).catch((err: unknown) => (err as { cause?: unknown }).cause);
    expect((frozen as ApplicationFailure).type).toBe(REFUSAL.frozen);
    expect((await handle.query(stateQuery)).approvals).toEqual([]);
    await handle.terminate('test done');
  });
});
