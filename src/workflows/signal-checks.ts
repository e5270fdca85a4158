import type { Alert } from '../domain/alert.js';
import type { RefusedDecision } from '../domain/incident.js';
import { jsonLength } from '../domain/utf8.js';
import { ALERT_BOUNDS, LEDGER_KEY } from './alerts.js';
import { INCIDENT_ID } from './messages.js';

/**
 * Checks of the incident's signal payloads, each answering why a payload is malformed (or undefined).
 * Signals reach the workflow from anyone with access to Temporal (the CLI, a buggy client), past the
 * edge's schemas, and a handler that throws fails the workflow task again on every retry: the incident
 * is stuck. Pure, like the workflow; each answer is fixed text, never the payload's own.
 */

/** The bounds a decision's validator applies (src/workflows/incident/handlers.ts). */
export const DECISION_BOUNDS = { actor: 200, via: 50 } as const;

/** The longest reason a merge's target gives for saying no: its own, a sentence naming an incident. */
export const MERGE_ANSWER_WHY_MAX = 512;

type Fields = Record<string, unknown>;

const isFields = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Text of 1 to `max` characters: what every message of the workflows checks a name or reason to be. */
export const isText = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;
const filled = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
const optionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';
const count = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const incidentId = (v: unknown): boolean => typeof v === 'string' && INCIDENT_ID.test(v);
const stringsOnly = (v: unknown): boolean =>
  isFields(v) && Object.values(v).every((x) => typeof x === 'string');

// Records over the types' unions, so a status, source or verb added to a type must be added here too.
const STATUSES: Record<Alert['status'], true> = { firing: true, resolved: true };
const SOURCES: Record<Alert['source'], true> = { alertmanager: true, api: true };
const VERBS: Record<RefusedDecision['decision'], true> = {
  approve: true,
  reject: true,
  acknowledge: true,
  resolve: true,
};
const oneOf = (known: Record<string, true>, v: unknown): boolean =>
  typeof v === 'string' && Object.hasOwn(known, v);

/** One alert of the `alerts` signal: the fields the incident reads, of their types, within its size. */
export function malformedAlert(a: unknown): string | undefined {
  if (!isFields(a)) return 'an alert is an object';
  if (!filled(a['dedupeKey']) || typeof a['fingerprint'] !== 'string')
    return 'an alert needs its fingerprint and dedupeKey';
  if (!oneOf(STATUSES, a['status']) || !oneOf(SOURCES, a['source']))
    return 'an alert is firing or resolved, from alertmanager or the api';
  const strings = ['alertName', 'severity', 'startsAt'].every((k) => typeof a[k] === 'string');
  const optional = ['sender', 'endsAt', 'generatorURL'].every((k) => optionalString(a[k]));
  if (!strings || !optional) return "an alert's name, severity and times are text";
  if (!stringsOnly(a['labels']) || !stringsOnly(a['annotations']))
    return "an alert's labels and annotations map names to text";
  // The edge keeps any alert well within this (test/domain/alert-bounds.test.ts); one past it would push
  // the incident's state towards the 2 MB that Temporal refuses, which terminates the incident.
  if (jsonLength(a) > ALERT_BOUNDS.alertBytes)
    return `an alert is at most ${ALERT_BOUNDS.alertBytes} bytes of JSON`;
  return undefined;
}

/** The `refusedDecision` signal: what its timeline entry names. Its `why` may be long; the note cuts it. */
export function malformedRefusal(r: unknown): string | undefined {
  if (!isFields(r)) return 'a refused decision is an object';
  if (!isText(r['actor'], DECISION_BOUNDS.actor) || !isText(r['via'], DECISION_BOUNDS.via))
    return `a refused decision names its actor (at most ${DECISION_BOUNDS.actor} characters) and channel (via, at most ${DECISION_BOUNDS.via})`;
  if (!oneOf(VERBS, r['decision']) || typeof r['why'] !== 'string')
    return 'a refused decision names what was tried (approve, reject, acknowledge, resolve) and why it was refused';
  return undefined;
}

/** The `absorbed` signal, as a merge sends it (src/workflows/incident/merge.ts). */
export function malformedAbsorbed(a: unknown): string | undefined {
  if (!isFields(a)) return 'an absorbed notice is an object';
  if (!incidentId(a['from']) || !isText(a['actor'], DECISION_BOUNDS.actor))
    return 'an absorbed notice names the incident merged (from) and who merged it (actor)';
  const keys = a['firingKeys'];
  const keysOk =
    keys === undefined ||
    (Array.isArray(keys) && keys.every((k) => typeof k === 'string' && LEDGER_KEY.test(k)));
  const untracked = a['firingUntracked'];
  if (!count(a['alerts']) || !keysOk || !(untracked === undefined || count(untracked)))
    return 'an absorbed notice counts its alerts, and lists ledger keys';
  return undefined;
}

/** The `mergeAsk` signal: who asks, and which opening of this incident it saw (a time, when named). */
export function malformedMergeAsk(a: unknown): string | undefined {
  if (!isFields(a) || !incidentId(a['from'])) return 'a merge question names the asking incident (from)';
  const opened = a['opened'];
  return opened === undefined || (isText(opened, 64) && Number.isFinite(Date.parse(opened)))
    ? undefined
    : "a merge question's opening (opened) is a time";
}

/**
 * The `mergeAnswer` signal. Its reason becomes the merge's refusal: a megabyte of it made the update's
 * answer too large for Temporal, which terminated the incident.
 */
export function malformedMergeAnswer(a: unknown): string | undefined {
  if (!isFields(a) || !incidentId(a['from']) || typeof a['absorbs'] !== 'boolean')
    return 'a merge answer names the incident answering (from) and whether it absorbs (true or false)';
  const why = a['why'];
  if (!(why === undefined || isText(why, MERGE_ANSWER_WHY_MAX)))
    return `a merge answer's reason is text of at most ${MERGE_ANSWER_WHY_MAX} characters`;
  return undefined;
}
