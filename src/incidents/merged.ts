import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { MERGED_INTO_MEMO } from '../workflows/messages.js';

/**
 * The most merges one delivery follows. A merge refuses a target that was itself merged away, so a chain
 * grows only when a target is merged later; the bound keeps a hand-made memo from sending us in circles.
 */
export const MAX_MERGE_HOPS = 5;

const incidentIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,255}$/);

/**
 * The incident a closed incident was merged into, from the memo the merge wrote (see MERGED_INTO_MEMO);
 * undefined when it was not merged, is still running, or does not exist. Describe reads the workflow's
 * own record, so a merge that just closed is seen at once (a visibility query might not see it yet).
 */
export async function mergedInto(
  client: Client,
  incidentId: string,
  deadline: number,
): Promise<string | undefined> {
  try {
    const described = await client.withDeadline(deadline, () =>
      client.workflow.getHandle(incidentId).describe(),
    );
    if (described.status.name === 'RUNNING') return undefined;
    const into = incidentIdSchema.safeParse(described.memo?.[MERGED_INTO_MEMO]);
    return into.success && into.data !== incidentId ? into.data : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
