import { describe, expect, it } from 'vitest';
import { FEATURE_LIMITS, severityFeatures } from '../../src/severity/features.js';
import { outcomeLesson } from '../../src/severity/lessons.js';
import {
  emptyModel,
  MAX_FEATURES,
  probabilities,
  suggest,
  teach,
  type SeverityModel,
} from '../../src/severity/model.js';
import { applyLesson, SEVERITY_STATE_BYTES, type SeverityState } from '../../src/workflows/severity.js';
import { jsonLength } from '../../src/domain/utf8.js';
import type { IncidentClosed } from '../../src/workflows/records.js';

const alert = (alertName: string, service: string, summary: string, labels: Record<string, string> = {}) => ({
  alertName,
  labels: { alertname: alertName, service, ...labels },
  annotations: { summary },
});

function trained(): SeverityModel {
  const model = emptyModel();
  for (let i = 0; i < 4; i++) {
    teach(model, {
      features: severityFeatures(alert('DiskFull', `db-${i}`, 'disk almost full on the database')),
      severity: 'critical',
      weight: 1,
    });
    teach(model, {
      features: severityFeatures(alert('HighLatency', `web-${i}`, 'latency above target')),
      severity: 'warning',
      weight: 1,
    });
  }
  return model;
}

describe('features', () => {
  it('read the rule, service, stable labels and words, never severity or instance names', () => {
    const f = severityFeatures(
      alert('DiskFull', 'db', 'Disk 93% full on /var', {
        severity: 'critical',
        instance: 'db-7:9100',
        team: 'storage',
      }),
    );
    expect(f).toEqual(
      expect.arrayContaining([
        'alertname=DiskFull',
        'service=db',
        'team=storage',
        'word:disk',
        'word:full',
        'word:var',
      ]),
    );
    expect(f.some((x) => x.startsWith('severity=') || x.startsWith('instance='))).toBe(false);
  });

  it('are bounded whatever the sender sends', () => {
    const labels = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`l${i}`, 'v'.repeat(5000)]));
    const summary = Array.from({ length: 10_000 }, (_, i) => `word${i}`).join(' ');
    const f = severityFeatures(alert('X'.repeat(9000), 's', summary, labels));
    expect(f.length).toBeLessThanOrEqual(2 + FEATURE_LIMITS.labels + FEATURE_LIMITS.words);
    expect(Math.max(...f.map((x) => x.length))).toBeLessThanOrEqual(2 * FEATURE_LIMITS.valueChars + 1);
  });
});

