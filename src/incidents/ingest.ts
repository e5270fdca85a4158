import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WithWorkflowArgs,
  type WorkflowSignalWithStartOptions,
} from '@temporalio/client';
import { LRUCache } from 'lru-cache';
import type { Settings } from '../config/settings.js';
import type { Alert } from '../domain/alert.js';
import { jsonLength } from '../domain/utf8.js';
import { correlate, type CorrelationLabels } from '../domain/correlation.js';
import type { AnnounceWebhook, IncidentInput } from '../domain/incident.js';
import { webUiDetails, webUiSummary } from '../domain/incident-view.js';
import { alertsSignal, INCIDENT_WORKFLOW_TYPE, type IncidentWorkflow } from '../workflows/messages.js';
import { incidentRecord, MAX_MERGE_HOPS, openingOf, type IncidentRecord } from './merged.js';
import { notResolvedBefore } from './resolved-before.js';
import type { RecentDeliveries } from './recent-deliveries.js';

export interface IngestConfig {
  taskQueue: string;
  correlationLabels: CorrelationLabels;
  debounceMs: number;
  maxHistoryEvents: number;
  /** History bytes past which a large delivery waits (see roomFor). */
  maxHistoryBytes: number;
  dryRun: boolean;
  /** Bound on each call to Temporal, so a webhook fails fast (503) instead of hanging. */
  temporalTimeoutMs: number;
  /** The Slack channel each incident's message goes to; absent: no message. */
  announceChannel?: string;
  /** The incoming webhooks every incident is announced to, by reference. */
  announceWebhooks?: AnnounceWebhook[];
}

/** How incidents are opened, from the settings: the API and the watch workflow share it. */
export function ingestConfigFrom(settings: Settings, temporalTimeoutMs = 5000): IngestConfig {
  return {
    taskQueue: settings.temporal.taskQueue,
    correlationLabels: settings.correlationLabels,
    debounceMs: settings.debounceMs,
    maxHistoryEvents: settings.maxHistoryEvents,
    maxHistoryBytes: settings.maxHistoryBytes,
    dryRun: settings.dryRun,
    temporalTimeoutMs,
    ...(settings.slack?.channel ? { announceChannel: settings.slack.channel } : {}),
    ...(settings.announceWebhooks.length > 0 ? { announceWebhooks: settings.announceWebhooks } : {}),
  };
}

/** Where a new incident is announced: absent when nowhere, as before there were webhooks. */
function announceOf(config: IngestConfig): Pick<IncidentInput, 'announce'> {
  const { announceChannel: channel, announceWebhooks: webhooks } = config;
  if (!channel && !webhooks) return {};
  return { announce: { ...(channel ? { channel } : {}), ...(webhooks ? { webhooks } : {}) } };
}

/**
 * The most alert JSON one signal carries. A signal is a payload Temporal refuses past 2 MB, and the body
 * limit (STEADFAST_MAX_BODY_BYTES) may be set higher than that: a larger group goes as several signals.
 */
export const SIGNAL_BATCH_BYTES = 512 * 1024;

/** The alerts in order, firing ones first (so the signal that may open the incident has one), in batches. */
export function signalBatches(alerts: readonly Alert[], maxBytes = SIGNAL_BATCH_BYTES): Alert[][] {
  return batched(alerts, maxBytes).batches;
}

