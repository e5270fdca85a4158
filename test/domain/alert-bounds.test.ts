import { describe, expect, it } from 'vitest';
import {
  alertmanagerPayloadSchema,
  alertsFromAlertmanager,
  genericAlertSchema,
  type Alert,
} from '../../src/domain/alert.js';
import { absorbAlerts, ALERT_BOUNDS } from '../../src/workflows/alerts.js';
import type { IncidentState, TimelineEntry } from '../../src/domain/incident.js';
import { cutJsonString, cutUtf8, jsonLength, jsonStringLength, utf8Length } from '../../src/domain/utf8.js';
import { signalBatches } from '../../src/incidents/ingest.js';
import { incidentClosed, incidentOpened } from '../../src/workflows/records.js';
import { keywordValue, SEARCH_ATTRIBUTE_VALUE_BYTES } from '../../src/workflows/search-attributes.js';
import { appendNote, TIMELINE_BOUNDS } from '../../src/workflows/timeline.js';
import { incidentState } from '../support/incident.js';
import { makeAlert } from '../support/scenario.js';

/** Texts where characters, UTF-16 units and bytes all differ: accents, €, emoji, control characters, lone surrogates. */
const SAMPLES = [
  '',
  'plain ascii',
  'äöü',
  '€'.repeat(700),
  '😀 grinning 😀',
  'quote " backslash \\ newline \n tab \t',
  '\u0001\u0002\u001f',
  'lone \ud800 high, lone \udc00 low, pair \ud83d\ude00',
  '\u2028\u2029\u007f',
];

describe('utf8Length and jsonStringLength', () => {
  it.each(SAMPLES)('when measuring %#, then the sizes are what Node encodes', (text) => {
    expect(utf8Length(text)).toBe(Buffer.byteLength(text));
    expect(jsonStringLength(text)).toBe(Buffer.byteLength(JSON.stringify(text)));
    expect(jsonLength({ text })).toBe(Buffer.byteLength(JSON.stringify({ text })));
  });
});

describe('cutUtf8 and cutJsonString', () => {
  it.each(SAMPLES.flatMap((s, i) => [5, 8, 13, 64].map((max) => [i, max, s.repeat(20)] as const)))(
    'when sample %i is cut to %i bytes, then it fits, keeps whole characters and says it was cut',
    (_sample, max, text) => {
      const cut = cutUtf8(text, max);
      const json = cutJsonString(text, max);

      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(max);
      expect(Buffer.byteLength(JSON.stringify(json))).toBeLessThanOrEqual(max);
      for (const piece of [cut, json]) {
        // A cut never splits a surrogate pair that was whole in the input.
        expect(piece.replace(/…(\(cut\))?$/, '')).toBe(
          text.slice(0, piece.replace(/…(\(cut\))?$/, '').length),
        );
        expect(
          /[\ud800-\udbff]$/.test(piece.replace(/…(\(cut\))?$/, '')) && text.includes('\ud83d\ude00'),
        ).toBe(false);
      }
      if (Buffer.byteLength(text) <= max) expect(cut).toBe(text);
      else if (max >= 8) expect(cut.endsWith('…(cut)')).toBe(true);
    },
  );
});

describe('keywordValue', () => {
  it('when a service is 700 × "€" (2,102 bytes of JSON), then its search attribute value is cut within 2,048', () => {
    const value = keywordValue('€'.repeat(700));

    expect(Buffer.byteLength(JSON.stringify('€'.repeat(700)))).toBe(2102);
    expect(Buffer.byteLength(JSON.stringify(value))).toBeLessThanOrEqual(SEARCH_ATTRIBUTE_VALUE_BYTES);
    expect(value).toMatch(/^€+…$/);
  });

  it('when 1,024 control characters pass the label limit, then their 6,146 bytes of JSON are cut too', () => {
    const text = '\u0001'.repeat(1024);

    const value = keywordValue(text);

    expect(Buffer.byteLength(JSON.stringify(text))).toBe(6146);
    expect(Buffer.byteLength(JSON.stringify(value))).toBeLessThanOrEqual(SEARCH_ATTRIBUTE_VALUE_BYTES);
  });

  it('when a value fits, then it is kept as it is', () => {
    expect(keywordValue('checkout')).toBe('checkout');
    const edge = 'x'.repeat(SEARCH_ATTRIBUTE_VALUE_BYTES - 2);
    expect(keywordValue(edge)).toBe(edge);
  });
});

