import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { ApprovalRecord, IncidentState } from '../../src/domain/incident.js';
import { DEFAULT_GUARDS } from '../../src/domain/runbook.js';
import {
  APPROVE_ACTION,
  APPROVE_OVERRIDE_ACTION,
  decisionValue,
  parseDecisionValue,
  REJECT_ACTION,
} from '../../src/slack/actions.js';
import { fallbackText, incidentBlocks, incidentView, statusLine } from '../../src/slack/blocks.js';
import { incidentState } from '../support/incident.js';

const ATTACK = '<!channel> <https://evil.example|Approve> @everyone';

function state(overrides: Partial<IncidentState> = {}): IncidentState {
  return incidentState({
    title: 'Checkout down',
    service: 'web',
    severity: 'critical',
    stage: 'approve',
    recommendation: {
      runbookId: 'restart',
      title: 'Restart the container',
      risk: 'low',
      explanation: 'It stopped answering.',
      steps: [],
      approvers: ['slack:UALICE'],
      approval: 'people',
      escalation: { timeoutMs: 60_000, levels: [], finalPolicy: 'abort' },
      guards: DEFAULT_GUARDS,
      verification: { withinMs: 30_000, intervalMs: 1000 },
      dryRun: false,
    },
    ...overrides,
  });
}

const approved = (round?: number): ApprovalRecord => ({
  actor: 'slack:UALICE',
  via: 'slack',
  decision: 'approved',
  at: '2025-01-01T00:01:00.000Z',
  ...(round !== undefined ? { round } : {}),
});

const buttons = (blocks: KnownBlock[]): string[] =>
  blocks.flatMap((b) =>
    b.type === 'actions'
      ? b.elements.flatMap((e) => ('action_id' in e && e.action_id ? [e.action_id] : []))
      : [],
  );

/** Every text object in the blocks, with its type and verbatim flag. */
function texts(blocks: KnownBlock[]): { type: string; text: string; verbatim?: boolean }[] {
  const found: { type: string; text: string; verbatim?: boolean }[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    const o = value as Record<string, unknown>;
    if ((o['type'] === 'mrkdwn' || o['type'] === 'plain_text') && typeof o['text'] === 'string') {
      found.push({
        type: o['type'],
        text: o['text'],
        ...(typeof o['verbatim'] === 'boolean' ? { verbatim: o['verbatim'] } : {}),
      });
    }
    Object.values(o).forEach(visit);
  };
  visit(blocks);
  return found;
}

describe("the incident message's header", () => {
  it('when the title is cut at 150 units inside an emoji, then no half of it is left', () => {
    const blocks = incidentBlocks(
      incidentView(state({ title: `${'A'.repeat(149)}😀 and more` })),
      'https://temporal.example/wf',
    );
    const header = texts(blocks)[0]?.text ?? '';

    expect(header).toBe('A'.repeat(149));
    expect(header).not.toMatch(/[\ud800-\udfff]/);
  });
});

describe('whether a decision is pending (issue 13): the same rule as the workflow', () => {
  it.each([
    ['nobody has decided', [], undefined, true, 'Awaiting approval'],
    ['approved in round 1', [approved()], undefined, false, 'Approved by <@UALICE>'],
    ['a guard refused after a round-1 approval: round 2 is open', [approved()], 1, true, 'Awaiting approval'],
    ['approved again in round 2', [approved(), approved(1)], 1, false, 'Approved by <@UALICE>'],
    ['a round-2 decision does not count in round 3', [approved(), approved(1)], 2, true, 'Awaiting approval'],
  ])('%s', (_, approvals, round, open, status) => {
    const s = state({ approvals, ...(round !== undefined ? { round } : {}) });
    const blocks = incidentBlocks(incidentView(s), 'https://temporal.example/wf');
    expect(buttons(blocks).includes(APPROVE_ACTION)).toBe(open);
    expect(buttons(blocks).includes(REJECT_ACTION)).toBe(open);
    expect(statusLine(incidentView(s))).toBe(status);
  });

  it('while remediating, only the current round names who approved', () => {
    const s = state({
      stage: 'remediate',
      round: 1,
      approvals: [approved(), { ...approved(1), actor: 'slack:UBOB' }],
    });
    expect(statusLine(incidentView(s))).toBe('Remediation running; approved by <@UBOB>');
  });
});

