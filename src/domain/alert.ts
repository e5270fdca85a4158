import { createHash } from 'node:crypto';
import { z } from 'zod';
import { dedupeKeyOf, NO_START } from './dedupe-key.js';
import { CUT_MARKER, cutJsonString, jsonLength, jsonStringLength, utf8Length } from './utf8.js';

/** An alert as the incident workflow sees it, whatever its source. */
export interface Alert {
  /** Identity of the alert's label set (Alertmanager's fingerprint, or a hash for other sources). */
  fingerprint: string;
  /**
   * What makes a delivery a duplicate: the same sender, the same fingerprint and the same firing
   * (startsAt). With the sender in it, only the sender that fired an alert can resolve it.
   */
  dedupeKey: string;
  /**
   * The identity of the ingest token that delivered it (absent in alerts recorded before senders were
   * kept, whose dedupeKey names no sender).
   */
  sender?: string;
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

/**
 * Size limits at the edge, in bytes of UTF-8: what Temporal's payload and search attribute limits
 * count (700 × "€" is 700 characters but 2,100 bytes). Labels identify an alert and pick its incident,
 * runbook and target, so a label over a limit refuses the whole request (400, nothing is started);
 * annotations are prose for people, so one over its limit is cut and ends with "…(cut)".
 */
export const ALERT_LIMITS = {
  labels: 64,
  labelNameBytes: 128,
  labelValueBytes: 1024,
  /** Names and values of one label set together. */
  labelSetBytes: 16 * 1024,
  annotations: 64,
  annotationNameBytes: 256,
  /** One annotation's value; longer ones are cut. */
  annotationValueBytes: 8 * 1024,
  /** All annotation values of one alert, as JSON; past it, later values are cut further. */
  annotationSetBytes: 32 * 1024,
  /** All annotation names of one alert, as JSON. */
  annotationNamesJsonBytes: 8 * 1024,
  /** The label set as JSON: the bounds above keep one alert's JSON well within half of what an incident holds. */
  labelSetJsonBytes: 24 * 1024,
  generatorUrlBytes: 8 * 1024,
  idBytes: 128,
} as const;

/**
 * At most `max` bytes as JSON, which is what the incident holds: a control character counts six, so
 * 8 KiB of them are 48 KiB held.
 */
const fitsJson = (max: number) => (s: string) => s.length <= max && jsonStringLength(s) - 2 <= max;
const jsonMessage = (max: number, what: string) =>
  `${what} is at most ${max} bytes of JSON (a control character counts six)`;

/** A string of at most `max` bytes of UTF-8 (never fewer bytes than UTF-16 units, so length checks first). */
const bytesAtMost = (max: number, what: string) =>
  z.string().refine((s) => s.length <= max && utf8Length(s) <= max, {
    message: `${what} is at most ${max} bytes of UTF-8`,
  });

const labelName = z
  .string()
  .max(ALERT_LIMITS.labelNameBytes, `label names are at most ${ALERT_LIMITS.labelNameBytes} bytes`)
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'label names are [a-zA-Z_][a-zA-Z0-9_]*');
/**
 * A record of at most `max` keys, counted before any key is checked: zod reports every bad key, and a
 * body of 100 alerts with 1,000 bad label names each took a second to refuse, the API's thread held. A
 * preprocess, not a pipe, so the API document still describes the record.
 */
function atMostKeys<T extends z.ZodType>(max: number, what: string, record: T) {
  return z.preprocess((value: unknown, ctx) => {
    if (typeof value === 'object' && value !== null && Object.keys(value).length > max) {
      ctx.addIssue({ code: 'custom', message: `at most ${max} ${what}` });
    }
    return value;
  }, record);
}

