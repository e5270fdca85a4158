import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import type { IncidentState } from '../../src/domain/incident.js';
import { followUps, renderPostmortem } from '../../src/reports/postmortem.js';
import { incidentState } from '../support/incident.js';

// A renderer as forgiving as the places a draft is pasted into: raw HTML and bare URLs turned on.
const markdown = new MarkdownIt({ html: true, linkify: true });
const WORKFLOW_URL = 'http://127.0.0.1:8233/namespaces/default/workflows/incident-x';

const HOSTILE =
  '<img src=x onerror=alert(1)> **bold** [Approve](https://evil.example/) | x https://evil.example/ www.evil.example //evil.example/login ops@evil.example';

/** An incident that went through every stage: approved, changed a container, failed and rolled back. */
function closedIncident(overrides: Partial<IncidentState> = {}): IncidentState {
  const at = (s: number): string => new Date(Date.parse('2026-11-30T03:00:00.000Z') + s * 1000).toISOString();
  return incidentState({
    stage: 'closed',
    outcome: 'failed',
    openedAt: at(10),
    closedAt: at(400),
    severity: 'critical',
    recommendation: {
      runbookId: 'memory-bump',
      title: 'Give it more memory',
      risk: 'medium',
      explanation: 'memory rises',
      steps: [],
      approvers: ['alice'],
      approval: 'people',
      escalation: { timeoutMs: 60_000, levels: [], finalPolicy: 'abort' },
      guards: { cooldownMs: 0, maxActionsPerTarget: 3, windowMs: 60_000, maxTargets: 3 },
      verification: { promql: 'up == 1', withinMs: 3000, intervalMs: 1000 },
      dryRun: false,
      targets: ['container web-1 (id 0123abcd)'],
    },
    approvals: [{ decision: 'approved', actor: 'alice', via: 'api', reason: 'give it room', at: at(370) }],
    escalationLevel: 1,
    actions: [
      {
        index: 0,
        action: 'docker.update-resources',
        description: 'set memory 96MiB on container web-1',
        status: 'rolled-back',
        target: 'container:0123abcd',
        startedAt: at(371),
        finishedAt: at(372),
        effect: 'memory 96MiB',
        rollback: 'memory restored to unlimited',
      },
    ],
    verification: { status: 'failed', message: 'up == 1 did not hold within 3s', at: at(380) },
    timeline: [
      { at: at(10), stage: 'collect', event: 'opened', message: 'incident opened' },
      {
        at: at(360),
        stage: 'approve',
        event: 'decision-refused',
        actor: 'mallory',
        message: 'mallory is not an approver',
      },
      { at: at(370), stage: 'approve', event: 'approved', actor: 'alice', message: 'approved by alice' },
      { at: at(390), stage: 'verify', event: 'rolled-back', message: 'memory restored' },
      { at: at(400), stage: 'closed', event: 'closed', message: 'verification failed; rolled back' },
    ],
    milestones: {
      alertFiring: at(0),
      opened: at(10),
      recommended: at(20),
      approved: at(370),
      firstAction: at(371),
      closed: at(400),
    },
    ...overrides,
  });
}

