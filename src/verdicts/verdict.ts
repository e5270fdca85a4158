import type { IncidentState } from '../domain/incident.js';
import { believableMilestones } from '../domain/breakdown.js';

/**
 * Whether an incident was real. The one rule every surface (API, Slack, console, metrics, the noisy-rule
 * flag) reads an incident's verdict by: a person's verdict always wins over the evidence.
 */

export const VERDICTS = ['actionable', 'noise', 'duplicate'] as const;
export type VerdictKind = (typeof VERDICTS)[number];

/** A person's verdict, as the ledger keeps it: who (the token's or Slack's identity), when, why. */
export interface PersonVerdict {
  verdict: VerdictKind;
  /** The incident this one duplicates; set exactly when `verdict` is `duplicate`. */
  duplicateOf?: string;
  actor: string;
  /** Where it came from: api, slack, console. */
  via: string;
  note?: string;
  at: string;
}

/** What the evidence says of a closed incident; `null`: it says nothing either way. */
export interface EvidenceVerdict {
  verdict: 'actionable' | 'noise' | null;
  reason: string;
}

/** The verdict an incident has, and whose it is. */
export interface EffectiveVerdict {
  verdict: VerdictKind | null;
  source: 'person' | 'evidence' | null;
  duplicateOf?: string;
  reason: string;
}

export interface EvidenceOptions {
  /** Alerts that resolved by themselves within this long of firing, with nothing done, are noise. */
  selfResolveMs: number;
}

/** 15 minutes: longer than a flapping threshold's typical blip, shorter than a real outage's shortest fix. */
export const DEFAULT_EVIDENCE: EvidenceOptions = { selfResolveMs: 15 * 60_000 };

/** The part of an incident's state the evidence is read from (what recordIncidentClosed receives). */
export type EvidenceFacts = Pick<
  IncidentState,
  'outcome' | 'openedAt' | 'closedAt' | 'actions' | 'approvals' | 'timeline' | 'milestones'
>;

/**
 * What the incident's own record says: remediated and verified, or a plan a person approved and that
 * ran, is actionable; alerts that resolved by themselves within `selfResolveMs` of firing, with no
 * action run, no plan approved and nobody resolving it, are noise; anything else is left to people.
 */
export function evidenceVerdict(
  facts: EvidenceFacts,
  options: EvidenceOptions = DEFAULT_EVIDENCE,
): EvidenceVerdict {
  if (!facts.outcome || !facts.closedAt) return { verdict: null, reason: 'the incident is still open' };
  if (facts.outcome === 'verified') return { verdict: 'actionable', reason: 'remediated and verified' };
  const ran = facts.actions.some((a) => a.status === 'done' || a.status === 'rolled-back');
  const approvedByPerson = facts.approvals.some((a) => a.decision === 'approved' && a.via !== 'policy');
  if (ran && approvedByPerson) {
    return { verdict: 'actionable', reason: 'a person approved a remediation and it ran' };
  }
  if (facts.timeline.some((t) => t.event === 'resolved-by-human')) {
    return { verdict: null, reason: 'a person resolved it: their verdict decides' };
  }
  const selfResolved = facts.outcome === 'resolved' || facts.outcome === 'no-runbook';
  const decided = facts.approvals.some((a) => a.decision === 'approved' || a.decision === 'rejected');
  if (!selfResolved || ran || decided) return { verdict: null, reason: `closed ${facts.outcome}` };
  const firing = believableMilestones(facts.milestones).alertFiring ?? facts.openedAt;
  const lastedMs = Date.parse(facts.closedAt) - Date.parse(firing);
  const minutes = Math.round(options.selfResolveMs / 60_000);
  if (Number.isFinite(lastedMs) && lastedMs <= options.selfResolveMs) {
    return {
      verdict: 'noise',
      reason: `its alerts resolved by themselves within ${minutes} min and nothing was done`,
    };
  }
  return { verdict: null, reason: `its alerts resolved by themselves after more than ${minutes} min` };
}

/** The incident's verdict: the latest person's, else the evidence's, else none. */
export function verdictOf(entry: { person?: PersonVerdict; evidence?: EvidenceVerdict }): EffectiveVerdict {
  const { person, evidence } = entry;
  if (person) {
    return {
      verdict: person.verdict,
      source: 'person',
      ...(person.duplicateOf ? { duplicateOf: person.duplicateOf } : {}),
      reason: `${person.actor} via ${person.via}${person.note ? `: ${person.note}` : ''}`,
    };
  }
  if (evidence?.verdict) return { verdict: evidence.verdict, source: 'evidence', reason: evidence.reason };
  return { verdict: null, source: null, reason: evidence?.reason ?? 'no verdict yet' };
}
