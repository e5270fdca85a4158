/** The pure rules: the evidence's verdict, whose verdict wins, the ledger's changes, the summary. */
import { describe, expect, it } from 'vitest';
import {
  applyEvidence,
  applyPersonVerdict,
  LEDGER_LIMITS,
  type LedgerState,
} from '../../src/verdicts/ledger.js';
import { jsonLength } from '../../src/domain/utf8.js';
import { fatigueOf, pageBand, summarizeVerdicts } from '../../src/verdicts/summary.js';
import { evidenceVerdict, verdictOf } from '../../src/verdicts/verdict.js';
import { incidentState } from '../support/incident.js';

const opened = '2024-05-01T10:00:00.000Z';
const closed = (minutes: number, extra: Parameters<typeof incidentState>[0] = {}) =>
  incidentState({
    outcome: 'resolved',
    stage: 'closed',
    milestones: { alertFiring: opened },
    closedAt: new Date(Date.parse(opened) + minutes * 60_000).toISOString(),
    ...extra,
  });
const done = { index: 0, description: 'restart', status: 'done' as const, startedAt: opened };

describe('the evidence', () => {
  it('alerts that resolved by themselves within 15 minutes, nothing done: noise; later: no verdict', () => {
    expect(evidenceVerdict(closed(3)).verdict).toBe('noise');
    expect(evidenceVerdict(closed(3, { outcome: 'no-runbook' })).verdict).toBe('noise');
    expect(evidenceVerdict(closed(40))).toEqual({
      verdict: null,
      reason: 'its alerts resolved by themselves after more than 15 min',
    });
  });

  it('an alert that says it started in year 9999 is not believed: forty minutes open are no self-resolving noise', () => {
    const future = closed(40, {
      openedAt: opened,
      milestones: { opened, alertFiring: '9999-12-31T23:59:59Z' },
    });
    expect(evidenceVerdict(future).verdict).toBeNull();
  });

  it('remediated and verified, or approved by a person and run: actionable', () => {
    expect(evidenceVerdict(closed(3, { outcome: 'verified', actions: [done] })).verdict).toBe('actionable');
    const approved = { decision: 'approved' as const, actor: 'alice', via: 'api', at: opened };
    expect(
      evidenceVerdict(closed(3, { outcome: 'failed', actions: [done], approvals: [approved] })).verdict,
    ).toBe('actionable');
  });

  it('resolved by a person, rejected, or still open: left to people', () => {
    const byHuman = { at: opened, stage: 'approve' as const, event: 'resolved-by-human', message: 'x' };
    expect(evidenceVerdict(closed(3, { timeline: [byHuman] })).verdict).toBeNull();
    expect(evidenceVerdict(closed(3, { outcome: 'rejected' })).verdict).toBeNull();
    expect(evidenceVerdict(incidentState()).verdict).toBeNull();
  });

  it("a person's verdict wins over the evidence", () => {
    const person = { verdict: 'actionable' as const, actor: 'alice', via: 'api', at: opened };
    expect(verdictOf({ person, evidence: { verdict: 'noise', reason: 'r' } })).toMatchObject({
      verdict: 'actionable',
      source: 'person',
    });
    expect(verdictOf({ evidence: { verdict: 'noise', reason: 'r' } }).source).toBe('evidence');
    expect(verdictOf({}).verdict).toBeNull();
  });
});

