import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { pool } from './stats.js';
import type { IncidentState } from '../../src/domain/incident.js';
import { dedupeKeyOf } from '../../src/domain/dedupe-key.js';
import { ledgerKey } from '../../src/workflows/alerts.js';
import { INCIDENT_WORKFLOW_TYPE, stateQuery } from '../../src/workflows/messages.js';

/** The storms' incidents are all for the alert name BenchStorm, so their IDs start alike. */
export const STORM_PREFIX = 'incident-BenchStorm.';

/** An error and its causes in one line: the SDK's outer messages ("Failed to query Workflow") say little. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) parts.push(e.message);
  return parts.length > 0 ? parts.join(': ') : String(err);
}

/**
 * An incident's state, or undefined when no such workflow exists. Under the storm's load a query can time
 * out while the worker catches up (each one may replay a history it no longer caches): asked again.
 */
export async function queryState(raw: Client, id: string): Promise<IncidentState | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await raw.workflow.getHandle(id).query(stateQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      if (attempt >= 5) throw new Error(`query of ${id} failed ${attempt} times: ${describeError(err)}`);
      console.error(`query of ${id} failed (attempt ${attempt}), asking again: ${describeError(err)}`);
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

/**
 * The storm's incident runs in visibility, by workflow ID: waiting until it lists at least `groups` and has
 * stopped moving for a second (visibility is written after the fact), or 30 s.
 */
export async function stormRuns(
  raw: Client,
  taskQueue: string,
  groups: number,
  abort: AbortSignal,
): Promise<Map<string, Set<string>>> {
  const query = `WorkflowType = '${INCIDENT_WORKFLOW_TYPE}' AND TaskQueue = '${taskQueue}'`;
  const runs = new Map<string, Set<string>>();
  const deadline = Date.now() + 30_000;
  let stableSince = Date.now();
  let lastCount = -1;
  for (;;) {
    abort.throwIfAborted();
    runs.clear();
    for await (const info of raw.workflow.list({ query })) {
      if (!info.workflowId.startsWith(STORM_PREFIX)) continue;
      runs.set(info.workflowId, (runs.get(info.workflowId) ?? new Set()).add(info.runId));
    }
    const count = [...runs.values()].reduce((n, s) => n + s.size, 0);
    if (count !== lastCount) stableSince = Date.now();
    lastCount = count;
    if ((count >= groups && Date.now() - stableSince >= 1000) || Date.now() > deadline) return runs;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * How an incident's state accounts for the alerts it should have (by dedupe key). An incident holds its
 * latest 50 alerts whole and tracks every alert it had in its ledger, so an alert counts as held when
 * the ledger has it: a group larger than what is held whole is checked too. Duplicated: held whole twice,
 * or counted as received more often than there were distinct alerts.
 */
export function tallyAlerts(
  state: IncidentState,
  want: ReadonlySet<string>,
): { held: number; lost: number; duplicated: number; unexpected: number } {
  const ledger = new Set(Object.keys(state.alertLedger ?? {}));
  const whole = new Map<string, number>();
  for (const a of state.alerts) whole.set(a.dedupeKey, (whole.get(a.dedupeKey) ?? 0) + 1);
  let held = 0;
  let duplicated = 0;
  for (const key of want) {
    if (ledger.has(ledgerKey(key)) || whole.has(key)) held++;
    duplicated += Math.max((whole.get(key) ?? 0) - 1, 0);
  }
  const unexpected = [...whole.keys()].filter((k) => !want.has(k)).length;
  const received = state.alertsReceived ?? state.alerts.length;
  duplicated += Math.max(received - held - unexpected, 0);
  return { held, lost: want.size - held, duplicated, unexpected };
}

/**
 * tallyAlerts over every group's incident (by index), with the re-sent alerts the workflows dropped.
 * `wanted` gives each group's alerts as fingerprint@startsAt; the API keys them by `sender` too.
 */
export async function tallyIncidents(
  raw: Client,
  incidentIds: readonly string[],
  wanted: (group: number) => ReadonlySet<string>,
  sender: string,
): Promise<{ held: number; lost: number; duplicated: number; unexpected: number; dropped: number }> {
  const total = { held: 0, lost: 0, duplicated: 0, unexpected: 0, dropped: 0 };
  await pool([...incidentIds], 8, async (id, g) => {
    const want = new Set([...wanted(g)].map((key) => dedupeKeyOf(sender, key)));
    const state = await queryState(raw, id);
    if (!state) return void (total.lost += want.size);
    const t = tallyAlerts(state, want);
    total.held += t.held;
    total.lost += t.lost;
    total.duplicated += t.duplicated;
    total.unexpected += t.unexpected;
    total.dropped += state.duplicatesDropped;
  });
  return total;
}
