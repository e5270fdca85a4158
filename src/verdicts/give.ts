import type { Client } from '@temporalio/client';
import type { Metrics } from '../lib/metrics.js';
import { incidentFacts, IncidentUnknown, verdictLedger } from './client.js';
import { countFalsePositive } from './count.js';
import type { PersonVerdictResult } from './ledger.js';
import { readPages } from './pages.js';
import { DEFAULT_SUMMARY, summarizeVerdicts, type SummaryOptions, type VerdictSummary } from './summary.js';
import type { VerdictKind } from './verdict.js';

/** What every surface (API, Slack, console) needs to file a person's verdict. */
export interface VerdictDeps {
  client: Client;
  /** The task queue the incidents run on: its ledger is theirs. */
  taskQueue: string;
  metrics: Pick<Metrics, 'falsePositives'>;
}

export interface GiveVerdict {
  incidentId: string;
  verdict: VerdictKind;
  duplicateOf?: string;
  note?: string;
  actor: string;
  via: 'api' | 'slack' | 'console';
}

/** The incident a duplicate names does not exist. */
export class DuplicateOfUnknown extends Error {
  constructor(readonly incidentId: string) {
    super(`duplicateOf names no incident: ${incidentId}`);
    this.name = 'DuplicateOfUnknown';
  }
}

/**
 * Files a person's verdict on an incident, open or closed: the incident (and the one it duplicates)
 * must exist. A noise verdict that changed the ledger counts in steadfast_false_positive_total.
 */
export async function giveVerdict(deps: VerdictDeps, input: GiveVerdict): Promise<PersonVerdictResult> {
  if (input.duplicateOf) {
    await incidentFacts(deps.client, input.duplicateOf).catch((err: unknown) => {
      throw err instanceof IncidentUnknown ? new DuplicateOfUnknown(input.duplicateOf ?? '') : err;
    });
  }
  const described = await incidentFacts(deps.client, input.incidentId);
  const { incidentId, service, alertName, openedAt, closedAt } = described;
  const facts = { incidentId, service, alertName, openedAt, ...(closedAt ? { closedAt } : {}) };
  const result = await verdictLedger(deps.client, deps.taskQueue).give({
    facts,
    verdict: input.verdict,
    ...(input.duplicateOf ? { duplicateOf: input.duplicateOf } : {}),
    ...(input.note ? { note: input.note } : {}),
    actor: input.actor,
    via: input.via,
  });
  if (result.changed && input.verdict === 'noise') countFalsePositive(deps.metrics, 'person', facts.service);
  return result;
}

/** The summary of the ledger and of the incidents opened in the window, read now. */
export async function readSummary(
  deps: Pick<VerdictDeps, 'client' | 'taskQueue'>,
  options: SummaryOptions = DEFAULT_SUMMARY,
  now: number = Date.now(),
): Promise<VerdictSummary & { pagesTruncated: boolean }> {
  const [ledger, pages] = await Promise.all([
    verdictLedger(deps.client, deps.taskQueue).read(),
    readPages(deps.client, now - options.windowMs),
  ]);
  const summary = summarizeVerdicts(Object.values(ledger.entries), pages.pages, now, options);
  return { ...summary, pagesTruncated: pages.truncated };
}
