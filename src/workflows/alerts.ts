import type { Alert } from '../domain/alert.js';
import { keyWithoutSender } from '../domain/dedupe-key.js';
import { moreSevere, type IncidentState } from '../domain/incident.js';
import { cutUtf8, jsonLength } from '../domain/utf8.js';

/**
 * What one incident keeps of its alerts. Its state travels whole in continue-as-new, in the query and in
 * the workflow's result, each a payload Temporal refuses past 2 MB (and a refused payload terminates the
 * workflow): so however many alerts arrive, the state stays a few hundred KB.
 */
export const ALERT_BOUNDS = {
  /** The latest alerts held whole (resolved ones leave first). */
  kept: 50,
  /** ...and at most this much JSON together; the newest alert is always held. */
  keptBytes: 256 * 1024,
  /** Distinct alerts the ledger tracks (about 20 bytes of JSON each); past it, resolved entries go first. */
  tracked: 5000,
} as const;

/**
 * 64 bits of hash (two FNV-1a-style 32-bit lanes) in base 36: ledger keys, not a security measure (a
 * sender who could forge a collision could as well resolve the alert outright).
 */
export function ledgerKey(dedupeKey: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < dedupeKey.length; i++) {
    const unit = dedupeKey.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x01000193) ^ (a >>> 13);
  }
  // The `k` keeps keys from looking like array indices, which objects would sort first.
  const lane = (n: number): string => (n >>> 0).toString(36).padStart(7, '0');
  return `k${lane(a)}${lane(b)}`;
}

type Ledger = Map<string, 0 | 1>;

/**
 * The alert as a ledger knows it. An incident that recorded an alert before senders were kept knows it
 * by its key without the sender, and so does its ledger after it: such an entry is matched (and may be
 * resolved) as before, by any sender. Every entry recorded since names its sender, and is never matched
 * this way, since a key without a sender is then never recorded.
 */
export function asRecorded(
  alert: Alert,
  known: (ledgerKey: string) => boolean,
): { alert: Alert; key: string } {
  const key = ledgerKey(alert.dedupeKey);
  if (alert.sender === undefined || known(key)) return { alert, key };
  const before = keyWithoutSender(alert);
  const keyBefore = ledgerKey(before);
  return known(keyBefore) ? { alert: { ...alert, dedupeKey: before }, key: keyBefore } : { alert, key };
}

/**
 * The ledger as a Map for one delivery (the state holds it as an object, which is JSON). State carried
 * from a run before the bounds has none: its alerts seed it, and the counters.
 */
function ledgerOf(state: IncidentState): Ledger {
  if (state.alertLedger) return new Map(Object.entries(state.alertLedger));
  state.alertsReceived ??= state.alerts.length;
  state.alertsDropped ??= 0;
  return new Map(state.alerts.map((a) => [ledgerKey(a.dedupeKey), a.status === 'firing' ? 1 : 0]));
}

/**
 * Forgets ledger entries past its bound, the oldest resolved ones first, else the oldest. A firing entry
 * forgotten is counted (`firingUntracked`): whether it resolves can no longer be known, so the incident
 * never again counts as all resolved. Otherwise a sender could push a real alert out of the ledger with
 * thousands of its own, resolve those, and close the incident while the real alert still fires.
 */
function boundLedger(state: IncidentState, ledger: Ledger, countsFiring: () => boolean): void {
  let excess = ledger.size - ALERT_BOUNDS.tracked;
  if (excess <= 0) return;
  state.alertsUntracked = (state.alertsUntracked ?? 0) + excess;
  for (const [key, firing] of ledger) {
    if (excess === 0) return;
    if (firing === 0) {
      ledger.delete(key);
      excess--;
    }
  }
  if (countsFiring()) state.firingUntracked = (state.firingUntracked ?? 0) + excess;
  for (const key of ledger.keys()) {
    if (excess-- === 0) return;
    ledger.delete(key);
  }
}

/**
 * What the workflow's patches decide here, asked only where the answer changes what happens (so runs
 * from before a patch replay as they ran). Both on outside a workflow.
 */
export interface AlertPatches {
  /** A firing entry forgotten by the ledger keeps the incident open (LEDGER_FIRING_PATCH). */
  countsFiring: () => boolean;
  /** The alert that opened the incident is named, and held while it fires (OPENING_ALERT_PATCH). */
  keepsOpening: () => boolean;
}

const ALL_PATCHES: AlertPatches = { countsFiring: () => true, keepsOpening: () => true };

/**
 * Index of the held alert to let go first: the oldest resolved one, else the oldest; never the newest.
 * The alert that opened the incident stays while it fires: its labels fill the plan (firstFiring), and
 * 50 alerts sent after it must not choose the container a runbook restarts.
 */
