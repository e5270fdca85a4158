import { createHash } from 'node:crypto';
import { z } from 'zod';

/** An alert as the incident workflow sees it, whatever its source. */
export interface Alert {
  /** Identity of the alert's label set (Alertmanager's fingerprint, or a hash for other sources). */
  fingerprint: string;
  /** What makes a delivery a duplicate: the same fingerprint and the same firing (startsAt). */
  dedupeKey: string;
  status: 'firing' | 'resolved';
  alertName: string;
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
  source: 'alertmanager' | 'api';
}

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'label names are [a-zA-Z_][a-zA-Z0-9_]*');
const labelSet = z.record(labelName, z.string().max(1024)).refine((l) => Object.keys(l).length <= 64, {
  message: 'at most 64 labels',
});
const annotationSet = z.record(z.string().max(256), z.string().max(16_384));
const timestamp = z.iso.datetime({ offset: true, message: 'an RFC 3339 timestamp' });

const alertmanagerAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet.refine((l) => typeof l['alertname'] === 'string' && l['alertname'].length > 0, {
    message: 'every alert needs an alertname label',
  }),
  annotations: annotationSet.default({}),
  startsAt: timestamp,
  endsAt: z.string().optional(),
  generatorURL: z.string().max(8192).optional(),
  fingerprint: z.string().min(1).max(128),
});

/** Alertmanager's webhook body, payload version 4. */
export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4', { message: 'only Alertmanager webhook payload version "4" is understood' }),
  groupKey: z.string().max(4096),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(1024),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: annotationSet.default({}),
  externalURL: z.string().max(4096).default(''),
  alerts: z.array(alertmanagerAlert).min(1, 'the payload has no alerts').max(1000),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

/** A generic alert for sources other than Alertmanager. */
export const genericAlertSchema = z.object({
  title: z.string().min(1).max(256),
  description: z.string().max(16_384).optional(),
  severity: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a lower-case word such as critical or warning'),
  service: z.string().min(1).max(253),
  labels: labelSet.default({}),
  status: z.enum(['firing', 'resolved']).default('firing'),
  startsAt: timestamp.optional(),
  /** Re-sending the same dedupKey while it fires joins the same alert instead of adding another. */
  dedupKey: z.string().min(1).max(128).optional(),
  generatorURL: z.url().max(8192).optional(),
});
export type GenericAlert = z.infer<typeof genericAlertSchema>;

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function stableLabels(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/** Alertmanager marks a still-firing alert's endsAt with the zero time; only a real time is kept. */
function realTime(value: string | undefined): string | undefined {
  if (!value || value.startsWith('0001-01-01')) return undefined;
  return Number.isNaN(Date.parse(value)) ? undefined : value;
}

export function alertsFromAlertmanager(payload: AlertmanagerPayload): Alert[] {
  return payload.alerts.map((a) => {
    const endsAt = realTime(a.endsAt);
    return {
      fingerprint: a.fingerprint,
      dedupeKey: `${a.fingerprint}@${a.startsAt}`,
      status: a.status,
      alertName: a.labels['alertname'] ?? '',
      severity: a.labels['severity'] ?? 'warning',
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      ...(endsAt ? { endsAt } : {}),
      ...(a.generatorURL ? { generatorURL: a.generatorURL } : {}),
      source: 'alertmanager',
    };
  });
}

/**
 * A generic alert becomes an alert named after its `alertname` label or its title. Without a startsAt the
 * alert's identity is its dedupKey (or label set) alone, so a client that re-posts the same alert joins it.
 */
export function alertFromGeneric(input: GenericAlert, receivedAt: Date): Alert {
  const alertName = input.labels['alertname'] ?? input.title.replace(/[^A-Za-z0-9_]+/g, '_').slice(0, 128);
  const labels = { ...input.labels, alertname: alertName, service: input.service, severity: input.severity };
  const fingerprint = input.dedupKey ?? hash(stableLabels(labels));
  return {
    fingerprint,
    dedupeKey: `${fingerprint}@${input.startsAt ?? 'unspecified'}`,
    status: input.status,
    alertName,
    severity: input.severity,
    labels,
    annotations: { summary: input.title, ...(input.description ? { description: input.description } : {}) },
    startsAt: input.startsAt ?? receivedAt.toISOString(),
    ...(input.status === 'resolved' ? { endsAt: receivedAt.toISOString() } : {}),
    ...(input.generatorURL ? { generatorURL: input.generatorURL } : {}),
    source: 'api',
  };
}
