import { describe, expect, it } from 'vitest';
import {
  ALERT_LIMITS,
  alertFromGeneric,
  alertmanagerPayloadSchema,
  alertsFromAlertmanager,
  genericAlertSchema,
} from '../../src/domain/alert.js';

/** A webhook body as Alertmanager 0.27 sends it. */
function alertmanagerPayload(): Record<string, unknown> {
  return {
    receiver: 'steadfast',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: {
          alertname: 'ServiceDown',
          container: 'checkout-1',
          instance: 'checkout:8080',
          job: 'checkout',
          severity: 'critical',
        },
        annotations: { summary: 'checkout is down', description: 'no scrape for 1m' },
        startsAt: '2024-05-01T10:00:00.123Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1',
        fingerprint: 'c0ffee1234567890',
      },
      {
        status: 'resolved',
        labels: { alertname: 'ServiceDown', instance: 'cart:8080', job: 'cart' },
        annotations: {},
        startsAt: '2024-05-01T09:50:00Z',
        endsAt: '2024-05-01T10:01:00Z',
        generatorURL: '',
        fingerprint: 'deadbeef00000001',
      },
    ],
    groupLabels: { alertname: 'ServiceDown' },
    commonLabels: { alertname: 'ServiceDown' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}:{alertname="ServiceDown"}',
    truncatedAlerts: 0,
  };
}

describe('alertmanagerPayloadSchema and alertsFromAlertmanager', () => {
  it('when a real version 4 payload arrives, then every alert is read with its labels and annotations', () => {
    const body = alertmanagerPayload();

    const payload = alertmanagerPayloadSchema.parse(body);
    const alerts = alertsFromAlertmanager(payload);

    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatchObject({
      fingerprint: 'c0ffee1234567890',
      status: 'firing',
      alertName: 'ServiceDown',
      severity: 'critical',
      startsAt: '2024-05-01T10:00:00.123Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1',
      source: 'alertmanager',
    });
    expect(alerts[0]?.labels['container']).toBe('checkout-1');
    expect(alerts[0]?.annotations['summary']).toBe('checkout is down');
  });

  it('when commonLabels name labels an alert does not carry, then the payload is refused', () => {
    // A sender could otherwise open the ServiceDown incident of prod-web with an alert of another name.
    const body = alertmanagerPayload();
    body.commonLabels = { alertname: 'ServiceDown', job: 'prod-web' };

    const parsed = alertmanagerPayloadSchema.safeParse(body);

    expect(parsed.success).toBe(false);
    const issues = parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues).toEqual(['alerts.0.labels.job: every alert must carry the common label job="prod-web"']);
  });

  it('when a group label is not among the common labels, then the payload is refused', () => {
    const body = alertmanagerPayload();
    body.groupLabels = { alertname: 'ServiceDown', job: 'checkout' };

    const parsed = alertmanagerPayloadSchema.safeParse(body);

    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['groupLabels.job']);
  });

  it('when endsAt is the zero time of a firing alert, then it is dropped', () => {
    const payload = alertmanagerPayloadSchema.parse(alertmanagerPayload());

    const [firing] = alertsFromAlertmanager(payload);

    expect(firing).toBeDefined();
    expect(firing).not.toHaveProperty('endsAt');
  });

  it('when a resolved alert has a real endsAt, then it is kept', () => {
    const payload = alertmanagerPayloadSchema.parse(alertmanagerPayload());

    const resolved = alertsFromAlertmanager(payload)[1];

    expect(resolved?.status).toBe('resolved');
    expect(resolved?.endsAt).toBe('2024-05-01T10:01:00Z');
  });

  it('when endsAt is not a time at all, then it is dropped', () => {
    const body = alertmanagerPayload();
    const alerts = body['alerts'] as Record<string, unknown>[];
    alerts[1] = { ...alerts[1], endsAt: 'whenever' };

    const resolved = alertsFromAlertmanager(alertmanagerPayloadSchema.parse(body))[1];

    expect(resolved).toBeDefined();
    expect(resolved).not.toHaveProperty('endsAt');
  });

  it('when an alert has no severity label or generatorURL, then it is a warning without a generatorURL', () => {
    const payload = alertmanagerPayloadSchema.parse(alertmanagerPayload());

    const resolved = alertsFromAlertmanager(payload)[1];

    expect(resolved?.severity).toBe('warning');
    expect(resolved).not.toHaveProperty('generatorURL');
  });

  it('when alerts are read, then the dedupe key is fingerprint@startsAt', () => {
    const payload = alertmanagerPayloadSchema.parse(alertmanagerPayload());

    const keys = alertsFromAlertmanager(payload).map((a) => a.dedupeKey);

    expect(keys).toEqual([
      'c0ffee1234567890@2024-05-01T10:00:00.123Z',
      'deadbeef00000001@2024-05-01T09:50:00Z',
    ]);
  });

  it('when the payload is version 3, then it is refused with a message naming version "4"', () => {
    const body = { ...alertmanagerPayload(), version: '3' };

    const result = alertmanagerPayloadSchema.safeParse(body);

    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => i.path[0] === 'version');
    expect(issue?.message).toContain('"4"');
  });

  it('when an alert has no alertname label, then the payload is refused', () => {
    const body = alertmanagerPayload();
    const alerts = body['alerts'] as Record<string, unknown>[];
    alerts[0] = { ...alerts[0], labels: { job: 'checkout' } };

    const result = alertmanagerPayloadSchema.safeParse(body);

    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => i.message.includes('alertname'));
    expect(issue?.path).toEqual(['alerts', 0, 'labels']);
  });

  it('when an alert has an empty alertname, then the payload is refused', () => {
    const body = alertmanagerPayload();
    const alerts = body['alerts'] as Record<string, unknown>[];
    alerts[0] = { ...alerts[0], labels: { alertname: '' } };

    const result = alertmanagerPayloadSchema.safeParse(body);

    expect(result.success).toBe(false);
  });

  it('when a label name is not a Prometheus label name, then the payload is refused at that label', () => {
    const body = alertmanagerPayload();
    const alerts = body['alerts'] as Record<string, unknown>[];
    alerts[0] = { ...alerts[0], labels: { alertname: 'X', 'bad-name': 'v' } };

    const result = alertmanagerPayloadSchema.safeParse(body);

    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(paths).toContain('alerts.0.labels.bad-name');
  });

  it('when startsAt is not an RFC 3339 timestamp, then the payload is refused', () => {
    const body = alertmanagerPayload();
    const alerts = body['alerts'] as Record<string, unknown>[];
    alerts[0] = { ...alerts[0], startsAt: 'yesterday' };

    const result = alertmanagerPayloadSchema.safeParse(body);

    expect(result.success).toBe(false);
  });

  it('when the payload has no alerts, then it is refused', () => {
    const body = { ...alertmanagerPayload(), alerts: [] };

    const result = alertmanagerPayloadSchema.safeParse(body);

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('the payload has no alerts');
  });
});