const state = (): IncidentState =>
  incidentState({ incidentId: 'incident-x', title: 'X', service: 'svc', alertName: 'X' });

const entry = (event: string, message: string): TimelineEntry => ({
  at: '2024-05-01T10:00:00.000Z',
  stage: 'approve',
  event,
  message,
});

describe('appendNote', () => {
  it('when 1,000 alert notes arrive, then the first and the latest are kept with one line counting the rest', () => {
    const s = state();
    appendNote(s, entry('opened', 'incident opened'));

    for (let i = 0; i < 1000; i++) {
      appendNote(s, entry('alert-firing', `alert ${i}`));
      if (i === 500) appendNote(s, entry('detected', 'a finding'));
    }

    const alerts = s.timeline.filter((t) => t.event === 'alert-firing').map((t) => t.message);
    const kept = TIMELINE_BOUNDS.first + TIMELINE_BOUNDS.latest;
    expect(alerts).toHaveLength(kept);
    expect(alerts.slice(0, 2)).toEqual(['alert 0', 'alert 1']);
    expect(alerts.at(-1)).toBe('alert 999');
    expect(s.notesDropped).toEqual({ alert: 1000 - kept });
    const marker = s.timeline.filter((t) => t.event === 'alert-notes-dropped');
    expect(marker).toHaveLength(1);
    expect(marker[0]?.message).toMatch(new RegExp(`^${1000 - kept} alert entries left out`));
    // The workflow's own lines are never dropped, and the marker sits after the first alerts.
    expect(s.timeline.map((t) => t.event)).toContain('detected');
    expect(s.timeline.findIndex((t) => t.event === 'alert-notes-dropped')).toBe(TIMELINE_BOUNDS.first + 1);
    expect(Buffer.byteLength(JSON.stringify(s.timeline))).toBeLessThan(20_000);
  });

  it('when refused decisions pile up, then they are bounded on their own, apart from alert notes', () => {
    const s = state();
    for (let i = 0; i < 100; i++) appendNote(s, entry('decision-refused', `mallory tried ${i}`));
    for (let i = 0; i < 10; i++) appendNote(s, entry('alert-firing', `alert ${i}`));

    expect(s.timeline.filter((t) => t.event === 'decision-refused')).toHaveLength(40);
    expect(s.timeline.filter((t) => t.event === 'alert-firing')).toHaveLength(10);
    expect(s.notesDropped).toEqual({ 'refused decision': 60 });
  });

  it('when a flapping calendar notes a block and its end at every read, then both are bounded together and the latest stays', () => {
    const s = state();
    for (let i = 0; i < 100; i++) {
      appendNote(s, entry('change-freeze', `the change calendar could not be read: ${i} (until later)`));
      appendNote(s, entry('change-freeze-over', `the change calendar blocks nothing now (${i})`));
    }

    const calendar = s.timeline.filter((t) => t.event.startsWith('change-freeze'));
    expect(calendar).toHaveLength(40);
    expect(calendar.at(-1)?.message).toBe('the change calendar blocks nothing now (99)');
    expect(s.notesDropped).toEqual({ calendar: 160 });
  });

  it.each([
    [true, 40, { merge: 20, acknowledgement: 20, forward: 20 }],
    // Runs that began before the patch keep them whole, as they did when their history was written.
    [false, 60, undefined],
  ])(
    'when merges, acknowledgements and forwards pile up (bounded: %s), then each kind keeps %i',
    (caps, kept, dropped) => {
      const s = state();
      for (let i = 0; i < 60; i++) {
        const kind = i % 2 === 0 ? 'absorbed' : 'merge-failed';
        appendNote(s, entry(kind, `merge ${i}`), caps);
        appendNote(s, entry('acknowledged', `person ${i} acknowledged`), caps);
        appendNote(s, entry(i % 2 === 0 ? 'alerts-forwarded' : 'forward-failed', `forward ${i}`), caps);
      }

      const merges = s.timeline.filter((t) => t.event === 'absorbed' || t.event === 'merge-failed');
      expect(merges).toHaveLength(kept);
      expect(s.timeline.filter((t) => t.event === 'acknowledged')).toHaveLength(kept);
      const forwards = s.timeline.filter(
        (t) => t.event === 'alerts-forwarded' || t.event === 'forward-failed',
      );
      expect(forwards).toHaveLength(kept);
      expect(s.notesDropped).toEqual(dropped);
      if (caps) {
        expect(merges.at(-1)?.message).toBe('merge 59');
        expect(s.timeline.find((t) => t.event === 'merge-notes-dropped')?.message).toMatch(
          /^20 merge entries left out/,
        );
      }
    },
  );

  it('when a message is 100 KB, then it is cut to 2 KiB', () => {
    const s = state();

    appendNote(s, entry('action-failed', 'e'.repeat(100_000)));

    expect(Buffer.byteLength(s.timeline[0]?.message ?? '')).toBeLessThanOrEqual(TIMELINE_BOUNDS.messageBytes);
  });
});