describe("the incident message shows alert text, never the sender's markup", () => {
  const evil = state({
    title: ATTACK,
    service: `web ${ATTACK}`,
    alertName: '<@U0BOSS>',
    severity: '<!here>',
    stage: 'closed',
    outcome: 'verified',
    verification: { status: 'passed', message: ATTACK, at: '2025-01-01T00:02:00.000Z' },
    approvals: [{ ...approved(), actor: 'api:<!channel>' }],
    detection: { status: 'no-data', message: ATTACK },
  });
  const blocks = incidentBlocks(incidentView(evil), 'https://temporal.example/wf');

  it('every mrkdwn text object is verbatim and holds no control sequence but none', () => {
    const mrkdwn = texts(blocks).filter((t) => t.type === 'mrkdwn');
    expect(mrkdwn.length).toBeGreaterThan(4);
    for (const t of mrkdwn) {
      expect(t.verbatim).toBe(true);
      expect(t.text).not.toMatch(/[<>]/);
    }
    expect(JSON.stringify(blocks)).toContain(
      '&lt;!channel&gt; &lt;https://evil.example|Approve&gt; @everyone',
    );
  });

  it('once closed, the message asks whether it was real, with the incident in both buttons', () => {
    const actions = blocks.find((b) => b.type === 'actions' && b.block_id === 'verdict');
    expect(JSON.stringify(actions)).toContain(`"value":"${evil.incidentId}"`);
    const open = incidentBlocks(incidentView(state({ stage: 'approve' })), 'https://temporal.example/wf');
    expect(open.some((b) => b.type === 'actions' && b.block_id === 'verdict')).toBe(false);
  });

  it('the header is plain_text, which Slack does not parse, on one line', () => {
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ATTACK } });
  });

  it('the fallback text is escaped too', () => {
    const text = fallbackText(incidentView(evil));
    expect(text).not.toMatch(/[<>]/);
    expect(text).toBe(
      '&lt;!channel&gt; &lt;https://evil.example|Approve&gt; @everyone: Closed: verified (&lt;!channel&gt; &lt;https://evil.example|Approve&gt; @everyone)',
    );
  });

  it("a severity named like an Object property is an unknown word, not Object's", () => {
    for (const severity of ['constructor', '__proto__', 'toString']) {
      const fields = JSON.stringify(incidentBlocks(incidentView(state({ severity })), 'https://t.example'));
      expect(fields).toContain(`:white_circle: ${severity}`);
    }
  });

  it('the view is cut to what Slack shows, so the activity input stays small', () => {
    const big = state({
      title: 'x'.repeat(100_000),
      alerts: new Array(5000).fill(undefined) as IncidentState['alerts'],
    });
    const view = incidentView(big);
    expect(view.alertCount).toBe(5000);
    expect(JSON.stringify(view).length).toBeLessThan(2000);
  });
});

describe('an incident no runbook matched (issue 17)', () => {
  const unmatched = state({
    stage: 'recommend',
    recommendation: null,
    timeline: [
      {
        at: '2025-01-01T00:00:10.000Z',
        stage: 'recommend',
        event: 'recommended',
        message:
          'no runbook matches DiskFull <!channel>; waiting for a responder or for the alerts to resolve',
      },
    ],
  });

  it('says so plainly, in the status and in its own section, with no decision buttons', () => {
    const view = incidentView(unmatched);
    expect(statusLine(view)).toBe('No runbook matched: waiting for people or for the alerts to resolve');
    const blocks = incidentBlocks(view, 'https://temporal.example/wf');
    expect(buttons(blocks)).toEqual(['incident_open']);
    expect(JSON.stringify(blocks)).toContain(
      '*No runbook matched:* no runbook matches DiskFull &lt;!channel&gt;',
    );
  });

  it('a runbook that matched but was refused is not called "no runbook matched"', () => {
    const refused = state({
      ...unmatched,
      timeline: [{ ...unmatched.timeline[0]!, event: 'plan-refused', message: 'runbook "r" matched but …' }],
    });
    expect(statusLine(incidentView(refused))).toMatch(/^No runbook will run: /);
  });

  it('once someone acknowledges it, the status says who owns it', () => {
    const owned = state({
      ...unmatched,
      approvals: [
        { actor: 'slack:UBOB', via: 'slack', decision: 'acknowledged', at: '2025-01-01T00:01:00.000Z' },
      ],
    });
    expect(statusLine(incidentView(owned))).toBe('No runbook matched: acknowledged by <@UBOB>');
  });

  it('an incident still triaging (no answer yet) is not called unmatched', () => {
    expect(incidentView(state({ stage: 'detect', recommendation: undefined })).unmatched).toBeUndefined();
  });
});

