import { describe, expect, it } from 'vitest';
import {
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

  it('when a generic alert has an alertname label, then that label wins over the title', () => {
    const input = genericAlertSchema.parse({
      title: 'Anything',
      severity: 'critical',
      service: 'checkout',
      labels: { alertname: 'CheckoutErrors' },
    });

    const alert = alertFromGeneric(input, receivedAt);

    expect(alert.alertName).toBe('CheckoutErrors');
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