describe('genericAlertSchema and alertFromGeneric', () => {
  const receivedAt = new Date('2024-05-01T12:00:00.000Z');

  it('when a generic alert has no alertname label, then its alertname comes from the title', () => {
    const input = genericAlertSchema.parse({
      title: 'Disk almost full! (sda1)',
      severity: 'warning',
      service: 'storage',
    });

    const alert = alertFromGeneric(input, receivedAt);

    expect(alert.alertName).toBe('Disk_almost_full_sda1_');
    expect(alert.labels).toMatchObject({
      alertname: 'Disk_almost_full_sda1_',
      service: 'storage',
      severity: 'warning',
    });
    expect(alert.annotations).toEqual({ summary: 'Disk almost full! (sda1)' });
    expect(alert.source).toBe('api');
    expect(alert.status).toBe('firing');
  });

  it.each([
    ['an alertname label, then that label wins over the title', 'CheckoutErrors', 'CheckoutErrors'],
    ['an empty alertname label, then the title names it (an empty name names nothing)', '', 'Disk_full'],
  ])('when a generic alert has %s', (_, alertname, expected) => {
    const input = genericAlertSchema.parse({
      title: 'Disk full',
      severity: 'critical',
      service: 'checkout',
      labels: { alertname },
    });

    const alert = alertFromGeneric(input, receivedAt);

    expect(alert.alertName).toBe(expected);
    expect(alert.labels['alertname']).toBe(expected);
  });

  it('when two posts carry the same dedupKey, then they get the same fingerprint', () => {
    const first = genericAlertSchema.parse({
      title: 'Queue backing up',
      severity: 'warning',
      service: 'worker',
      dedupKey: 'queue-42',
    });
    const second = genericAlertSchema.parse({
      title: 'Queue backing up badly',
      severity: 'critical',
      service: 'worker',
      dedupKey: 'queue-42',
    });

    const a = alertFromGeneric(first, receivedAt);
    const b = alertFromGeneric(second, new Date('2024-05-01T12:05:00Z'));

    expect(a.fingerprint).toBe('queue-42');
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.dedupeKey).toBe(a.dedupeKey);
  });

  it('when there is no dedupKey, then the same label set gives the same fingerprint and others differ', () => {
    const base = { title: 'Queue backing up', severity: 'warning', service: 'worker' };

    const a = alertFromGeneric(genericAlertSchema.parse({ ...base, labels: { a: '1', b: '2' } }), receivedAt);
    const b = alertFromGeneric(genericAlertSchema.parse({ ...base, labels: { b: '2', a: '1' } }), receivedAt);
    const c = alertFromGeneric(genericAlertSchema.parse({ ...base, labels: { a: '1', b: '3' } }), receivedAt);

    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });

  it('when there is no startsAt, then the dedupe key ends with @unspecified and startsAt is the receipt time', () => {
    const input = genericAlertSchema.parse({ title: 'T', severity: 'info', service: 's', dedupKey: 'k1' });

    const alert = alertFromGeneric(input, receivedAt);

    expect(alert.dedupeKey).toBe('k1@unspecified');
    expect(alert.dedupeKey.endsWith('@unspecified')).toBe(true);
    expect(alert.startsAt).toBe('2024-05-01T12:00:00.000Z');
  });

  it('when startsAt is given, then it is part of the dedupe key', () => {
    const input = genericAlertSchema.parse({
      title: 'T',
      severity: 'info',
      service: 's',
      dedupKey: 'k1',
      startsAt: '2024-05-01T11:00:00Z',
    });

    const alert = alertFromGeneric(input, receivedAt);

    expect(alert.dedupeKey).toBe('k1@2024-05-01T11:00:00Z');
    expect(alert.startsAt).toBe('2024-05-01T11:00:00Z');
  });

  it('when a generic alert is resolved, then its endsAt is the receipt time', () => {
    const input = genericAlertSchema.parse({
      title: 'T',
      severity: 'info',
      service: 's',
      status: 'resolved',
    });

    const alert = alertFromGeneric(input, receivedAt);

    expect(alert.status).toBe('resolved');
    expect(alert.endsAt).toBe('2024-05-01T12:00:00.000Z');
  });

  it.each([
    ['an upper-case severity', { title: 'T', severity: 'Critical', service: 's' }],
    ['an empty title', { title: '', severity: 'info', service: 's' }],
    ['no service', { title: 'T', severity: 'info' }],
    ['a bad label name', { title: 'T', severity: 'info', service: 's', labels: { 'a.b': 'x' } }],
    ['a generatorURL that is no URL', { title: 'T', severity: 'info', service: 's', generatorURL: 'nope' }],
  ])('when a generic alert has %s, then it is refused', (_label, body) => {
    const result = genericAlertSchema.safeParse(body);

    expect(result.success).toBe(false);
  });
});