const labelSet = atMostKeys(
  ALERT_LIMITS.labels,
  'labels',
  z.record(labelName, bytesAtMost(ALERT_LIMITS.labelValueBytes, 'a label value')),
)
  .refine(
    (l) =>
      Object.entries(l).reduce((n, [k, v]) => n + k.length + utf8Length(v), 0) <= ALERT_LIMITS.labelSetBytes,
    {
      message: `labels are at most ${ALERT_LIMITS.labelSetBytes} bytes of UTF-8 together`,
    },
  )
  .refine((l) => jsonLength(l) <= ALERT_LIMITS.labelSetJsonBytes, {
    message: `labels are at most ${ALERT_LIMITS.labelSetJsonBytes} bytes of JSON together (a control character counts six)`,
  });

/**
 * Each value cut to its own limit, then, in the sender's order, to what is left of the alert's budget.
 * Measured as the alert is kept, in JSON: a control character is one byte of UTF-8 but six of JSON
 * (`\u0001`), and measured in UTF-8 one alert held six times its budget, enough to push the alert that
 * opened its incident out of what the incident holds (src/workflows/alerts.ts, keptBytes).
 */
export function cutAnnotations(annotations: Record<string, string>): Record<string, string> {
  let left = ALERT_LIMITS.annotationSetBytes;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(annotations)) {
    // Past the budget a value is only the marker (a few bytes over it, at most one per annotation).
    const room = Math.max(Math.min(ALERT_LIMITS.annotationValueBytes, left), utf8Length(CUT_MARKER));
    const cut = cutJsonString(value, room + 2, CUT_MARKER);
    out[name] = cut;
    left = Math.max(left - (jsonStringLength(cut) - 2), 0);
  }
  return out;
}

/** The JSON of an annotation set's names, or a label set's names and values, together. */
const jsonOfKeys = (record: Record<string, string>): number =>
  Object.keys(record).reduce((n, k) => n + jsonStringLength(k), 0);

const annotationSet = atMostKeys(
  ALERT_LIMITS.annotations,
  'annotations',
  z.record(bytesAtMost(ALERT_LIMITS.annotationNameBytes, 'an annotation name'), z.string()),
)
  .refine((a) => jsonOfKeys(a) <= ALERT_LIMITS.annotationNamesJsonBytes, {
    message: `annotation names are at most ${ALERT_LIMITS.annotationNamesJsonBytes} bytes of JSON together (a control character counts six)`,
  })
  .transform(cutAnnotations);
// The format allows any number of fractional digits, and the value goes into the alert's dedupeKey and
// the incident's milestones: a megabyte of zeros would make one alert push the others out of what an
// incident holds. Alertmanager writes at most nanoseconds. (The format's pattern is linear: a 1 MiB body
// is checked in milliseconds before its length is.)
const timestamp = z.iso
  .datetime({ offset: true, message: 'an RFC 3339 timestamp' })
  .max(64, 'an RFC 3339 timestamp of at most 64 characters');

const alertmanagerAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet.refine((l) => typeof l['alertname'] === 'string' && l['alertname'].length > 0, {
    message: 'every alert needs an alertname label',
  }),
  annotations: annotationSet.default({}),
  startsAt: timestamp,
  endsAt: z.string().max(64).optional(),
  generatorURL: z
    .string()
    .refine(
      fitsJson(ALERT_LIMITS.generatorUrlBytes),
      jsonMessage(ALERT_LIMITS.generatorUrlBytes, 'generatorURL'),
    )
    .optional(),
  fingerprint: bytesAtMost(ALERT_LIMITS.idBytes, 'a fingerprint').min(1),
});

/** Alertmanager's webhook body, payload version 4. */
export const alertmanagerPayloadSchema = z
  .object({
    version: z.literal('4', { message: 'only Alertmanager webhook payload version "4" is understood' }),
    groupKey: bytesAtMost(4096, 'groupKey'),
    truncatedAlerts: z.number().int().nonnegative().optional(),
    status: z.enum(['firing', 'resolved']),
    receiver: bytesAtMost(1024, 'receiver'),
    groupLabels: labelSet,
    commonLabels: labelSet,
    commonAnnotations: annotationSet.default({}),
    externalURL: bytesAtMost(4096, 'externalURL').default(''),
    alerts: z.array(alertmanagerAlert).min(1, 'the payload has no alerts').max(1000),
  })
  .superRefine(checkCommonLabels);
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