/** signalBatches, with the alerts' JSON bytes in all, measured once for both. */
function batched(alerts: readonly Alert[], maxBytes: number): { batches: Alert[][]; bytes: number } {
  const ordered = [
    ...alerts.filter((a) => a.status === 'firing'),
    ...alerts.filter((a) => a.status !== 'firing'),
  ];
  const batches: Alert[][] = [];
  let current: Alert[] = [];
  let bytes = 0;
  let total = 0;
  for (const alert of ordered) {
    const size = jsonLength(alert);
    total += size;
    if (current.length > 0 && bytes + size > maxBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(alert);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return { batches, bytes: total };
}

/**
 * Alert JSON one API process sends to an incident without asking how large its history is: past it (in
 * one delivery, or in several since the last look) the delivery first reads the history's size (roomFor).
 */
export const LARGE_DELIVERY_BYTES = 64 * 1024;

/** Deliveries one API process sends to one incident at once after reading its size (see roomFor). */
export const LARGE_DELIVERIES_IN_FLIGHT = 4;

/** The incident cannot take this delivery now; nothing was sent. Retrying later succeeds. */
export class IncidentBusyError extends Error {
  override name = 'IncidentBusyError';
}

export interface IngestResult {
  /** The incident that holds the alerts now: the group's own, or the one it was merged into. */
  incidentId: string;
  correlationKey: string;
  /**
   * accepted: the incident was opened or joined; no-open-incident: only resolved alerts, nothing open;
   * already-resolved: its firing alerts were resolved in the incident's last run, which closed (late
   * deliveries), so it was not opened again.
   */
  status: 'accepted' | 'no-open-incident' | 'already-resolved';
  alerts: number;
  /** The group's own incident, when it had been merged into incidentId and the alerts followed. */
  mergedFrom?: string;
}

/** The incident's static summary and details for the Web UI, from the alert that opens it. */
function webUiMetadata(alerts: Alert[]): { staticSummary?: string; staticDetails?: string } {
  const alert = alerts.find((a) => a.status === 'firing');
  return alert ? { staticSummary: webUiSummary(alert), staticDetails: webUiDetails(alert) } : {};
}

/**
 * Delivers one group of alerts to its incident (see signalGroup). Only firing alerts open one, with
 * signalWithStart, which joins the incident instead if it opened meanwhile: a re-sent webhook therefore
 * never opens a second incident. A group with only resolved alerts only reaches an open incident.
 */
export async function ingestGroup(
  client: Client,
  config: IngestConfig,
  group: { commonLabels: Record<string, string>; identity: string; alerts: Alert[] },
  recent?: RecentDeliveries,
): Promise<IngestResult> {
  const { key, incidentId } = correlate(group.commonLabels, group.identity, config.correlationLabels);
  const result = { incidentId, correlationKey: key, alerts: group.alerts.length };
  // A firing whose resolution found no incident moments ago is late; resolutions beside it still go.
  const current = recent ? recent.notResolvedNowhere(group.alerts) : group.alerts;
  if (current.length === 0) return { ...result, status: 'already-resolved' };
  // One deadline for the whole group: with Temporal down, a re-sent webhook's look and its delivery
  // would otherwise wait it out one after the other before the 503.
  const deadline = Date.now() + config.temporalTimeoutMs;
  let alerts = recent ? recent.unsent(incidentId, current) : current;
  if (alerts.length === 0 && recent) {
    const taken = await deliveredBefore(client, { recent, deadline }, incidentId, current);
    if (taken) return { ...result, ...taken };
    alerts = current;
  }
  // What this process remembers delivering went to the incident's run then; should that run have closed
  // since, the run opened now never had it.
  const held = alerts.length < current.length ? leftOut(current, alerts) : [];
  const reached = await signalGroup(client, config, { incidentId, key }, { alerts, held }, deadline);
  if (reached.status === 'accepted' && recent) {
    await remember(client, recent, { incidentId, deadline }, reached, { alerts, held, current });
  }
  if (reached.status === 'no-open-incident') recent?.resolvedNowhere(alerts);
  return { ...result, ...answerOf(reached) };
}

/** What the webhook's caller is told of a delivery: not which run took it. */
function answerOf({ status, incidentId, mergedFrom }: Reached): Answer {
  return { status, ...(incidentId ? { incidentId } : {}), ...(mergedFrom ? { mergedFrom } : {}) };
}

/**
 * Notes what the run that took a delivery holds of the group, first making sure it holds what this
 * process left out as delivered before (`held`). A run this delivery opened again was given them
 * (`sentHeld`); a run the remembered one continued as carries them; a run of another chain (another
 * sender's alert opened the incident again after it closed) never had them, and is sent them now.
 */
async function remember(
  client: Client,
  recent: RecentDeliveries,
  { incidentId, deadline }: { incidentId: string; deadline: number },
  { run, sentHeld, incidentId: reached }: Reached,
  { alerts, held, current }: { alerts: Alert[]; held: Alert[]; current: Alert[] },
): Promise<void> {
  let holds = alerts;
  if (sentHeld) {
    recent.forget(incidentId);
    holds = current;
  } else if (run !== undefined && !(await sameChain(client, recent, incidentId, { runId: run }, deadline))) {
    if (held.length > 0)
      await signalAll(client, incidentId, batched(held, SIGNAL_BATCH_BYTES).batches, deadline);
    holds = current;
  }
  recent.delivered(incidentId, holds, reached, run);
}

/**
 * The answer to a delivery this process made whole moments ago: accepted, where the first took it, while
 * that run still runs. Undefined once it closed (a person resolved it while its alert fired): the alerts
 * then go to Temporal as if never delivered, since Alertmanager would not send them again for hours
 * (repeat_interval). Only resolved alerts need no look: a closed run has nothing to resolve.
 */
async function deliveredBefore(
  client: Client,
  { recent, deadline }: { recent: RecentDeliveries; deadline: number },
  incidentId: string,
  alerts: readonly Alert[],
): Promise<Reached | undefined> {
  const into = recent.reached(incidentId);
  const taken: Reached = {
    status: 'accepted',
    ...(into ? { incidentId: into, mergedFrom: incidentId } : {}),
  };
  if (!alerts.some((a) => a.status === 'firing')) return taken;
  const run = await incidentRecord(client, into ?? incidentId, deadline);
  // A run of another chain than the one that took them (the incident closed and another sender's alert
  // opened it again) never had them; one the remembered run continued as carries them.
  if (run?.running && (into !== undefined || (await sameChain(client, recent, incidentId, run, deadline))))
    return taken;
  recent.forget(incidentId);
  return undefined;
}

/** Comparisons of two runs' chains under way, so concurrent deliveries to one incident ask once. */
const comparing = new Map<string, Promise<boolean>>();

/**
 * Whether `current` is the run that took what this process remembers for the incident, or one it
 * continued as (one chain of continue-as-new, the incident's state carried), rather than a run opened
 * after it closed. Settled once per change of run for every delivery to the incident: the memory then
 * names `current` (the same chain) or is forgotten (another), so one group's delivery never makes the
 * memory forget what other groups delivered to the same chain. Unknown is "another": the alerts are sent
 * again, and the workflow's ledger drops those it has. A `current` already described brings its chain
 * along, so only the remembered run is asked.
 */
async function sameChain(
  client: Client,
  recent: RecentDeliveries,
  incidentId: string,
  current: Pick<IncidentRecord, 'runId' | 'firstRunId' | 'opening'>,
  deadline: number,
): Promise<boolean> {
  const took = recent.run(incidentId);
  const run = current.runId;
  if (took === undefined || took === run) return true;
  const key = `${incidentId} ${took} ${run}`;
  let same = comparing.get(key);
  if (!same) {
    const known = current.firstRunId !== undefined ? lineOf(current.firstRunId, current.opening) : undefined;
    same = chainOf(client, incidentId, took, deadline)
      .then(
        async (chain) =>
          chain !== undefined && chain === (known ?? (await chainOf(client, incidentId, run, deadline))),
      )
      .catch(() => false)
      .finally(() => comparing.delete(key));
    comparing.set(key, same);
  }
  const answer = await same;
  // Another delivery may have settled it meanwhile: only the run compared is moved on or forgotten.
  if (recent.run(incidentId) === took) {
    if (answer) recent.continued(incidentId, took, run);
    else recent.forget(incidentId);
  }
  return answer;
}

/**
 * The chain a run belongs to and its opening in it, or undefined when Temporal does not say the chain:
 * a run opened again (by alerts that fired as the run before closed) continues the chain of the run that
 * closed, yet holds none of what that run took, so the opening is part of what makes two runs one.
 */
async function chainOf(
  client: Client,
  incidentId: string,
  runId: string,
  deadline: number,
): Promise<string | undefined> {
  const described = await client.withDeadline(deadline, () =>
    client.workflow.getHandle(incidentId, runId).describe(),
  );
  const first = described.raw.workflowExecutionInfo?.firstRunId;
  return first ? lineOf(first, openingOf(described.memo)) : undefined;
}

const lineOf = (firstRunId: string, opening: string | undefined): string => `${firstRunId} ${opening ?? ''}`;

/** The alerts of `all` not in `sent`, through a set: a storm's webhook holds thousands. */
function leftOut(all: readonly Alert[], sent: readonly Alert[]): Alert[] {
  const given = new Set(sent);
  return all.filter((a) => !given.has(a));
}

type Answer = Pick<IngestResult, 'status' | 'mergedFrom'> & { incidentId?: string };
/**
 * Where a delivery went. `run`: the run of the group's own incident that took it, when Temporal named it;
 * `sentHeld`: the alerts this process remembered delivering went along, to a run opened again.
 */
type Reached = Answer & { run?: string; sentHeld?: boolean };
export type Target = { incidentId: string; key: string };

/**
 * Sends the alerts to their incident while it runs. One merged into another and closed since sends them
 * on to its target, so a merge holds for the alerts that come later (docs/clusters.md). With no open
 * incident to take them, a firing alert opens the group's own.
 *
 * Firing alerts first try signalWithStart refusing an ID that ran before: it joins a running incident or
 * opens a new one in one call, as it did before merges were followed, and only a group whose incident
 * closed before pays for the describe that finds out whether it was merged.
 */
async function signalGroup(
  client: Client,
  config: IngestConfig,
  own: Target,
  { alerts, held }: { alerts: Alert[]; held: Alert[] },
  deadline: number,
): Promise<Reached> {
  const { batches, bytes } = batched(alerts, SIGNAL_BATCH_BYTES);
  const since = (unchecked.get(own.incidentId) ?? 0) + bytes;
  if (since <= LARGE_DELIVERY_BYTES) {
    countUnchecked(own.incidentId, since);
    return sendGroup(client, config, own, { batches, held }, deadline);
  }
  const release = await roomFor(client, config, own.incidentId, bytes, deadline);
  try {
    return await sendGroup(client, config, own, { batches, held }, deadline);
  } finally {
    release();
  }
}

/**
 * Signals Temporal takes in one run before it refuses more (history.maximumSignalsPerExecution, 10,000
 * unless the cluster sets it). Each signal adds at least one history event, so a run whose history is
 * shorter than this has taken fewer signals.
 */
export const SIGNALS_PER_RUN = 10_000;

/**
 * History events past which deliveries wait: eight times the length at which a workflow continues as new,
 * but short of SIGNALS_PER_RUN (9,000 by default): a step or verification does not roll over while it
 * runs, and thousands of small signals stay far under the size budget and Temporal's 51,200 events.
 */
export const eventBudget = (config: Pick<IngestConfig, 'maxHistoryEvents'>): number =>
  Math.min(config.maxHistoryEvents * 8, SIGNALS_PER_RUN * 0.9);

/** Deliveries in flight from this process after reading the history's size, by incident. */
const inFlight = new Map<string, number>();
/**
 * Alert JSON sent to each incident since its history's size was last read. Past 10,000 incidents the
 * one sent to least recently is forgotten (a forgotten count only delays its next look by one
 * LARGE_DELIVERY_BYTES), so a sender that opens many groups cannot make the busy ones forgotten.
 */
const unchecked = new LRUCache<string, number>({ max: 10_000 });

function countUnchecked(incidentId: string, bytes: number): void {
  unchecked.set(incidentId, bytes);
}

/**
 * Every signal stays in the incident's history until its workflow continues as new, which it does only
 * between steps, and Temporal terminates a run whose history passes 50 MB. A sender could otherwise
 * kill an incident by sending webhooks faster than it rolls over (while a step runs, it does not at all).
 * So once a delivery, or the deliveries since the last look, bring more than LARGE_DELIVERY_BYTES, the
 * history's size is read first: past the budget the delivery is refused with IncidentBusyError, before
 * anything is sent, and Alertmanager retries it once the workflow rolled over. Most deliveries are small
 * and are not asked about, so an ordinary webhook costs no extra call (many small ones in a burst cost
 * one look per 64 KiB). Returns the release of this delivery's place among those in flight (a few at once
 * per incident, so parallel senders cannot all pass the check before any of them is counted).
 */
async function roomFor(
  client: Client,
  config: IngestConfig,
  incidentId: string,
  bytes: number,
  deadline: number,
): Promise<() => void> {
  const busy = (why: string): IncidentBusyError =>
    new IncidentBusyError(`incident ${incidentId} ${why}; retry later (nothing was recorded)`);
  const now = inFlight.get(incidentId) ?? 0;
  if (now >= LARGE_DELIVERIES_IN_FLIGHT) throw busy(`is taking ${now} large deliveries already`);
  inFlight.set(incidentId, now + 1);
  const release = (): void => {
    const left = (inFlight.get(incidentId) ?? 1) - 1;
    if (left > 0) inFlight.set(incidentId, left);
    else inFlight.delete(incidentId);
  };
  try {
    const run = await client
      .withDeadline(deadline, () => client.workflow.getHandle(incidentId).describe())
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      });
    const running = run?.status.name === 'RUNNING';
    const size = running ? (run.historySize ?? 0) : 0;
    if (size + bytes > config.maxHistoryBytes) {
      throw busy(`holds ${(size / 1_048_576).toFixed(1)} MB of history until its workflow continues as new`);
    }
    // Small signals reach Temporal's event limit (51,200) long before its size limit.
    const events = running ? run.historyLength : 0;
    if (events > eventBudget(config)) {
      throw busy(`holds ${events} history events until its workflow continues as new`);
    }
    // Only a look that lets the delivery through starts the count again: while the history is full, every
    // delivery to it is looked at, however small.
    countUnchecked(incidentId, 0);
  } catch (err) {
    release();
    throw err;
  }
  return release;
}

