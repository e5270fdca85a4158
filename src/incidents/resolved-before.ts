import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { Alert } from '../domain/alert.js';
import { namesOneFiring } from '../domain/dedupe-key.js';
import { asRecorded } from '../workflows/alerts.js';
import type { IncidentWorkflow } from '../workflows/messages.js';

/** The part of a closed run's result read here: its ledger (src/workflows/alerts.ts), 0 for resolved. */
const closedLedger = z.object({ alertLedger: z.record(z.string(), z.union([z.literal(0), z.literal(1)])) });

/**
 * The alerts worth opening an incident again for, given its run `runId` that closed. A firing alert whose
 * firing (fingerprint and startsAt) that run saw resolved is late, not new: with Alertmanager in a cluster
 * each peer notifies, and one peer's "firing" can arrive after another's "resolved". Opening the incident
 * again for it would plan, and perhaps carry out, a fix for a problem already gone.
 *
 * What cannot be read (a run that failed, was terminated or is past retention, or a result of another
 * shape) leaves the alerts as they are: a doubt opens the incident, since a missed alert costs more.
 */
export async function notResolvedBefore(
  client: Client,
  incidentId: string,
  runId: string,
  alerts: readonly Alert[],
  deadline: number,
): Promise<Alert[]> {
  if (!alerts.some((a) => a.status === 'firing' && namesOneFiring(a))) return [...alerts];
  let result: unknown;
  try {
    // A given run's result, not followRuns: it is final, and a run opened meanwhile is never waited for.
    const handle = client.workflow.getHandle<IncidentWorkflow>(incidentId, runId, { followRuns: false });
    result = await client.withDeadline(deadline, () => handle.result());
  } catch (err) {
    if (err instanceof WorkflowFailedError || err instanceof WorkflowNotFoundError) return [...alerts];
    throw err;
  }
  const parsed = closedLedger.safeParse(result);
  if (!parsed.success) return [...alerts];
  const ledger = parsed.data.alertLedger;
  const seen = (key: string): boolean => ledger[key] !== undefined;
  return alerts.filter(
    (a) => a.status !== 'firing' || !namesOneFiring(a) || ledger[asRecorded(a, seen).key] !== 0,
  );
}