describe('the ledger', () => {
  const facts = (id: string) => ({ incidentId: id, service: 's', alertName: 'A', openedAt: opened });

  it('keeps at most its bound of entries, dropping the least recently touched', () => {
    const state: LedgerState = { entries: {} };
    const now = Date.parse(opened);
    for (let i = 0; i <= LEDGER_LIMITS.entries; i++) {
      applyEvidence(
        state,
        { facts: facts(`i-${i}`), alerts: 1, evidence: { verdict: null, reason: 'r' } },
        now + i,
      );
    }
    expect(Object.keys(state.entries)).toHaveLength(LEDGER_LIMITS.entries);
    expect(state.entries['i-0']).toBeUndefined();
  });

  it('a replaced verdict is kept, up to its bound', () => {
    const state: LedgerState = { entries: {} };
    for (let i = 0; i < LEDGER_LIMITS.replaced + 3; i++) {
      const verdict = i % 2 ? 'noise' : 'actionable';
      applyPersonVerdict(
        state,
        { facts: facts('x'), verdict, actor: `p${i}`, via: 'api' },
        Date.parse(opened) + i,
      );
    }
    expect(state.entries['x']?.replaced).toHaveLength(LEDGER_LIMITS.replaced);
    expect(state.entries['x']?.person?.actor).toBe(`p${LEDGER_LIMITS.replaced + 2}`);
  });

  it('when hundreds of incidents get six verdicts with the longest notes, then the ledger stays within its bytes, newest kept', () => {
    const state: LedgerState = { entries: {} };
    const note = 'ü'.repeat(2000);
    let now = Date.parse(opened);
    for (let i = 0; i < 300; i++) {
      for (let k = 0; k < 6; k++) {
        const verdict = k % 2 ? 'noise' : 'actionable';
        applyPersonVerdict(
          state,
          { facts: facts(`i-${i}`), verdict, actor: 'alice', via: 'api', note },
          now++,
        );
      }
    }
    // Before the bound: 300 entries of six 2,000-character notes, 7 MB, which Temporal refuses to carry on.
    expect(jsonLength(state)).toBeLessThanOrEqual(LEDGER_LIMITS.bytes + 1_000);
    expect(state.entries['i-299']?.person?.note).toBe(note);
    expect(state.entries['i-299']?.replaced?.[0]?.note).toHaveLength(LEDGER_LIMITS.replacedNoteChars);
    expect(state.entries['i-0']).toBeUndefined();
  });
});

describe('the summary', () => {
  it('weighs pages by the local clock: night 3, off hours 2, working hours 1', () => {
    // Wednesday 2024-05-01.
    expect(pageBand(new Date('2024-05-01T23:30:00Z'), 'UTC')).toBe('night');
    expect(pageBand(new Date('2024-05-01T10:00:00Z'), 'UTC')).toBe('working');
    expect(pageBand(new Date('2024-05-01T19:00:00Z'), 'UTC')).toBe('offHours');
    expect(pageBand(new Date('2024-05-04T10:00:00Z'), 'UTC')).toBe('offHours'); // a Saturday
    // 10:00 UTC is 19:00 in Tokyo.
    expect(pageBand(new Date('2024-05-01T10:00:00Z'), 'Asia/Tokyo')).toBe('offHours');
    const from = Date.parse('2024-05-01T00:00:00Z');
    const pages = ['2024-05-01T23:30:00Z', '2024-05-01T10:00:00Z', '2024-05-01T19:00:00Z'].map((at, i) => ({
      incidentId: `p${i}`,
      at,
    }));
    const f = fatigueOf(pages, from, from + 24 * 3_600_000, 'UTC');
    expect(f).toMatchObject({ pages: 3, weightedPages: 6, onCallHours: 24, score: 0.25 });
  });

  it('flags a rule with enough verdicts, mostly noise; duplicates do not count either way', () => {
    const now = Date.parse(opened) + 3_600_000;
    const entry = (i: number, alertName: string, verdict: 'noise' | 'actionable' | null) => ({
      ...{ incidentId: `${alertName}-${i}`, service: `svc-${i}`, alertName, openedAt: opened, touched: now },
      evidence: { verdict, reason: 'r' },
    });
    const entries = [
      ...[0, 1, 2, 3].map((i) => entry(i, 'Flappy', 'noise')),
      entry(4, 'Flappy', 'actionable'),
      ...[0, 1, 2, 3].map((i) => entry(i, 'Real', 'actionable')),
      entry(4, 'Real', 'noise'),
    ];
    const s = summarizeVerdicts(entries, [], now);
    expect(s.flagged).toEqual([{ kind: 'alertname', name: 'Flappy', decided: 5, noise: 4, share: 0.8 }]);
    expect(s.counts).toEqual({ actionable: 5, noise: 5, duplicate: 0, none: 0 });
    expect(s.noiseShare).toBe(0.5);
  });
});
