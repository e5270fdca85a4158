import { jsonLengthOnce, newestWithin } from '../domain/utf8.js';
import type { EvidenceVerdict, PersonVerdict, VerdictKind } from './verdict.js';

/**
 * The verdict ledger's state and the pure changes made to it. The ledger workflow
 * (src/workflows/verdicts.ts) applies them one update at a time; tests and benches call them directly.
 */

/** What the ledger knows of one incident. */
export interface LedgerEntry {
  incidentId: string;
  service: string;
  alertName: string;
  openedAt: string;
  closedAt?: string;
  /** Alerts the incident received, once it closed. */
  alerts?: number;
  evidence?: EvidenceVerdict;
  /** The latest person's verdict: it replaces the ones before it. */
  person?: PersonVerdict;
  /** People's earlier verdicts on this incident, oldest first, the last MAX_REPLACED of them. */
  replaced?: PersonVerdict[];
  /** When the entry last changed (ms since epoch): the oldest are pruned first. */
  touched: number;
}

export interface LedgerState {
  entries: Record<string, LedgerEntry>;
}

/** An incident's identity as Temporal describes it, sent with each change so the entry can be made. */
export interface IncidentFacts {
  incidentId: string;
  service: string;
  alertName: string;
  openedAt: string;
  closedAt?: string;
}

export interface PersonVerdictRequest {
  facts: IncidentFacts;
  verdict: VerdictKind;
  duplicateOf?: string;
  actor: string;
  via: string;
  note?: string;
}

export interface EvidenceRequest {
  facts: IncidentFacts;
  alerts: number;
  evidence: EvidenceVerdict;
}

export interface PersonVerdictResult {
  entry: LedgerEntry;
  /** False when the same person sent the same verdict again: nothing was recorded. */
  changed: boolean;
}

/** Bounds on what the ledger carries across continue-as-new (each entry is a few hundred bytes). */
export const LEDGER_LIMITS = {
  entries: 2000,
  /** Entries untouched this long are dropped: the summary looks back a week by default. */
  keepMs: 30 * 86_400_000,
  replaced: 5,
  /** A replaced verdict's note is kept to this many characters: the history says who changed what. */
  replacedNoteChars: 200,
  /**
   * The entries' JSON, past which the least recently touched go. The state travels whole into each new
   * run, which Temporal refuses past 2 MB (it terminated the ledger, and a new one started empty): 200
   * incidents with six verdicts of 2,000-character notes each were enough, within the count bounds.
   */
  bytes: 1024 * 1024,
} as const;

const entryFor = (state: LedgerState, facts: IncidentFacts, now: number): LedgerEntry => {
  const existing = state.entries[facts.incidentId];
  const entry: LedgerEntry = { ...existing, ...facts, touched: now };
  state.entries[facts.incidentId] = entry;
  return entry;
};

/** Records a person's verdict; the same verdict from the same person with the same note changes nothing. */
export function applyPersonVerdict(
  state: LedgerState,
  request: PersonVerdictRequest,
  now: number,
): PersonVerdictResult {
  const current = state.entries[request.facts.incidentId]?.person;
  if (
    current &&
    current.verdict === request.verdict &&
    current.duplicateOf === request.duplicateOf &&
    current.actor === request.actor &&
    current.note === request.note
  ) {
    return { entry: state.entries[request.facts.incidentId] as LedgerEntry, changed: false };
  }
  const entry = entryFor(state, request.facts, now);
  if (current) {
    const note = current.note?.slice(0, LEDGER_LIMITS.replacedNoteChars);
    const kept = { ...current, ...(note !== undefined ? { note } : {}) };
    entry.replaced = [...(entry.replaced ?? []), kept].slice(-LEDGER_LIMITS.replaced);
  }
  entry.person = {
    verdict: request.verdict,
    ...(request.duplicateOf ? { duplicateOf: request.duplicateOf } : {}),
    actor: request.actor,
    via: request.via,
    ...(request.note ? { note: request.note } : {}),
    at: new Date(now).toISOString(),
  };
  prune(state, now);
  return { entry, changed: true };
}

/** Records what a closed incident's own record says; a retried activity records the same again. */
export function applyEvidence(state: LedgerState, request: EvidenceRequest, now: number): LedgerEntry {
  const entry = entryFor(state, request.facts, now);
  entry.alerts = request.alerts;
  entry.evidence = request.evidence;
  prune(state, now);
  return entry;
}

/** Drops entries untouched for keepMs, then the least recently touched beyond the count bound. */
export function prune(state: LedgerState, now: number): void {
  let count = 0;
  for (const e of Object.values(state.entries)) {
    if (now - e.touched > LEDGER_LIMITS.keepMs) delete state.entries[e.incidentId];
    else count++;
  }
  // One change adds at most one entry, so this drops one, found in one pass rather than a sort.
  for (; count > LEDGER_LIMITS.entries; count--) {
    let oldest: LedgerEntry | undefined;
    for (const e of Object.values(state.entries)) if (!oldest || e.touched < oldest.touched) oldest = e;
    if (oldest) delete state.entries[oldest.incidentId];
  }
  withinBytes(state);
}

/** Drops the least recently touched entries (never the one touched last) until the JSON fits its bytes. */
function withinBytes(state: LedgerState): void {
  // An entry is replaced, never changed in place, when it changes (entryFor): most are measured once.
  const entries = Object.values(state.entries);
  if (entries.reduce((n, e) => n + jsonLengthOnce(e), 0) <= LEDGER_LIMITS.bytes) return;
  // Ties fall to the ID, so every replay of the workflow drops the same entries.
  entries.sort((a, b) => a.touched - b.touched || (a.incidentId < b.incidentId ? -1 : 1));
  const kept = new Set(newestWithin(entries, LEDGER_LIMITS.bytes));
  for (const e of entries) if (!kept.has(e)) delete state.entries[e.incidentId];
}