const alertOf = (i: number, bytes: number, status: Alert['status'] = 'firing'): Alert => ({
  fingerprint: `fp-${i}`,
  dedupeKey: `fp-${i}@x`,
  status,
  alertName: 'X',
  severity: 'warning',
  labels: {},
  annotations: { description: 'x'.repeat(bytes) },
  startsAt: '2024-05-01T10:00:00Z',
  source: 'alertmanager',
});

describe('signalBatches', () => {
  it('when a group holds 3 MB of alerts, then it goes in batches of at most 512 KiB, firing ones first', () => {
    const alerts = Array.from({ length: 300 }, (_, i) =>
      alertOf(i, 10_000, i % 3 === 0 ? 'resolved' : 'firing'),
    );

    const batches = signalBatches(alerts);

    expect(batches.length).toBeGreaterThanOrEqual(6);
    for (const b of batches)
      expect(Buffer.byteLength(JSON.stringify(b))).toBeLessThanOrEqual(512 * 1024 + 1000);
    expect(batches.flat()).toHaveLength(300);
    expect(batches[0]?.every((a) => a.status === 'firing')).toBe(true);
    expect(new Set(batches.flat().map((a) => a.fingerprint)).size).toBe(300);
  });

  it('when a group is small, then it is one batch as it came', () => {
    const alerts = [alertOf(1, 10), alertOf(2, 10)];

    expect(signalBatches(alerts)).toEqual([alerts]);
  });
});

describe('incidentOpened and incidentClosed', () => {
  it('when the lifecycle records are made, then the opening one has no alerts and the closing one no ledger', () => {
    const s = { ...state(), alerts: [alertOf(1, 10)], alertsReceived: 7, alertLedger: { kabc: 1 as const } };

    expect(incidentOpened(s)).toEqual({
      incidentId: 'incident-x',
      title: 'X',
      service: 'svc',
      alertName: 'X',
      severity: 'warning',
      alertsReceived: 7,
    });
    expect(incidentClosed(s)).not.toHaveProperty('alertLedger');
    expect(incidentClosed(s).alerts).toEqual(s.alerts);
    expect(s.alertLedger).toEqual({ kabc: 1 });
  });
});