/**
 * signalGroup's sending, once a large delivery has its place. `held` are the group's alerts this process
 * delivered before and leaves out: they go along when the incident opens again, to its new run (and to
 * another sender's new run, see remember).
 */
async function sendGroup(
  client: Client,
  config: IngestConfig,
  own: Target,
  { batches, held }: { batches: Alert[][]; held: Alert[] },
  deadline: number,
): Promise<Reached> {
  // A group whose firing alerts were all delivered before still fires: it joins through signalWithStart,
  // which names the run it reached (an ID that ran before is never opened by `unless-closed`).
  const fires = [...(batches[0] ?? []), ...held].some((a) => a.status === 'firing');
  if (fires) {
    const run = await startOrJoin(client, config, own, batches, deadline, 'unless-closed');
    if (run !== undefined) return { status: 'accepted', run };
  } else if (await signalOpen(client, own.incidentId, batches, deadline)) return { status: 'accepted' };
  const { into, closedRun } = await followMerges(client, own.incidentId, batches, deadline);
  if (into) return { status: 'accepted', incidentId: into, mergedFrom: own.incidentId };
  if (!fires) return { status: 'no-open-incident' };
  const alerts = [...batches.flat(), ...held];
  const late = closedRun
    ? await notResolvedBefore(client, own.incidentId, closedRun, alerts, deadline)
    : alerts;
  if (!late.some((a) => a.status === 'firing')) return { status: 'already-resolved' };
  const again =
    late.length === alerts.length && held.length === 0 ? batches : batched(late, SIGNAL_BATCH_BYTES).batches;
  const run = await startOrJoin(client, config, own, again, deadline, 'again');
  return {
    status: 'accepted',
    ...(run !== undefined ? { run } : {}),
    ...(held.length > 0 ? { sentHeld: true } : {}),
  };
}

