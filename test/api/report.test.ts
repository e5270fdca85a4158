import { testDockerScope } from '../support/scenario.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/incident.js';
import { exactDuration } from '../../src/reports/render.js';
import { loadReport, openedStamp, saveReport } from '../../src/reports/store.js';
import {
  alertPayload,
  incidentIdOf,
  startApiHarness,
  startOfflineApi,
  startRisingMetric,
  TOKENS,
  type ApiHarness,
} from '../support/api-harness.js';
import { liveMemoryLimit, startTestContainer } from '../support/docker.js';

const TASK_QUEUE = 'report-tests';
const CONTAINER = 'steadfast-test-report';

// A change that can be undone, and a verification that cannot pass: the report must show both the
// action and its rollback.
const RUNBOOK = `
title: Give the report test container more memory
match: { alertnames: [ReportTestLeak] }
risk: medium
approvers: [alice]
steps:
  - action: docker.update-resources
    container: '{{ labels.container }}'
    memory: 96Mi
${testDockerScope()}
verify: { promql: 'up{job="no-such-job"} == 1', within: 3s, interval: 1s }
`;

const MS_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;

let api: ApiHarness;
let metric: Awaited<ReturnType<typeof startRisingMetric>>;
let id = '';
let closed: IncidentState;

const report = (incidentId: string, token = TOKENS.viewer, query = '', base?: string) =>
  api.call('GET', `/api/v1/incidents/${incidentId}/report${query}`, {
    token,
    ...(base ? { base } : {}),
  });

const postmortem = (incidentId: string, token = TOKENS.viewer, query = '') =>
  api.call('GET', `/api/v1/incidents/${incidentId}/postmortem${query}`, { token });

beforeAll(async () => {
  metric = await startRisingMetric('report_test_ratio', 'report', ['ReportTestLeak']);
  api = await startApiHarness({
    taskQueue: TASK_QUEUE,
    runbooks: { 'memory.yaml': RUNBOOK },
    prometheusUrl: metric.prometheus.url,
  });
  const risingSince = await metric.rise();
  await new Promise((r) => setTimeout(r, 8000));

  // One incident through every part the report tells: detection on a real Prometheus, an approval
  // through the API, a real change on a podman container, a failed verification and its rollback.
  const container = await startTestContainer(api.docker, CONTAINER);
  const service = `report-${Date.now().toString(36)}`;
  id = await incidentIdOf(
    await api.call('POST', '/api/v1/alertmanager', {
      token: TOKENS.alice,
      body: alertPayload({
        alertname: 'ReportTestLeak',
        labels: { service, container: CONTAINER, severity: 'warning' },
        summary: `Memory <b>leak</b> on ${service}`,
        prometheus: { url: metric.prometheus.url, expr: metric.expr },
        startsAt: risingSince,
      }),
    }),
  );
  await api.waitFor(id, (s) => s.stage === 'approve');
  const approved = await api.call('POST', `/api/v1/incidents/${id}/approve`, {
    token: TOKENS.alice,
    body: { reason: 'give it room' },
  });
  expect(approved.status).toBe(200);
  closed = await api.waitFor(id, (s) => s.stage === 'closed', 60_000);
  expect(closed.outcome).toBe('failed');
  expect(await liveMemoryLimit(container)).toBe(-1);
}, 180_000);

afterAll(async () => {
  await api?.stop();
  await metric?.close();
});

