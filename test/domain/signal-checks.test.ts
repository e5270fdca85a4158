import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { alertmanagerPayloadSchema, alertsFromAlertmanager } from '../../src/domain/alert.js';
import { jsonLength } from '../../src/domain/utf8.js';
import { ALERT_BOUNDS } from '../../src/workflows/alerts.js';
import {
  malformedAbsorbed,
  malformedAlert,
  malformedMergeAnswer,
  malformedMergeAsk,
  malformedRefusal,
} from '../../src/workflows/signal-checks.js';
import { makeAlert } from '../support/scenario.js';

const histories = join(import.meta.dirname, '..', 'histories');

/** Every signal payload the recorded histories hold, by signal name, but the run recorded to drop malformed ones. */
function recordedSignals(): { name: string; payload: unknown }[] {
  return readdirSync(histories)
    .filter((f) => f.endsWith('.json') && f !== 'malformed-signals-dropped.json')
    .flatMap((f) => historyFromJSON(JSON.parse(readFileSync(join(histories, f), 'utf8'))).events ?? [])
    .flatMap((e) => {
      const signal = e.workflowExecutionSignaledEventAttributes;
      const name = signal?.signalName;
      if (!signal || !name) return [];
      const payloads = signal.input?.payloads ?? [];
      return payloads.map((p) => ({ name, payload: defaultPayloadConverter.fromPayload<unknown>(p) }));
    });
}

const CHECKS: Record<string, (payload: unknown) => (string | undefined)[]> = {
  alerts: (p) => (Array.isArray(p) ? p.map(malformedAlert) : ['not a list']),
  refusedDecision: (p) => [malformedRefusal(p)],
  absorbed: (p) => [malformedAbsorbed(p)],
  mergeAsk: (p) => [malformedMergeAsk(p)],
  mergeAnswer: (p) => [malformedMergeAnswer(p)],
};

describe('the checks of signal payloads', () => {
  it('when the recorded histories are read, then every signal they hold is well-formed, so no recorded run drops one', () => {
    const signals = recordedSignals();
    expect(new Set(signals.map((s) => s.name))).toEqual(new Set(Object.keys(CHECKS)));
    const problems = signals.flatMap(({ name, payload }) =>
      (CHECKS[name]?.(payload) ?? ['no check']).flatMap((why) => (why ? [`${name}: ${why}`] : [])),
    );
    expect(problems).toEqual([]);
  });

  it('when an alert fills every limit of the edge with control characters, then the workflow still takes it', () => {
    const c = '\u0001';
    const labels = {
      alertname: c.repeat(1000),
      severity: c.repeat(1000),
      a: c.repeat(1000),
      b: c.repeat(900),
    };
    const names = Array.from({ length: 64 }, (_, i) => `${c.repeat(20)}${i}`);
    const annotations = Object.fromEntries(names.map((n) => [n, c.repeat(8000)]));
    const payload = alertmanagerPayloadSchema.parse({
      version: '4',
      groupKey: 'g',
      status: 'firing',
      receiver: 'r',
      groupLabels: {},
      commonLabels: {},
      alerts: [
        {
          status: 'firing',
          labels,
          annotations,
          startsAt: '2026-12-01T10:00:00.123456789+01:00',
          generatorURL: c.repeat(1360),
          fingerprint: 'f'.repeat(128),
        },
      ],
    });
    const [alert] = alertsFromAlertmanager(payload, 's'.repeat(200));

    expect(jsonLength(alert)).toBeGreaterThan(64 * 1024);
    expect(malformedAlert(alert)).toBeUndefined();
  });

  it('when payloads are null, of the wrong types or too large, then each check says why, in its own words', () => {
    const alert = makeAlert({ alertName: 'X', labels: { service: 'x' } });
    expect(malformedAlert(alert)).toBeUndefined();
    expect(malformedAlert(null)).toBe('an alert is an object');
    expect(malformedAlert({ ...alert, labels: { port: 80 } })).toMatch(/labels and annotations/);
    expect(malformedAlert({ ...alert, status: 'maybe' })).toMatch(/firing or resolved/);
    const huge = { ...alert, annotations: { summary: 'x'.repeat(ALERT_BOUNDS.alertBytes) } };
    expect(malformedAlert(huge)).toBe(`an alert is at most ${ALERT_BOUNDS.alertBytes} bytes of JSON`);

    const refused = { actor: 'alice', via: 'api', decision: 'approve', why: 'w'.repeat(100_000) };
    expect(malformedRefusal(refused)).toBeUndefined();
    expect(malformedRefusal({ ...refused, actor: 'a'.repeat(201) })).toMatch(/actor/);
    expect(malformedRefusal({ ...refused, decision: 'delete' })).toMatch(/what was tried/);

    expect(malformedAbsorbed({ from: 'incident-a', actor: 'alice', alerts: 2 })).toBeUndefined();
    expect(malformedAbsorbed({ from: 'incident-a', actor: 'alice', alerts: -1 })).toMatch(/counts/);
    expect(malformedAbsorbed({ from: 'incident-a', actor: 'alice', alerts: 1, firingKeys: ['k'] })).toMatch(
      /ledger keys/,
    );
    expect(malformedMergeAsk({ from: 'a b' })).toMatch(/asking incident/);
    expect(malformedMergeAsk({ from: 'incident-a', opened: '2026-12-03T10:00:00.000Z' })).toBeUndefined();
    for (const opened of [1, '', 'yesterday', `2026-12-03T10:00:00.${'0'.repeat(100)}Z`]) {
      expect(malformedMergeAsk({ from: 'incident-a', opened })).toMatch(/opening \(opened\) is a time/);
    }
    expect(
      malformedMergeAnswer({ from: 'incident-a', absorbs: false, why: 'it is closing' }),
    ).toBeUndefined();
    expect(malformedMergeAnswer({ from: 'incident-a', absorbs: 1 })).toMatch(/true or false/);
    expect(malformedMergeAnswer({ from: 'incident-a', absorbs: false, why: 'w'.repeat(513) })).toMatch(
      /at most 512/,
    );
  });
});
