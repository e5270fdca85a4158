import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import {
  INCIDENT_ID,
  INCIDENT_WORKFLOW_TYPE,
  MERGED_INTO_MEMO,
  OPENING_MEMO,
} from '../workflows/messages.js';

/**
 * The most merges one delivery follows. A merge refuses a target that was itself merged away, so a chain
 * grows only when a target is merged later; the bound keeps a hand-made memo from sending us in circles.
 */
export const MAX_MERGE_HOPS = 5;

const incidentIdSchema = z.string().regex(INCIDENT_ID);

/** What following a merge needs to know of an incident's latest run. */
export interface IncidentRecord {
  running: boolean;
  /** The incident it was merged into, once closed (see MERGED_INTO_MEMO). */
  mergedInto?: string;
  /** The run described: once it closed, its result is final (src/incidents/resolved-before.ts reads it). */
  runId: string;
  /** The first run of its chain of continue-as-new (Temporal's firstRunId), when Temporal says it. */
  firstRunId?: string;
  /** Which opening of the incident the run belongs to, past the first (see OPENING_MEMO). */
  opening?: string;
}

/**
 * The opening a described run belongs to: its memo's OPENING_MEMO, when it is a short text (a memo is
 * only ever set by the workflow, but a hand-made one must not make ingestion misread a run).
 */
export function openingOf(memo: Record<string, unknown> | undefined): string | undefined {
  const opening = memo?.[OPENING_MEMO];
  return typeof opening === 'string' && opening.length <= 64 ? opening : undefined;
}

/**
 * An incident's latest run, from describe: the workflow's own record, so a merge that just closed is seen
 * at once (a visibility query might not see it yet). Undefined when there is none, or the ID is not an
 * incident's: a memo names only incidents, and alerts are never sent to any other workflow.
 */
export async function incidentRecord(
  client: Client,
  incidentId: string,
  deadline: number,
): Promise<IncidentRecord | undefined> {
  try {
    const described = await client.withDeadline(deadline, () =>
      client.workflow.getHandle(incidentId).describe(),
    );
    if (described.type !== INCIDENT_WORKFLOW_TYPE) return undefined;
    const firstRunId = described.raw.workflowExecutionInfo?.firstRunId;
    const opening = openingOf(described.memo);
    const run = {
      runId: described.runId,
      ...(firstRunId ? { firstRunId } : {}),
      ...(opening ? { opening } : {}),
    };
    if (described.status.name === 'RUNNING') return { running: true, ...run };
    const into = incidentIdSchema.safeParse(described.memo?.[MERGED_INTO_MEMO]);
    return into.success && into.data !== incidentId
      ? { running: false, mergedInto: into.data, ...run }
      : { running: false, ...run };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
