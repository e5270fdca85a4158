import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Alert } from '../domain/alert.js';
import { keyWithoutSender, namesOneFiring } from '../domain/dedupe-key.js';
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
  /**
   * One delivered alert's JSON: the edge's limits keep every alert within it (half of keptBytes), and the
   * workflow drops a signalled one past it (src/workflows/signal-checks.ts).
   */
  alertBytes: 128 * 1024,
  /** Distinct alerts the ledger tracks (about 20 bytes of JSON each); past it, resolved entries go first. */
  tracked: 5000,
} as const;

/**
 * The ledger's first keys: 64 bits of two FNV-1a-style 32-bit lanes. Cheap, but a sender can forge a
 * collision (each step is invertible, so a meet in the middle takes about 2^32 work), and with keys
 * scoped to their sender a collision is a way to resolve another sender's alert. Kept to read the entries
 * incidents recorded with it; entries are recorded with strongLedgerKey since STRONG_LEDGER_PATCH.
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

/**
 * 96 bits of SHA-256 in base64url, after an `h` (never an array index, never an FNV key): no sender can
 * find another key with the same entry. A library hash, since the workflow cannot use Node's crypto.
 */
export function strongLedgerKey(dedupeKey: string): string {
  const digest = sha256(utf8ToBytes(dedupeKey)).subarray(0, 12);
  let text = '';
  for (let i = 0; i < digest.length; i += 3) {
    const n = ((digest[i] ?? 0) << 16) | ((digest[i + 1] ?? 0) << 8) | (digest[i + 2] ?? 0);
    for (const shift of [18, 12, 6, 0]) text += BASE64URL[(n >>> shift) & 63];
  }
  return `h${text}`;
}

// Base64url by hand: the workflow's sandbox has no Buffer and the hash library only writes hex, whose 24
// characters would make each of a ledger's 5,000 entries a third larger than these 16.
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

type Ledger = Map<string, 0 | 1>;

/**
 * The keys under which a ledger may hold the alert, in the order they are asked: its strong key, its FNV
 * key (an entry recorded before STRONG_LEDGER_PATCH), then, for an entry recorded before senders were
 * kept, its FNV key without the sender. That last one is matched (and may be resolved) as before, by any
 * sender; never for a fingerprint holding a '/', which could spell another sender's key
 * (`alertmanager/<fp>@…` sent by a stranger as its fingerprint).
 */
function* recordedKeys(alert: Alert): Generator<{ key: string; before?: string }> {
  yield { key: strongLedgerKey(alert.dedupeKey) };
  yield { key: ledgerKey(alert.dedupeKey) };
  if (alert.sender === undefined) return;
  const before = keyWithoutSender(alert);
  if (!before.includes('/')) yield { key: ledgerKey(before), before };
}

/**
 * The alert as a ledger knows it, with the key of its entry; an alert the ledger does not know gets the
 * key it will be recorded under (`strong`: STRONG_LEDGER_PATCH).
 */
export function asRecorded(
  alert: Alert,
  known: (ledgerKey: string) => boolean,
  strong: () => boolean = () => true,
): { alert: Alert; key: string } {
  for (const { key, before } of recordedKeys(alert)) {
    if (known(key)) return { alert: before === undefined ? alert : { ...alert, dedupeKey: before }, key };
  }
  return { alert, key: strong() ? strongLedgerKey(alert.dedupeKey) : ledgerKey(alert.dedupeKey) };
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
  /** New ledger entries are keyed by strongLedgerKey (STRONG_LEDGER_PATCH). */
  strongKeys: () => boolean;
  /** An alert sent without its start fires again after it resolved (REFIRE_PATCH). */
  refires: () => boolean;
  /** Each sender is noted in `sendersSeen` (SENDERS_SEEN_PATCH). */
  notesSenders: () => boolean;
}

const ALL_PATCHES: AlertPatches = {
  countsFiring: () => true,
  keepsOpening: () => true,
  strongKeys: () => true,
  refires: () => true,
  notesSenders: () => true,
};

/**
 * Senders an incident notes: two are enough to withhold a policy's approval, and a few more name them in
 * its timeline, while a sender minting identities cannot grow the state.
 */
export const MAX_SENDERS_SEEN = 8;