describe('the incident report', () => {
  it('when an incident closes, then its report tells IDs, exact times, findings, approvals, actions and rollbacks', async () => {
    const r = await report(id);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('x-report-source')).toBe('temporal');
    expect(r.headers.get('content-disposition')).toBeNull();
    const html = r.text;

    expect(html).toContain(`<title>Incident report ${id}</title>`);
    expect(html).toContain(`<time>${closed.openedAt}</time>`);
    expect(html).toContain(`<time>${closed.closedAt ?? '?'}</time>`);
    expect(closed.openedAt).toMatch(MS_TIME);
    const ttr = Date.parse(closed.closedAt ?? '') - Date.parse(closed.openedAt);
    expect(html).toContain(`${exactDuration(ttr)}</span> (${ttr} ms, closed − opened)`);
    // Every time in the page is an exact UTC timestamp.
    const times = [...html.matchAll(/<time>([^<]*)<\/time>/g)].map((m) => m[1]);
    expect(times.length).toBeGreaterThan(20);
    for (const t of times) expect(t).toMatch(new RegExp(`^${MS_TIME.source}$`));

    // Text from alerts is escaped, never markup.
    expect(html).toContain('Memory &lt;b&gt;leak&lt;/b&gt; on');
    expect(html).not.toContain('Memory <b>leak</b>');

    expect(closed.detection, JSON.stringify(closed.detection?.message)).toMatchObject({ status: 'scored' });
    expect(html).toContain(closed.detection?.finding?.reason.replace(/</g, '&lt;') ?? 'no finding');
    expect(closed.prediction?.forecast?.summary).toBeDefined();
    expect(html).toContain(closed.prediction?.forecast?.summary ?? '?');

    const approval = closed.approvals[0];
    expect(approval).toMatchObject({
      actor: 'alice',
      decision: 'approved',
      via: 'api',
      reason: 'give it room',
    });
    expect(html).toMatch(
      new RegExp(`<td><time>${approval?.at ?? '?'}</time></td><td>approved</td><td>alice</td><td>api</td>`),
    );
    expect(html).toContain('give it room');

    const [action] = closed.actions;
    expect(action).toMatchObject({
      status: 'rolled-back',
      description: `set memory 96MiB on container ${CONTAINER}`,
    });
    expect(html).toContain(`set memory 96MiB on container ${CONTAINER}`);
    expect(html).toContain('<span class="status status-rolled-back">rolled-back</span>');
    expect(html).toContain(`<time>${action?.startedAt ?? '?'}</time>`);
    expect(html).toContain(action?.rollback ?? '?');
    const rolledBack = closed.timeline.find((t) => t.event === 'rolled-back');
    expect(html).toContain(`<td><time>${rolledBack?.at ?? '?'}</time></td><td>rolled-back</td>`);
    expect(html).toContain('Verification');
    expect(html).toContain(closed.verification?.message.replace(/"/g, '&quot;') ?? '?');

    // From the history: who sent the decision and when Temporal recorded it.
    expect(html).toMatch(/update approve accepted<\/td><td>by alice via api \(“give it room”\)/);
    expect(html).toContain('activity completed</td><td>applyAction</td>');
    expect(html).toContain('activity completed</td><td>compensateAction</td>');
    expect(html).toContain(`activity scheduled</td><td>recordIncidentClosed</td>`);
    // The chart is inline, with its data: no external resource anywhere.
    expect(html).toContain('"times":[');
    expect(html).toContain('var uPlot=');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(r.headers.get('content-security-policy')).toMatch(
      /script-src 'sha256-[^']+' 'sha256-[^']+' 'sha256-[^']+';/,
    );
    expect(r.headers.get('content-security-policy')).toContain('sandbox allow-scripts');
  });

  it('when an incident closes, then the same report is written once to the reports folder, atomically', async () => {
    const file = join(api.reportsDir, `${id}.html`);
    const deadline = Date.now() + 10_000;
    while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const saved = readFileSync(file, 'utf8');
    // Built from the workflow's state and history alone: the API, asked later, renders the very same page.
    expect(saved).toBe((await report(id)).text);
    const own = `${id}.${openedStamp(closed.openedAt) ?? '?'}`;
    const files = () => readdirSync(api.reportsDir).filter((f) => f.startsWith(id) || f.endsWith('.tmp'));
    expect(files().sort()).toEqual([`${id}.html`, `${id}.md`, `${own}.html`, `${own}.md`].sort());
    expect(readFileSync(join(api.reportsDir, `${own}.html`), 'utf8')).toBe(saved);
    // Writing again (an activity retry) replaces the same files and leaves no temporary file behind.
    await saveReport(api.reportsDir, id, saved, 'html', closed.openedAt);
    expect(files().sort()).toEqual([`${id}.html`, `${id}.md`, `${own}.html`, `${own}.md`].sort());
    await expect(saveReport(api.reportsDir, '../escape', 'x')).rejects.toThrow(/not a safe file name/);
  });

  it('when the next incident of the same ID closes, then the report of the one before is kept beside it', async () => {
    const next = '2031-01-02T03:04:05.678Z';
    await saveReport(api.reportsDir, id, '<p>the next incident</p>', 'html', next);
    const earlier = join(api.reportsDir, `${id}.${openedStamp(closed.openedAt) ?? '?'}.html`);
    expect(readFileSync(earlier, 'utf8')).toContain(id);
    expect(readFileSync(join(api.reportsDir, `${id}.20310102T030405678Z.html`), 'utf8')).toBe(
      '<p>the next incident</p>',
    );
    // The plain name is the latest, which the API falls back on.
    expect(await loadReport(api.reportsDir, id)).toBe('<p>the next incident</p>');
    // Put back for the tests after this one, which compare the saved report with this incident's.
    await saveReport(api.reportsDir, id, readFileSync(earlier, 'utf8'), 'html', closed.openedAt);
  });

  it('downloads as an attachment, and only with a token that may read', async () => {
    const r = await report(id, TOKENS.viewer, '?download=1');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="${id}.html"`);
    expect((await report(id, '')).status).toBe(401);
    expect((await report(id, 'not-a-valid-token-at-all')).status).toBe(401);
    expect((await report(id, TOKENS.viewer, '?download=yes')).status).toBe(400);
    expect((await report(id, TOKENS.viewer, '?format=pdf')).status).toBe(400);
    expect((await report('incident-nope-000000', TOKENS.viewer)).status).toBe(404);
  });

  it('when Temporal cannot answer, then the report is served from the reports folder', async () => {
    const offline = await startOfflineApi({
      STEADFAST_API_TOKEN: TOKENS.viewer,
      STEADFAST_REPORTS_DIR: api.reportsDir,
    });
    try {
      const r = await report(id, TOKENS.viewer, '', offline.url);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-report-source')).toBe('archive');
      expect(r.text).toBe(await loadReport(api.reportsDir, id));
      // Without a saved report there is nothing to fall back on: Temporal's unavailability shows.
      expect((await report('incident-never-seen-0000', TOKENS.viewer, '', offline.url)).status).toBe(503);
    } finally {
      await offline.close();
    }
  });

  it('when an incident closes, then its postmortem draft is written beside the report and served as Markdown', async () => {
    const file = join(api.reportsDir, `${id}.md`);
    const deadline = Date.now() + 10_000;
    while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const r = await postmortem(id);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(r.headers.get('x-report-source')).toBe('temporal');
    // Drafted from the workflow's state alone: the file written at close is the draft the API renders.
    expect(readFileSync(file, 'utf8')).toBe(r.text);
    expect(r.text).toContain(`- **Incident:** \`${id}\``);
    expect(r.text).toMatch(/\| approved \| `alice` \| api \| give it room \|/);
    expect(r.text).toContain(`| set memory 96MiB on container ${CONTAINER} |`);
    expect(r.text).toContain('| rolled-back |');
    expect(r.text).toContain(`**Verification:** failed at ${closed.verification?.at ?? '?'}`);
    expect(r.text).toContain('- [ ] The fix failed and was rolled back');
    // The alert's summary is in the title: escaped, never HTML.
    expect(r.text).toMatch(/^# Postmortem draft: Memory \\<b\\>leak\\<\/b\\> on/);
    const download = await postmortem(id, TOKENS.viewer, '?download=1');
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${id}.md"`);
    expect((await postmortem(id, '')).status).toBe(401);
    expect((await postmortem(id, TOKENS.viewer, '?format=pdf')).status).toBe(400);
    expect((await postmortem('incident-nope-000000')).status).toBe(404);
  });

  it('when Temporal no longer has the workflow, then the report is still served from the reports folder', async () => {
    const before = (await report(id)).text;
    await api.client.workflowService.deleteWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: id },
    });
    // The server deletes in the background, which takes it a while.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const gone = await api.client.workflow
        .getHandle(id)
        .describe()
        .then(
          () => false,
          (err: unknown) => err instanceof WorkflowNotFoundError,
        );
      if (gone) break;
      if (Date.now() > deadline) throw new Error('the workflow was not deleted');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await api.call('GET', `/api/v1/incidents/${id}`, { token: TOKENS.viewer })).status).toBe(404);
    const r = await report(id);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-report-source')).toBe('archive');
    expect(r.text).toBe(before);
    const draft = await postmortem(id);
    expect(draft.status).toBe(200);
    expect(draft.headers.get('x-report-source')).toBe('archive');
    expect(draft.text).toBe(await loadReport(api.reportsDir, id, 'md'));
  }, 90_000);
});