/**
 * Alertmanager's commonLabels are the labels every alert of the group shares, and its groupLabels a part
 * of them. The incident is named and joined by them, so a body whose alerts do not carry them is refused:
 * otherwise a sender could open `ServiceDown` on `prod-web` with an alert of another name, and the real
 * alert would later join an incident planned for something else.
 */
function checkCommonLabels(
  payload: {
    groupLabels: Record<string, string>;
    commonLabels: Record<string, string>;
    alerts: { labels: Record<string, string> }[];
  },
  ctx: z.RefinementCtx,
): void {
  for (const [name, value] of Object.entries(payload.groupLabels)) {
    if (payload.commonLabels[name] !== value)
      ctx.addIssue({
        code: 'custom',
        path: ['groupLabels', name],
        message: 'a group label must also be in commonLabels, with the same value',
      });
  }
  for (const [name, value] of Object.entries(payload.commonLabels)) {
    const i = payload.alerts.findIndex((a) => a.labels[name] !== value);
    if (i >= 0)
      ctx.addIssue({
        code: 'custom',
        path: ['alerts', i, 'labels', name],
        message: `every alert must carry the common label ${name}="${value}"`,
      });
  }
}

/** A generic alert for sources other than Alertmanager. */
export const genericAlertSchema = z.object({
  title: bytesAtMost(1024, 'title').min(1),
  /** Cut like an annotation (it becomes the `description` annotation). */
  description: z.string().optional(),
  severity: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a lower-case word such as critical or warning'),
  service: bytesAtMost(ALERT_LIMITS.labelValueBytes, 'service').min(1).max(253),
  labels: labelSet.default({}),
  status: z.enum(['firing', 'resolved']).default('firing'),
  startsAt: timestamp.optional(),
  /** Re-sending the same dedupKey while it fires joins the same alert instead of adding another. */
  dedupKey: bytesAtMost(ALERT_LIMITS.idBytes, 'dedupKey').min(1).optional(),
  generatorURL: z
    .url()
    .refine(
      fitsJson(ALERT_LIMITS.generatorUrlBytes),
      jsonMessage(ALERT_LIMITS.generatorUrlBytes, 'generatorURL'),
    )
    .optional(),
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

/** `sender`: the identity of the token that posted the webhook. */
export function alertsFromAlertmanager(payload: AlertmanagerPayload, sender?: string): Alert[] {
  return payload.alerts.map((a) => {
    const endsAt = realTime(a.endsAt);
    return {
      fingerprint: a.fingerprint,
      dedupeKey: dedupeKeyOf(sender, `${a.fingerprint}@${a.startsAt}`),
      ...(sender !== undefined ? { sender } : {}),
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
export function alertFromGeneric(input: GenericAlert, receivedAt: Date, sender?: string): Alert {
  // An empty alertname names nothing (Alertmanager's path refuses one), so the title names it instead.
  const alertName = input.labels['alertname'] || input.title.replace(/[^A-Za-z0-9_]+/g, '_').slice(0, 128);
  const labels = { ...input.labels, alertname: alertName, service: input.service, severity: input.severity };
  const fingerprint = input.dedupKey ?? hash(stableLabels(labels));
  return {
    fingerprint,
    dedupeKey: dedupeKeyOf(sender, `${fingerprint}@${input.startsAt ?? NO_START}`),
    ...(sender !== undefined ? { sender } : {}),
    status: input.status,
    alertName,
    severity: input.severity,
    labels,
    annotations: cutAnnotations({
      summary: input.title,
      ...(input.description ? { description: input.description } : {}),
    }),
    startsAt: input.startsAt ?? receivedAt.toISOString(),
    ...(input.status === 'resolved' ? { endsAt: receivedAt.toISOString() } : {}),
    ...(input.generatorURL ? { generatorURL: input.generatorURL } : {}),
    source: 'api',
  };
}