describe('size limits at the edge (bytes of UTF-8)', () => {
  const withAlert = (change: (alert: Record<string, unknown>) => void): Record<string, unknown> => {
    const body = alertmanagerPayload();
    const [first] = body['alerts'] as Record<string, unknown>[];
    if (first) change(first);
    return body;
  };
  const labelsOf = (alert: Record<string, unknown>) => alert['labels'] as Record<string, string>;
  const annotationsOf = (alert: Record<string, unknown>) => alert['annotations'] as Record<string, string>;
  const messages = (result: { error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
    (result.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

  it('when a service label is 700 × "€" (700 characters, 2,100 bytes), then the payload is refused at that label', () => {
    const body = withAlert((a) => (labelsOf(a)['service'] = '€'.repeat(700)));

    const result = alertmanagerPayloadSchema.safeParse(body);

    expect(result.success).toBe(false);
    expect(messages(result)).toContain(
      'alerts.0.labels.service: a label value is at most 1024 bytes of UTF-8',
    );
  });

  it('when a label value is exactly 1,024 bytes, then it is accepted whole', () => {
    const value = `${'€'.repeat(341)}x`;
    expect(Buffer.byteLength(value)).toBe(ALERT_LIMITS.labelValueBytes);

    const payload = alertmanagerPayloadSchema.parse(withAlert((a) => (labelsOf(a)['service'] = value)));

    expect(alertsFromAlertmanager(payload)[0]?.labels['service']).toBe(value);
  });

  it('when an alert has 65 labels, or labels of more than 16 KiB together, then the payload is refused', () => {
    const many = withAlert((a) => {
      for (let i = 0; i < 60; i++) labelsOf(a)[`extra_${i}`] = 'x';
    });
    const heavy = withAlert((a) => {
      for (let i = 0; i < 20; i++) labelsOf(a)[`extra_${i}`] = 'y'.repeat(1000);
    });

    expect(messages(alertmanagerPayloadSchema.safeParse(many))).toContain(
      'alerts.0.labels: at most 64 labels',
    );
    expect(messages(alertmanagerPayloadSchema.safeParse(heavy))).toContain(
      'alerts.0.labels: labels are at most 16384 bytes of UTF-8 together',
    );
  });

  it('when alerts carry a thousand bad label or annotation names each, then each set is refused by its count alone', () => {
    const bad = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [String(i), 'v']));
    const alerts = Array.from({ length: 100 }, () => ({
      title: 't',
      severity: 'warning',
      service: 's',
      labels: bad,
    }));
    const annotated = withAlert((a) => (a['annotations'] = bad));

    const generic = genericAlertSchema.array().safeParse(alerts);

    // One issue an alert, none of the 1,000 names behind it.
    expect(generic.error?.issues.map((i) => i.message)).toEqual(
      Array.from({ length: 100 }, () => 'at most 64 labels'),
    );
    expect(messages(alertmanagerPayloadSchema.safeParse(annotated))).toEqual([
      'alerts.0.annotations: at most 64 annotations',
    ]);
  });

  it('when a label name is longer than 128 bytes, or a fingerprint than 128, then the payload is refused', () => {
    const name = withAlert((a) => (labelsOf(a)['n'.repeat(129)] = 'x'));
    const fingerprint = withAlert((a) => (a['fingerprint'] = 'ü'.repeat(65)));

    expect(alertmanagerPayloadSchema.safeParse(name).success).toBe(false);
    expect(messages(alertmanagerPayloadSchema.safeParse(fingerprint))).toContain(
      'alerts.0.fingerprint: a fingerprint is at most 128 bytes of UTF-8',
    );
  });

  it('when an annotation is 1 MB, then it is cut to 8 KiB at a character boundary and marked', () => {
    const payload = alertmanagerPayloadSchema.parse(
      withAlert((a) => (annotationsOf(a)['description'] = '€'.repeat(350_000))),
    );

    const description = alertsFromAlertmanager(payload)[0]?.annotations['description'] ?? '';

    expect(Buffer.byteLength(description)).toBeLessThanOrEqual(ALERT_LIMITS.annotationValueBytes);
    expect(Buffer.byteLength(description)).toBeGreaterThan(ALERT_LIMITS.annotationValueBytes - 12);
    expect(description).toMatch(/^€+…\(cut\)$/);
    expect(alertsFromAlertmanager(payload)[0]?.annotations['summary']).toBe('checkout is down');
  });

  it('when annotations are over 32 KiB together, then later ones are cut to what is left, in order', () => {
    const payload = alertmanagerPayloadSchema.parse(
      withAlert((a) => {
        for (let i = 0; i < 6; i++) annotationsOf(a)[`note_${i}`] = 'z'.repeat(8 * 1024);
      }),
    );

    const annotations = alertsFromAlertmanager(payload)[0]?.annotations ?? {};
    const total = Object.values(annotations).reduce((n, v) => n + Buffer.byteLength(v), 0);

    expect(total).toBeLessThanOrEqual(ALERT_LIMITS.annotationSetBytes + 64);
    expect(annotations['summary']).toBe('checkout is down');
    expect(annotations['note_5']).toBe('…(cut)');
  });

  it('when an alert has 65 annotations, then the payload is refused', () => {
    const body = withAlert((a) => {
      for (let i = 0; i < 65; i++) annotationsOf(a)[`a${i}`] = 'x';
    });

    expect(messages(alertmanagerPayloadSchema.safeParse(body))).toContain(
      'alerts.0.annotations: at most 64 annotations',
    );
  });

  it('when common annotations are large, then they are cut like the alert annotations', () => {
    const body = { ...alertmanagerPayload(), commonAnnotations: { description: 'w'.repeat(100_000) } };

    const payload = alertmanagerPayloadSchema.parse(body);

    expect(Buffer.byteLength(payload.commonAnnotations['description'] ?? '')).toBeLessThanOrEqual(8192);
  });

  it('when a generic alert has a 700 × "€" service or a title over 1 KiB, then it is refused', () => {
    const base = { title: 'Queue backing up', severity: 'warning', service: 'worker' };

    expect(genericAlertSchema.safeParse({ ...base, service: '€'.repeat(700) }).success).toBe(false);
    expect(genericAlertSchema.safeParse({ ...base, title: 'ö'.repeat(513) }).success).toBe(false);
    expect(genericAlertSchema.safeParse({ ...base, title: 'ö'.repeat(512) }).success).toBe(true);
  });

  it('when a generic alert has a 1 MB description, then its description annotation is cut to 8 KiB', () => {
    const input = genericAlertSchema.parse({
      title: 'Queue backing up',
      severity: 'warning',
      service: 'worker',
      description: 'd'.repeat(1_000_000),
    });

    const alert = alertFromGeneric(input, new Date());

    expect(Buffer.byteLength(alert.annotations['description'] ?? '')).toBeLessThanOrEqual(8192);
    expect(alert.annotations['description']).toMatch(/…\(cut\)$/);
    expect(alert.annotations['summary']).toBe('Queue backing up');
  });
});