describe('the postmortem draft', () => {
  it('when the alert says it started in year 9999, then the draft does not believe it: the incident began when it opened', () => {
    const state = closedIncident();
    const md = renderPostmortem({
      state: {
        ...state,
        alerts: state.alerts.map((a) => ({ ...a, startsAt: '9999-12-31T23:59:59Z' })),
        milestones: { ...state.milestones, alertFiring: '9999-12-31T23:59:59Z' },
      },
      workflowUrl: WORKFLOW_URL,
    });
    expect(md).not.toContain('9999');
    expect(md).toContain('- **Began:** 2026-11-30T03:00:10.000Z, when the incident opened');
  });

  it('tells summary, impact window, detection, timeline, phases, changes and decisions, then asks what the facts raise', () => {
    const md = renderPostmortem({ state: closedIncident(), workflowUrl: WORKFLOW_URL });
    const headings = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual([
      'Summary',
      'Impact window',
      'Detection',
      'Timeline',
      'Time to repair',
      'What was changed and undone',
      'Decisions',
      'Follow-ups',
    ]);
    expect(md).toContain('- **Began:** 2026-11-30T03:00:00.000Z, when the first alert fired');
    expect(md).toContain('- **Lasted:** 6m 40.000s');
    expect(md).toContain(
      '| approval wait | recommended 2026-11-30T03:00:20.000Z | approved 2026-11-30T03:06:10.000Z | 5m 50.000s |',
    );
    expect(md).toContain('| 2026-11-30T03:06:10.000Z | approve | `alice` | approved by alice |');
    expect(md).toContain('| 1 | set memory 96MiB on container web-1 | `container:0123abcd` | rolled-back |');
    expect(md).toContain('- 2026-11-30T03:06:30.000Z rolled-back: memory restored');
    expect(md).toContain('**Verification:** failed at 2026-11-30T03:06:20.000Z');
    expect(md).toContain('**Refused attempts:**');
    expect(md).toContain(
      '[workflow in the Temporal Web UI](<http://127.0.0.1:8233/namespaces/default/workflows/incident-x>)',
    );
    expect(md).toMatch(/- \[ \] The plan waited 5m 50\.000s for approval/);
    expect(md).toContain('- [ ] Nobody answered before escalation level 1');
    expect(md).toContain('- [ ] The fix failed and was rolled back');
    expect(md).toContain('- [ ] What was the root cause');
  });

  it('renders as tables and lists, whose rows have as many cells as their heads', () => {
    const html = markdown.render(renderPostmortem({ state: closedIncident(), workflowUrl: WORKFLOW_URL }));
    for (const t of html.match(/<table>[\s\S]*?<\/table>/g) ?? []) {
      const head = (t.match(/<th>/g) ?? []).length;
      const rows = t.split('<tr>').slice(2);
      for (const row of rows) expect((row.match(/<td>/g) ?? []).length).toBe(head);
    }
    expect((html.match(/<table>/g) ?? []).length).toBe(4);
  });

  it("never lets an alert's text become markup, a link, a heading or an extra table cell", () => {
    const state = closedIncident({
      title: `# ${HOSTILE}`,
      service: `- ${HOSTILE}`,
      alertName: `> ${HOSTILE}`,
      severity: '1. critical',
      correlationKey: HOSTILE,
      actions: [],
      verification: { status: 'failed', message: HOSTILE, at: '2026-11-30T03:06:20.000Z' },
      timeline: [
        {
          at: '2026-11-30T03:00:10.000Z',
          stage: 'collect',
          event: 'opened',
          actor: `a|b\`c ${HOSTILE}`,
          message: `\n# ${HOSTILE}\n- item`,
        },
      ],
      approvals: [
        { decision: 'rejected', actor: 'bob', via: 'api', reason: HOSTILE, at: '2026-11-30T03:06:10.000Z' },
      ],
    });
    const md = renderPostmortem({ state, workflowUrl: WORKFLOW_URL });
    const html = markdown.render(md);
    // Our own link is the only one; no element from the alert, no heading or list it started.
    expect([...html.matchAll(/<a href="([^"]*)"/g)].map((m) => m[1])).toEqual([WORKFLOW_URL]);
    expect(html).not.toMatch(/<(img|b|ol)\b/);
    expect((html.match(/<blockquote>/g) ?? []).length).toBe(1);
    expect(html).not.toMatch(/<strong>bold<\/strong>/);
    expect((html.match(/<h[1-6]>/g) ?? []).length).toBe(9);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // The pipe in a cell stays in its cell: the timeline row still has four cells.
    const timeline = /<h2>Timeline<\/h2>\s*<table>([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
    for (const row of timeline.split('<tr>').slice(2)) expect((row.match(/<td>/g) ?? []).length).toBe(4);
    expect(timeline).toContain('<code>a|b`c');
  });

  it('writes a query in prose exactly as it reads, a `|` included', () => {
    const query = 'sum(rate(http_requests_total{code=~"5..|429"}[5m]))';
    const state = closedIncident({ detection: { status: 'scored', query, message: 'scored' } });
    const html = markdown.render(renderPostmortem({ state, workflowUrl: WORKFLOW_URL }));
    expect(html).toContain(`<code>${query.replace(/"/g, '&quot;')}</code>`);
  });

  it('asks for a runbook when none matched, and writes an open incident as open', () => {
    const state = incidentState({ recommendation: null, stage: 'approve' });
    const md = renderPostmortem({ state, workflowUrl: WORKFLOW_URL });
    expect(md).toContain('- **Runbook:** none matched');
    expect(md).toContain('- **Outcome:** still open (stage approve)');
    expect(md).toContain('_Nothing was changed._');
    expect(followUps(state)[0]).toBe('No runbook matched this alert: should one be written for it?');
  });

  it('when a runbook matched but its plan was refused, then it says so with the reason, not that none matched', () => {
    const state = incidentState({
      recommendation: null,
      timeline: [
        {
          at: '2026-11-24T06:20:05.000Z',
          stage: 'recommend',
          event: 'plan-refused',
          message: 'runbook "restart" matched, but its target `web-9` is outside its scope',
        },
      ],
    });
    const md = renderPostmortem({ state, workflowUrl: WORKFLOW_URL });
    expect(md).toContain('- **Runbook:** one matched, but its plan was refused: runbook "restart" matched');
    expect(md).not.toContain('none matched');
    expect(followUps(state)[0]).toBe(
      "A runbook matched, but its plan was refused: should its scope, or the alert's labels, change?",
    );
  });
});