describe('a change freeze in the message (issue 16)', () => {
  const at = Date.parse('2025-01-01T12:00:00.000Z');
  const frozen = state({
    calendar: {
      checkedAt: '2025-01-01T11:59:00.000Z',
      horizon: '2025-01-08T00:00:00.000Z',
      periods: [
        {
          kind: 'freeze',
          name: 'launch',
          reason: 'change freeze "launch": Launch week',
          from: '2025-01-01T00:00:00.000Z',
          until: '2025-01-02T00:00:00.000Z',
        },
      ],
    },
  });

  it('while the calendar blocks, Approve is Approve with override, and the message says why', () => {
    const view = incidentView(frozen, at);
    expect(view.freeze).toMatch(/^change freeze "launch": Launch week/);
    const blocks = incidentBlocks(view, 'https://temporal.example/wf');
    expect(buttons(blocks)).toEqual([APPROVE_OVERRIDE_ACTION, REJECT_ACTION, 'incident_open']);
    expect(statusLine(view)).toBe('Awaiting approval; a change freeze is on: approve with an override');
  });

  it('once the freeze is over, or once decided, the plain buttons (or none) are back', () => {
    expect(
      buttons(incidentBlocks(incidentView(frozen, Date.parse('2025-01-03T00:00:00.000Z')), 'u')),
    ).toEqual([APPROVE_ACTION, REJECT_ACTION, 'incident_open']);
    expect(incidentView(state({ ...frozen, approvals: [approved()] }), at).freeze).toBeUndefined();
  });
});

describe('the decision buttons name the approval round', () => {
  const values = (blocks: KnownBlock[]): string[] =>
    blocks.flatMap((b) =>
      b.type === 'actions'
        ? b.elements.flatMap((e) =>
            'action_id' in e && e.action_id !== 'incident_open' && 'value' in e && e.value ? [e.value] : [],
          )
        : [],
    );

  it('in their value, which reads back as the incident, the round and when it opened', () => {
    const view = { ...incidentView(state({ incidentId: 'web-checkout.down_1' })), round: 2 };
    const value = `web-checkout.down_1#2#${view.openedAt}`;
    expect(values(incidentBlocks(view, 'u'))).toEqual([value, value]);
    expect(parseDecisionValue(value)).toEqual({
      incidentId: 'web-checkout.down_1',
      round: 2,
      opened: view.openedAt,
    });
    // A message posted before the opening was named.
    expect(parseDecisionValue('web-checkout.down_1#2')).toEqual({
      incidentId: 'web-checkout.down_1',
      round: 2,
    });
    expect(parseDecisionValue(decisionValue('x', 0))).toEqual({ incidentId: 'x', round: 0 });
  });

  it('a message posted before rounds were named carries the incident alone, read as no round', () => {
    const view = incidentView(state({ incidentId: 'web-1' }));
    expect(values(incidentBlocks(view, 'u'))).toEqual(['web-1', 'web-1']);
    expect(parseDecisionValue('web-1')).toEqual({ incidentId: 'web-1' });
  });

  it('a value no message of ours carries is read as an incident ID, which names no incident', () => {
    for (const value of [
      'web-1#',
      'web-1#-1',
      'web-1#1e3',
      'web-1#99999999',
      'web-1#2#',
      'web-1#2#a b',
      'web-1#2#a#b',
    ]) {
      expect(parseDecisionValue(value)).toEqual({ incidentId: value });
    }
  });
});