describe('the model', () => {
  it('says it is learning until it has enough examples, and agrees with the label meanwhile', () => {
    const s = suggest(emptyModel(), severityFeatures(alert('DiskFull', 'db', 'disk full')), 'warning');
    expect(s).toMatchObject({ status: 'learning', label: 'warning', examples: 0 });
    expect(s.severity).toBeUndefined();
  });

  it('suggests the severity similar alerts had, with the features that decided it', () => {
    const s = suggest(trained(), severityFeatures(alert('DiskFull', 'db-9', 'disk almost full')), 'warning');
    expect(s.status).toBe('suggested');
    expect(s.severity).toBe('critical');
    expect(s.confidence).toBeGreaterThan(0.6);
    expect(s.because).toContain('alertname=DiskFull');
    expect(s.message).toMatch(/suggests severity critical instead of the label's warning/);
  });

  it('agrees with a label it has no reason to doubt', () => {
    const s = suggest(
      trained(),
      severityFeatures(alert('HighLatency', 'web-1', 'latency above target')),
      'warning',
    );
    expect(s).toMatchObject({ status: 'suggested', severity: 'warning' });
    expect(s.message).toMatch(/^agrees with severity warning/);
  });

  it('takes back exactly what it was taught', () => {
    const model = trained();
    const before = JSON.stringify(model);
    const lesson = {
      features: severityFeatures(alert('Odd', 'x', 'strange words here')),
      severity: 'info',
      weight: 3,
    };
    teach(model, lesson);
    teach(model, { ...lesson, weight: -3 });
    expect(JSON.stringify(model)).toBe(before);
  });

  it('forgets its rarest features past its bound, the same way every time', () => {
    expect(100 * 50).toBeGreaterThan(MAX_FEATURES);
    const a = emptyModel();
    const b = emptyModel();
    // 50 features an example: past the bound after 80 examples.
    for (let i = 0; i < 100; i++) {
      const features = Array.from({ length: 50 }, (_, j) => `f${i * 50 + j}`);
      const ex = { features, severity: i % 2 ? 'warning' : 'critical', weight: 1 + (i % 3) };
      teach(a, ex);
      teach(b, ex);
    }
    const count = new Set(a.classes.flatMap((c) => Object.keys(c.counts))).size;
    expect(count).toBeLessThanOrEqual(MAX_FEATURES);
    expect(count).toBeGreaterThanOrEqual(MAX_FEATURES * 0.9);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('treats prototype names as plain strings', () => {
    const model = trained();
    const hostile = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    teach(model, { features: hostile, severity: 'critical', weight: 1 });
    const p = probabilities(model, hostile);
    expect(p.every((x) => Number.isFinite(x.p))).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(model.classes[0]?.counts)).toBe(Object.prototype);
  });
});

describe('lessons', () => {
  const closed = (over: Partial<IncidentClosed>): IncidentClosed =>
    ({
      incidentId: 'inc-1',
      severity: 'critical',
      alerts: [{ alertName: 'DiskFull', labels: { service: 'db' }, annotations: {} }],
      actions: [],
      approvals: [],
      timeline: [],
      openedAt: '2026-11-30T10:00:00.000Z',
      closedAt: '2026-11-30T10:03:00.000Z',
      outcome: 'resolved',
      ...over,
    }) as unknown as IncidentClosed;

  it('an incident that resolved by itself in minutes teaches info; one a person touched teaches nothing', () => {
    expect(outcomeLesson(closed({}))).toMatchObject({ severity: 'info', key: 'outcome:inc-1', weight: 1 });
    const touched = closed({
      timeline: [{ at: '', stage: 'approve', event: 'resolved', message: '', actor: 'alice' }],
    });
    expect(outcomeLesson(touched)).toBeUndefined();
    expect(outcomeLesson(closed({ closedAt: '2026-11-30T11:00:00.000Z' }))).toBeUndefined();
  });

  it('a remediated incident confirms its label; a rejected one says nothing', () => {
    const acted = closed({ outcome: 'verified', actions: [{}] as IncidentClosed['actions'] });
    expect(outcomeLesson(acted)).toMatchObject({ severity: 'critical' });
    expect(outcomeLesson(closed({ outcome: 'rejected' }))).toBeUndefined();
  });

  it('replaces a lesson of the same key, and counts a repeated correction once', () => {
    const state: SeverityState = { model: emptyModel(), lessons: [], corrections: [] };
    const lesson = {
      key: 'correction:a',
      source: 'correction' as const,
      incidentId: 'a',
      features: ['alertname=X'],
      severity: 'critical',
      weight: 3,
    };
    const correction = { incidentId: 'a', actor: 'alice', severity: 'critical', label: 'warning', at: 't' };
    applyLesson(state, { lesson, correction });
    applyLesson(state, { lesson, correction });
    expect(state.corrections).toHaveLength(1);
    expect(state.model.classes).toEqual([expect.objectContaining({ severity: 'critical', weight: 3 })]);
    applyLesson(state, {
      lesson: { ...lesson, severity: 'info' },
      correction: { ...correction, severity: 'info' },
    });
    expect(state.model.classes.map((c) => [c.severity, c.weight])).toEqual([['info', 3]]);
    expect(state.lessons).toHaveLength(1);
    expect(state.corrections).toHaveLength(2);
  });

  it('when thousands of lessons carry the most features a sender can give, then the state stays far below what Temporal carries into a new run', () => {
    const state: SeverityState = { model: emptyModel(), lessons: [], corrections: [] };
    const long = (i: number, k: number): string => `label_${k}=${'v'.repeat(50)}${i}`;
    for (let i = 0; i < 800; i++) {
      applyLesson(state, {
        lesson: {
          key: `outcome:${i}`,
          source: 'outcome',
          incidentId: `incident-${i}`,
          features: Array.from({ length: 74 }, (_, k) => long(i, k)),
          severity: 'info',
          weight: 1,
        },
        correction: {
          incidentId: `incident-${i}`,
          actor: 'alice',
          severity: 'info',
          label: 'warning',
          reason: 'é'.repeat(2000),
          at: 't',
        },
      });
    }
    // Before the byte budget: 2,000 lessons of 5 KB, 2.8 MB with the model, and the run was terminated.
    expect(jsonLength(state)).toBeLessThan(1_500_000);
    expect(state.lessons.at(-1)?.key).toBe('outcome:799');
    expect(state.corrections.at(-1)?.incidentId).toBe('incident-799');
    expect(jsonLength(state.lessons)).toBeLessThanOrEqual(SEVERITY_STATE_BYTES.lessons);
    expect(jsonLength(state.corrections)).toBeLessThanOrEqual(SEVERITY_STATE_BYTES.corrections);
  });
});
