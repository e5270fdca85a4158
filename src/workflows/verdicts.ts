import { ApplicationFailure, defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';
import { rollOverWhenLong } from './entity.js';
import { INCIDENT_ID } from './messages.js';
import {
  applyEvidence,
  applyPersonVerdict,
  type EvidenceRequest,
  type IncidentFacts,
  type LedgerEntry,
  type LedgerState,
  type PersonVerdictRequest,
  type PersonVerdictResult,
} from '../verdicts/ledger.js';
import { flaggedFor, type Flagged } from '../verdicts/summary.js';
import { VERDICTS } from '../verdicts/verdict.js';

/** One ledger per task queue, as the remediation guard: the incidents it judges run on that queue. */
export const verdictLedgerWorkflowId = (taskQueue: string): string => `verdict-ledger-${taskQueue}`;

export const personVerdictUpdate = defineUpdate<PersonVerdictResult, [PersonVerdictRequest]>('personVerdict');
export const evidenceUpdate = defineUpdate<LedgerEntry, [EvidenceRequest]>('evidence');
export const ledgerQuery = defineQuery<LedgerState>('ledger');
/** The flags of one alert's rule and service at `now` (see flaggedFor). */
export const flaggedQuery = defineQuery<Flagged[], [{ alertName: string; service: string; now: number }]>(
  'flagged',
);

/**
 * People's verdicts on incidents (open or closed: a closed incident's workflow takes no more updates,
 * so they are kept here) and what each closed incident's own record says. The state lives in the
 * history, rolls over before it grows long, and is bounded by LEDGER_LIMITS.
 */
export async function verdictLedgerWorkflow(carried?: LedgerState): Promise<void> {
  const state: LedgerState = carried ?? { entries: {} };
  setHandler(personVerdictUpdate, (r) => applyPersonVerdict(state, r, Date.now()), {
    validator: validatePersonVerdict,
  });
  setHandler(evidenceUpdate, (r) => applyEvidence(state, r, Date.now()), { validator: validateEvidence });
  setHandler(ledgerQuery, () => state);
  // A query adds no command: runs recorded before it replay unchanged.
  setHandler(flaggedQuery, ({ alertName, service, now }) =>
    flaggedFor(Object.values(state.entries), { alertName, service }, now),
  );

  await rollOverWhenLong<typeof verdictLedgerWorkflow>(state);
}

function validatePersonVerdict(r: PersonVerdictRequest): void {
  validateFacts(r.facts);
  if (!(VERDICTS as readonly string[]).includes(r.verdict)) {
    throw invalid(`verdict must be one of ${VERDICTS.join(', ')}`);
  }
  if (r.verdict === 'duplicate') {
    if (typeof r.duplicateOf !== 'string' || !INCIDENT_ID.test(r.duplicateOf)) {
      throw invalid('a duplicate names the incident it duplicates (duplicateOf)');
    }
    if (r.duplicateOf === r.facts.incidentId) throw invalid('an incident cannot duplicate itself');
  } else if (r.duplicateOf !== undefined) {
    throw invalid('duplicateOf goes only with the verdict duplicate');
  }
  validateText(r.actor, 'actor', 256);
  validateText(r.via, 'via', 32);
  if (r.note !== undefined) validateText(r.note, 'note', 2000);
}

function validateEvidence(r: EvidenceRequest): void {
  validateFacts(r.facts);
  if (!Number.isInteger(r.alerts) || r.alerts < 0) throw invalid('alerts must be a count');
  const v = r.evidence as { verdict?: unknown; reason?: unknown } | undefined;
  if (!v || !(v.verdict === null || v.verdict === 'actionable' || v.verdict === 'noise')) {
    throw invalid('evidence must be actionable, noise or null, with its reason');
  }
  validateText(v.reason, 'reason', 2000);
}

function validateFacts(f: IncidentFacts | undefined): void {
  if (!f || typeof f.incidentId !== 'string' || !INCIDENT_ID.test(f.incidentId)) {
    throw invalid('facts.incidentId must be an incident ID');
  }
  for (const key of ['service', 'alertName'] as const) validateText(f[key], key, 1024, true);
  for (const key of ['openedAt', 'closedAt'] as const) {
    const at = f[key];
    if ((key === 'openedAt' || at !== undefined) && Number.isNaN(Date.parse(String(at)))) {
      throw invalid(`${key} must be a time`);
    }
  }
}

function validateText(value: unknown, name: string, max: number, emptyOk = false): void {
  if (typeof value !== 'string' || (!emptyOk && value.length === 0) || value.length > max) {
    throw invalid(`${name} must be text of ${emptyOk ? 0 : 1} to ${max} characters`);
  }
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvalidVerdict', message, nonRetryable: true });
}