/**
 * Joins the running incident or opens it (signalWithStart, atomic: a re-sent webhook never opens a
 * second), answering the run it signalled. `unless-closed` refuses to open an ID that ran before,
 * answering undefined: its last run may have been merged. `again` opens it whatever ran before.
 */
async function startOrJoin(
  client: Client,
  config: IngestConfig,
  own: Target,
  batches: Alert[][],
  deadline: number,
  open: 'unless-closed' | 'again',
): Promise<string | undefined> {
  const [first = [], ...rest] = batches;
  let run: string;
  try {
    const handle = await client.withDeadline(deadline, () =>
      client.workflow.signalWithStart<IncidentWorkflow, [Alert[]]>(
        INCIDENT_WORKFLOW_TYPE,
        startOptions(config, own, first, open),
      ),
    );
    run = handle.signaledRunId;
  } catch (err) {
    if (open === 'unless-closed' && err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err;
  }
  await signalAll(client, own.incidentId, rest, deadline);
  return run;
}

/**
 * The signalWithStart that opens or joins an incident with its first batch of alerts (bench:ingest makes
 * the same call straight to Temporal as its floor).
 */
export function startOptions(
  config: IngestConfig,
  { incidentId, key }: Target,
  first: Alert[],
  open: 'unless-closed' | 'again',
): WithWorkflowArgs<IncidentWorkflow, WorkflowSignalWithStartOptions<[Alert[]]>> {
  const input: IncidentInput = {
    incidentId,
    correlationKey: key,
    debounceMs: config.debounceMs,
    maxHistoryEvents: config.maxHistoryEvents,
    dryRun: config.dryRun,
    ...announceOf(config),
  };
  return {
    workflowId: incidentId,
    taskQueue: config.taskQueue,
    args: [input],
    signal: alertsSignal,
    signalArgs: [first],
    workflowIdReusePolicy: open === 'again' ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
    // What the Temporal Web UI lists the incident by; ignored when the signal joins an open incident.
    ...webUiMetadata(first),
  };
}

/**
 * The running incident the group's closed incident was merged into, with the alerts sent there; else the
 * group's own last run, when it closed.
 */
async function followMerges(
  client: Client,
  incidentId: string,
  batches: Alert[][],
  deadline: number,
): Promise<{ into?: string; closedRun?: string }> {
  const own = await incidentRecord(client, incidentId, deadline);
  let at = own;
  for (let hop = 0; hop < MAX_MERGE_HOPS && at?.mergedInto; hop++) {
    const into: string = at.mergedInto;
    at = await incidentRecord(client, into, deadline);
    // A target that closes meanwhile is told nothing: its own merge, if any, is read on the next delivery.
    if (at?.running && (await signalOpen(client, into, batches, deadline))) return { into };
  }
  return own && !own.running ? { closedRun: own.runId } : {};
}

/** False when the incident is not running (closed or never opened): then the first batch reached nothing. */
async function signalOpen(
  client: Client,
  incidentId: string,
  batches: Alert[][],
  deadline: number,
): Promise<boolean> {
  const handle = client.workflow.getHandle(incidentId);
  try {
    for (const first of batches.slice(0, 1)) {
      await client.withDeadline(deadline, () => handle.signal(alertsSignal, first));
    }
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
  await signalAll(client, incidentId, batches.slice(1), deadline);
  return true;
}

/**
 * Sends batches to a run that took the delivery's first. A re-sent webhook after a partial failure is
 * harmless: the workflow drops alerts it already has.
 */
async function signalAll(
  client: Client,
  incidentId: string,
  batches: Alert[][],
  deadline: number,
): Promise<void> {
  const handle = client.workflow.getHandle(incidentId);
  try {
    for (const batch of batches)
      await client.withDeadline(deadline, () => handle.signal(alertsSignal, batch));
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    // The run closed between two signals of one delivery. A 404 would end Alertmanager's retries and lose
    // the alerts not yet sent; the retry sends the group again, and they open the incident again.
    throw new IncidentBusyError(
      `incident ${incidentId} closed while this delivery's alerts were being sent; retry the delivery (what reached it is kept)`,
    );
  }
}