describe('one alert within the limits, as JSON', () => {
  it('when a sender fills every label and annotation with control characters, then the alert is refused or cut to well under half of what an incident holds, so the opening alert stays', () => {
    const c = '\u0001';
    const payload = (labels: Record<string, string>, annotations: Record<string, string>) => ({
      version: '4',
      groupKey: 'g',
      status: 'firing',
      receiver: 'r',
      groupLabels: {},
      commonLabels: { alertname: 'ServiceDown', service: 'web' },
      commonAnnotations: {},
      externalURL: '',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'ServiceDown', service: 'web', ...labels },
          annotations,
          startsAt: '2026-12-01T10:00:00Z',
          fingerprint: `fp-${Object.keys(labels).length}`,
        },
      ],
    });
    const names = Array.from({ length: 64 }, (_, i) => c.repeat(250 - String(i).length) + String(i));
    const bloated = Object.fromEntries(names.map((n) => [n, c.repeat(512)]));
    expect(alertmanagerPayloadSchema.safeParse(payload({}, bloated)).success).toBe(false); // names: 96 KiB of JSON

    const pads = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`pad${i}`, c.repeat(1000)]));
    expect(alertmanagerPayloadSchema.safeParse(payload(pads, {})).success).toBe(false); // labels: 90 KiB of JSON

    const values = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`a${i}`, c.repeat(8000)]));
    const cut = alertsFromAlertmanager(alertmanagerPayloadSchema.parse(payload({}, values)), 'stranger')[0];
    expect(jsonLength(cut)).toBeLessThan(ALERT_BOUNDS.keptBytes / 2);

    const state = incidentState();
    const opener = alertsFromAlertmanager(
      alertmanagerPayloadSchema.parse(payload({ container: 'web-1' }, { summary: 'down' })),
      'alertmanager',
    )[0];
    absorbAlerts(state, opener ? [opener] : []);
    absorbAlerts(state, cut ? [cut] : []);
    expect(state.alerts[0]?.labels['container']).toBe('web-1');
  });

  it('when a startsAt carries a megabyte of fractional digits or a generatorURL 8 KiB of control characters, then the payload is refused', () => {
    const alert = (fields: Record<string, string>) => ({
      version: '4',
      groupKey: 'g',
      status: 'firing',
      receiver: 'r',
      groupLabels: {},
      commonLabels: { alertname: 'ServiceDown' },
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'ServiceDown' },
          startsAt: '2026-12-01T10:00:00Z',
          fingerprint: 'fp',
          ...fields,
        },
      ],
    });
    const digits = `2026-12-01T10:00:00.${'0'.repeat(1_000_000)}Z`;
    const parsed = alertmanagerPayloadSchema.safeParse(alert({ startsAt: digits }));
    expect(parsed.error?.issues[0]?.message).toBe('an RFC 3339 timestamp of at most 64 characters');
    const url = `http://127.0.0.1:9090/graph?g0.expr=${'\u0001'.repeat(8000)}`;
    expect(alertmanagerPayloadSchema.safeParse(alert({ generatorURL: url })).error?.issues[0]?.message).toBe(
      'generatorURL is at most 8192 bytes of JSON (a control character counts six)',
    );
    const generic = genericAlertSchema.safeParse({
      title: 't',
      severity: 'critical',
      service: 'web',
      startsAt: digits,
      generatorURL: url,
    });
    expect(generic.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['generatorURL', 'startsAt']);
    // Alertmanager's own, to the nanosecond, still passes.
    expect(
      alertmanagerPayloadSchema.safeParse(alert({ startsAt: '2026-12-01T10:00:00.123456789+01:00' })).success,
    ).toBe(true);
  });

  it('when an alert after the opening one is larger than half of what an incident holds, then the opening alert stays beside it', () => {
    const state = incidentState();
    const opener = makeAlert({ alertName: 'ServiceDown', labels: { container: 'web-1' } });
    const huge = makeAlert({
      alertName: 'ServiceDown',
      fingerprint: 'huge',
      labels: { container: 'victim-db' },
      annotations: { summary: 'x'.repeat(ALERT_BOUNDS.keptBytes) },
    });

    absorbAlerts(state, [opener]);
    absorbAlerts(state, [huge]);

    expect(state.alerts.map((a) => a.labels['container'])).toEqual(['web-1', 'victim-db']);
    expect(state.alertsDropped).toBe(0);
  });
});