function leavingFirst(state: IncidentState): number {
  const alerts = state.alerts;
  const resolved = alerts.findIndex((a) => a.status === 'resolved');
  if (resolved >= 0 && resolved < alerts.length - 1) return resolved;
  const opening = alerts[0];
  const held = opening?.status === 'firing' && opening.dedupeKey === state.openedBy && alerts.length > 2;
  return held ? 1 : 0;
}

/** Lets held alerts go past the bounds, first by count (cheap), then by bytes; the newest always stays. */
function boundKept(state: IncidentState): void {
  const drop = (): Alert | undefined => {
    state.alertsDropped = (state.alertsDropped ?? 0) + 1;
    return state.alerts.splice(leavingFirst(state), 1)[0];
  };
  while (state.alerts.length > ALERT_BOUNDS.kept) drop();
  let bytes = state.alerts.reduce((n, a) => n + jsonLength(a), 0);
  while (state.alerts.length > 1 && bytes > ALERT_BOUNDS.keptBytes) {
    const gone = drop();
    bytes -= gone ? jsonLength(gone) : 0;
  }
}

/**
 * Merges delivered alerts into the incident. Alertmanager delivers at least once, so an alert the
 * incident already has (same fingerprint and startsAt, same status, or already resolved) is counted and
 * dropped, whether or not it is still held whole. Returns the alerts that changed something, for the
 * timeline.
 */
export function absorbAlerts(
  state: IncidentState,
  delivered: readonly Alert[],
  patches: AlertPatches = ALL_PATCHES,
): Alert[] {
  const fresh = state.alerts.length === 0 && (state.alertsReceived ?? 0) === 0;
  const ledger = ledgerOf(state);
  const changed: Alert[] = [];
  for (const sent of delivered) {
    const { alert, key } = asRecorded(sent, (k) => ledger.has(k));
    const known = ledger.get(key);
    const firing = alert.status === 'firing' ? 1 : 0;
    if (known === 0 || known === firing) {
      state.duplicatesDropped++;
      continue;
    }
    ledger.set(key, firing);
    const held = state.alerts.findIndex((a) => a.dedupeKey === alert.dedupeKey);
    if (held >= 0) state.alerts[held] = alert;
    else state.alerts.push(alert);
    if (known === undefined) state.alertsReceived = (state.alertsReceived ?? 0) + 1;
    else if (held < 0) state.alertsDropped = Math.max((state.alertsDropped ?? 0) - 1, 0); // held again
    if (alert.status === 'firing') state.severity = moreSevere(state.severity, alert.severity);
    changed.push(alert);
  }
  // Named only under its patch: the state is an activity argument, which replay compares.
  const opening = fresh ? state.alerts.find((a) => a.status === 'firing') : undefined;
  if (opening && patches.keepsOpening()) state.openedBy = opening.dedupeKey;
  boundKept(state);
  boundLedger(state, ledger, patches.countsFiring);
  state.alertLedger = Object.fromEntries(ledger);
  return changed;
}

/**
 * True once every alert the incident has had is resolved: the ledger's word, since an alert no longer
 * held whole may still fire. Never, once a firing alert was forgotten: a person resolves that incident.
 * State from before the ledger decides by the alerts it holds.
 */
export function allResolved(state: IncidentState): boolean {
  if ((state.firingUntracked ?? 0) > 0) return false;
  if (state.alertLedger) {
    const marks = Object.values(state.alertLedger);
    return marks.length > 0 && !marks.includes(1);
  }
  return state.alerts.length > 0 && state.alerts.every((a) => a.status === 'resolved');
}

/** The ledger keys of the alerts firing now (from the held alerts in state from before the ledger). */
export function firingNow(state: IncidentState): Set<string> {
  if (!state.alertLedger)
    return new Set(state.alerts.filter((a) => a.status === 'firing').map((a) => ledgerKey(a.dedupeKey)));
  return new Set(Object.entries(state.alertLedger).flatMap(([key, mark]) => (mark === 1 ? [key] : [])));
}

/** The held alerts firing now that were not firing when `before` (firingNow) was taken. */
export function firedSince(state: IncidentState, before: ReadonlySet<string>): Alert[] {
  const now = firingNow(state);
  return state.alerts.filter((a) => {
    const key = ledgerKey(a.dedupeKey);
    return a.status === 'firing' && now.has(key) && !before.has(key);
  });
}

export function firstFiring(state: IncidentState): Alert | undefined {
  return state.alerts.find((a) => a.status === 'firing') ?? state.alerts[0];
}

/** The timeline's line for an alert that changed; its summary is cut, the alert itself keeps it whole. */
export function alertNote(alert: Alert): { event: string; message: string } {
  const summary = alert.annotations['summary'];
  return {
    event: alert.status === 'firing' ? 'alert-firing' : 'alert-resolved',
    message: `${alert.alertName} ${alert.status}${alert.sender !== undefined ? ` (from ${alert.sender})` : ''}${summary ? `: ${cutUtf8(summary, 512)}` : ''}`,
  };
}