/** Notes the sender of an alert the incident took, once (the state is an activity argument: only under its patch). */
function noteSender(state: IncidentState, sender: string | undefined, patches: AlertPatches): void {
  const seen = state.sendersSeen ?? [];
  if (sender === undefined || seen.includes(sender) || seen.length >= MAX_SENDERS_SEEN) return;
  if (!patches.notesSenders()) return;
  state.sendersSeen = [...seen, sender];
}

/**
 * Index of the held alert to let go first: the oldest resolved one, else the oldest; never the newest.
 * The alert that opened the incident stays while it fires: its labels fill the plan (firstFiring), and
 * alerts sent after it must not choose the container a runbook restarts. Undefined when only it and the
 * newest are left: both stay, however large (an alert's limits keep two well within what a state holds).
 */
function leavingFirst(state: IncidentState): number | undefined {
  const alerts = state.alerts;
  const resolved = alerts.findIndex((a) => a.status === 'resolved');
  if (resolved >= 0 && resolved < alerts.length - 1) return resolved;
  const opening = alerts[0];
  const held = opening?.status === 'firing' && opening.dedupeKey === state.openedBy;
  if (!held) return alerts.length > 1 ? 0 : undefined;
  return alerts.length > 2 ? 1 : undefined;
}

/** Lets held alerts go past the bounds, first by count (cheap), then by bytes; the newest always stays. */
function boundKept(state: IncidentState): void {
  const drop = (): Alert | undefined => {
    const index = leavingFirst(state);
    if (index === undefined) return undefined;
    state.alertsDropped = (state.alertsDropped ?? 0) + 1;
    return state.alerts.splice(index, 1)[0];
  };
  while (state.alerts.length > ALERT_BOUNDS.kept && drop());
  let bytes = state.alerts.reduce((n, a) => n + jsonLength(a), 0);
  while (bytes > ALERT_BOUNDS.keptBytes) {
    const gone = drop();
    if (!gone) return;
    bytes -= jsonLength(gone);
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
    const { alert, key } = asRecorded(sent, (k) => ledger.has(k), patches.strongKeys);
    const known = ledger.get(key);
    const firing = alert.status === 'firing' ? 1 : 0;
    // A resolved firing stays resolved, but an alert sent without its start names no one firing: firing
    // under the same key again, it fires again (REFIRE_PATCH).
    const refires = known === 0 && firing === 1 && !namesOneFiring(alert) && patches.refires();
    if ((known === 0 && !refires) || known === firing) {
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
    noteSender(state, alert.sender, patches);
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

/** What a ledger key looks like: ledgerKey's or strongLedgerKey's. */
export const LEDGER_KEY = /^(k[0-9a-z]{14}|h[A-Za-z0-9_-]{16})$/;

/**
 * The ledger keys of alerts firing now that the incident does not hold whole (past ALERT_BOUNDS.kept):
 * a merge sends them beside the alerts it holds, so the incident it merges into knows they still fire.
 */
export function firingNotHeld(state: IncidentState): string[] {
  const firing = firingNow(state);
  for (const alert of state.alerts) {
    if (alert.status === 'firing') firing.delete(asRecorded(alert, (k) => firing.has(k)).key);
  }
  return [...firing];
}

/**
 * Takes over another incident's firing alerts that it knew only by their ledger keys (firingNotHeld) and
 * those it had forgotten firing (`firingUntracked`), when it merged into this one. Their resolutions
 * reach this incident from then on and close the entries here; until then it does not count as all
 * resolved. A key this ledger knows already keeps its mark. Returns how many keys were new here.
 */
export function takeOverFiring(
  state: IncidentState,
  keys: readonly string[],
  untracked: number,
  countsFiring: () => boolean,
): number {
  const ledger = ledgerOf(state);
  let fresh = 0;
  for (const key of keys) {
    if (ledger.has(key)) continue;
    ledger.set(key, 1);
    fresh++;
  }
  state.alertsReceived = (state.alertsReceived ?? 0) + fresh;
  state.alertsDropped = (state.alertsDropped ?? 0) + fresh;
  if (untracked > 0) state.firingUntracked = (state.firingUntracked ?? 0) + untracked;
  boundLedger(state, ledger, countsFiring);
  state.alertLedger = Object.fromEntries(ledger);
  return fresh;
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
    if (a.status !== 'firing') return false;
    const { key } = asRecorded(a, (k) => now.has(k) || before.has(k));
    return now.has(key) && !before.has(key);
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
