import { condition, getExternalWorkflowHandle, patched, setHandler, upsertMemo } from '@temporalio/workflow';
import type { Alert } from '../../domain/alert.js';
import { ALERT_BOUNDS, firingNotHeld, LEDGER_KEY, takeOverFiring } from '../alerts.js';
import {
  MERGE_ANSWER_WAIT_MS,
  absorbedSignal,
  type AbsorbedNotice,
  alertsSignal,
  INCIDENT_ID,
  type MergeAnswer,
  mergeAnswerSignal,
  mergeAskSignal,
  type MergeAsk,
  MERGED_INTO_MEMO,
  mergeUpdate,
  type MergeRequest,
  type MergeResult,
  REFUSAL,
} from '../messages.js';
import { refusal } from '../refusal.js';
import {
  DECISION_BOUNDS,
  isText,
  malformedAbsorbed,
  malformedMergeAnswer,
  malformedMergeAsk,
} from '../signal-checks.js';
import {
  dropsMalformed,
  errorMessage,
  note,
  nowIso,
  refuseDuringRemediation,
  type Incident,
} from './context.js';
import { refuseEarlierOpening, refuseExpired } from './freshness.js';

/** Incidents that merge: one absorbs another's alerts, the other closes (see mergeUpdate). */
export const MERGE_PATCH = 'incident-merge';
/**
 * A merged incident names its target in its memo, where ingestion finds it once the incident closed, and
 * forwards the alerts that reach it between the merge and its close.
 */
export const FORWARD_PATCH = 'merge-forwards';
/** A merged run waits for the forwards started while it waited for the others (forwardsSent). */
export const FORWARD_ALL_PATCH = 'forward-all-before-closing';

/**
 * A merge asks its target first (mergeAsk, mergeAnswer in src/workflows/messages.ts): two incidents merged
 * into each other at once each closed into the other, and neither held the alerts any more.
 */
export const HANDSHAKE_PATCH = 'merge-handshake';

/**
 * A merge also sends the ledger keys of the firing alerts it does not hold whole (past the 50 it keeps),
 * and how many firing alerts it forgot: the target counted as all resolved while one still fired.
 */
export const FIRING_KEYS_PATCH = 'merge-sends-firing-keys';

/**
 * Alerts that arrive while a merge still asks its target are not forwarded at once: they are held here,
 * and sent with the others once the target agrees. Forwarded at once, they reached a target that then
 * refused (it was closing, or merging itself), and the alert was in two open incidents.
 */
export const HOLD_WHILE_ASKING_PATCH = 'merge-holds-while-asking';

/** Incidents an incident remembers having absorbed. */
const ABSORBED_KEPT = 50;

export function setMergeHandlers(incident: Incident): void {
  setHandler(mergeUpdate, (m) => merge(incident, m), {
    validator: (m: MergeRequest) => validateMerge(incident, m),
  });
  setHandler(absorbedSignal, (a) => {
    if (!dropsMalformed(incident, 'a malformed absorbed signal was dropped', malformedAbsorbed(a)))
      absorbed(incident, a);
  });
  setHandler(mergeAskSignal, (a) => {
    if (!dropsMalformed(incident, 'a malformed mergeAsk signal was dropped', malformedMergeAsk(a)))
      answerMerge(incident, a);
  });
  setHandler(mergeAnswerSignal, (a) => {
    if (dropsMalformed(incident, 'a malformed mergeAnswer signal was dropped', malformedMergeAnswer(a)))
      return;
    if (a && typeof a.from === 'string' && a.from === incident.state.mergedInto) incident.mergeAnswer = a;
  });
}

/** Whether this incident can take another's alerts: not when it is closing or merging away itself. */
function answerMerge({ state, resolvedBy }: Incident, a: MergeAsk): void {
  if (!a || typeof a.from !== 'string' || !INCIDENT_ID.test(a.from)) return;
  // A page read before the target closed and opened again under its ID must not merge into the new one.
  const reopened = a.opened !== undefined && a.opened !== state.openedAt;
  const why = state.mergedInto
    ? `it is itself merging into ${state.mergedInto}`
    : state.stage === 'closed' || resolvedBy
      ? 'it is closing'
      : reopened
        ? `it opened again at ${state.openedAt}, after the merge was asked for on an earlier opening`
        : undefined;
  const answer: MergeAnswer = { from: state.incidentId, absorbs: why === undefined, ...(why ? { why } : {}) };
  // An asker that is gone needs no answer: its merge is refused when none comes.
  getExternalWorkflowHandle(a.from)
    .signal(mergeAnswerSignal, answer)
    .catch(() => undefined);
}

/**
 * Asks the target whether it takes this incident's alerts: the reason it does not, or undefined. Rejects
 * when the target cannot be signalled (closed or unknown).
 */
async function refusedByTarget(incident: Incident, m: MergeRequest): Promise<string | undefined> {
  const into = m.into;
  incident.mergeAnswer = undefined;
  const ask: MergeAsk = {
    from: incident.state.incidentId,
    ...(m.intoOpened ? { opened: m.intoOpened } : {}),
  };
  await getExternalWorkflowHandle(into).signal(mergeAskSignal, ask);
  const answer = await answerFrom(incident);
  incident.mergeAnswer = undefined;
  if (!answer) return `incident ${into} did not answer`;
  return answer.absorbs ? undefined : `incident ${into} cannot take alerts: ${answer.why ?? 'it refused'}`;
}

async function answerFrom(incident: Incident): Promise<MergeAnswer | undefined> {
  await condition(() => incident.mergeAnswer !== undefined, MERGE_ANSWER_WAIT_MS);
  return incident.mergeAnswer;
}

/** Requests also arrive raw from the Temporal CLI, so their shape is checked here too. */
function validateMerge({ state, resolvedBy }: Incident, m: MergeRequest): void {
  if (!m || typeof m.into !== 'string' || !INCIDENT_ID.test(m.into))
    throw refusal(REFUSAL.invalid, 'into is an incident ID');
  if (!isText(m.actor, DECISION_BOUNDS.actor) || !isText(m.via, DECISION_BOUNDS.via))
    throw refusal(REFUSAL.invalid, 'a merge needs its actor and channel (via)');
  if (m.reason !== undefined && !isText(m.reason, 2000))
    throw refusal(REFUSAL.invalid, 'a reason is text of at most 2000 characters');
  if (
    (m.opened !== undefined && !isText(m.opened, 64)) ||
    (m.intoOpened !== undefined && !isText(m.intoOpened, 64))
  )
    throw refusal(REFUSAL.invalid, 'opened and intoOpened are ISO times');
  refuseExpired(m.expiresAt, 'merge');
  refuseEarlierOpening(state, m.opened, 'merge');
  if (m.into === state.incidentId) throw refusal(REFUSAL.invalid, 'an incident cannot be merged into itself');
  if (state.mergedInto) throw refusal(REFUSAL.merge, `already merged into ${state.mergedInto}`);
  if (state.stage === 'closed' || resolvedBy) throw refusal(REFUSAL.closed, 'the incident is closed');
  refuseDuringRemediation(state);
}

/**
 * Sends the alerts to the target, tells it, and closes at the next safe point as resolved by the
 * person who merged. `mergedInto` is set before the first await, so a second merge is refused
 * meanwhile; if the target cannot be signalled (closed, gone) the merge is undone and refused.
 */
async function merge(incident: Incident, m: MergeRequest): Promise<MergeResult> {
  const { state } = incident;
  if (!patched(MERGE_PATCH)) throw refusal(REFUSAL.merge, 'this incident started before merges existed');
  state.mergedInto = m.into;
  if (patched(HANDSHAKE_PATCH)) {
    // Cleared as the answer is read, with no extra step: runs recorded before the patch replay as they ran.
    incident.mergeAsking = true;
    let why: string | null | undefined;
    try {
      why = await refusedByTarget(incident, m).catch(() => null);
    } finally {
      delete incident.mergeAsking;
    }
    if (why !== undefined) {
      const what = why ?? `incident ${m.into} cannot take alerts (closed or unknown)`;
      undoMerge(incident, m, what);
      throw refusal(why === null ? REFUSAL.closed : REFUSAL.merge, what);
    }
  }
  const alerts = [...state.alerts];
  const notice: AbsorbedNotice = { from: state.incidentId, actor: m.actor, alerts: alerts.length };
  const firingKeys = firingNotHeld(state);
  const untracked = state.firingUntracked ?? 0;
  if ((firingKeys.length > 0 || untracked > 0) && patched(FIRING_KEYS_PATCH)) {
    Object.assign(notice, { firingKeys, firingUntracked: untracked });
  }
  try {
    const target = getExternalWorkflowHandle(m.into);
    if (alerts.length > 0) await target.signal(alertsSignal, alerts);
    await target.signal(absorbedSignal, notice);
  } catch (err) {
    undoMerge(incident, m, errorMessage(err));
    throw refusal(REFUSAL.closed, `incident ${m.into} cannot take alerts (closed or unknown)`);
  }
  const why = m.reason ? `: ${m.reason}` : '';
  note(
    incident,
    'merged-into',
    `${m.actor} merged this incident into ${m.into} via ${m.via}; its ${alerts.length} alerts were sent there${why}`,
    m.actor,
  );
  incident.resolvedBy = { actor: m.actor, via: m.via, reason: `merged into ${m.into}${why}` };
  if (patched(FORWARD_PATCH)) upsertMemo({ [MERGED_INTO_MEMO]: m.into });
  return { incidentId: state.incidentId, into: m.into, alertsSent: alerts.length, at: nowIso() };
}

/** A merge that cannot go through: the incident is not merging any more, and its timeline says why. */
function undoMerge(incident: Incident, m: MergeRequest, why: string): void {
  delete incident.state.mergedInto;
  note(incident, 'merge-failed', `${m.actor} could not merge this incident into ${m.into}: ${why}`, m.actor);
}

/**
 * Sends alerts that reached this incident after its merge on to the target, in order. They stay held
 * here too: if the target cannot take them (it closed meanwhile), they are not lost, and the note says so.
 * The workflow waits for these sends before it returns (see forwardsSent).
 */
export function forwardAfterMerge(incident: Incident, alerts: Alert[]): void {
  const into = incident.state.mergedInto;
  if (!into || alerts.length === 0 || !patched(FORWARD_PATCH)) return;
  // Still asking the target: these alerts are held, and go with the others if it agrees.
  if (incident.mergeAsking && patched(HOLD_WHILE_ASKING_PATCH)) return;
  const send = async (): Promise<void> => {
    try {
      await getExternalWorkflowHandle(into).signal(alertsSignal, alerts);
      note(
        incident,
        'alerts-forwarded',
        `${alerts.length} alerts that arrived after the merge were sent to ${into}`,
      );
    } catch (err) {
      note(
        incident,
        'forward-failed',
        `${alerts.length} alerts that arrived after the merge could not be sent to ${into} ` +
          `(${errorMessage(err)}): they are held here`,
      );
    }
  };
  incident.forwarding = (incident.forwarding ?? Promise.resolve()).then(send);
}

/**
 * Resolves once every forward started by forwardAfterMerge has been sent or noted as failed, those started
 * while it waits included: alerts that kept arriving as the merged run closed were forwarded by a signal
 * the run started in the task that completed it, and a closed run's signals are never delivered, so they
 * were lost (FORWARD_ALL_PATCH).
 */
export async function forwardsSent(incident: Incident): Promise<void> {
  let sent = incident.forwarding;
  await sent;
  while (incident.forwarding !== sent && patched(FORWARD_ALL_PATCH)) {
    sent = incident.forwarding;
    await sent;
  }
}

function absorbed(incident: Incident, a: AbsorbedNotice): void {
  const { state } = incident;
  const valid =
    a &&
    typeof a.from === 'string' &&
    INCIDENT_ID.test(a.from) &&
    typeof a.actor === 'string' &&
    a.actor.length <= 200;
  if (!valid || !patched(MERGE_PATCH)) return;
  state.absorbed = [...(state.absorbed ?? []).filter((id) => id !== a.from), a.from].slice(-ABSORBED_KEPT);
  const count = Number.isInteger(a.alerts) && a.alerts >= 0 ? a.alerts : 0;
  note(
    incident,
    'absorbed',
    `absorbed incident ${a.from} (merged by ${a.actor}); its ${count} alerts are held here now`,
    a.actor,
  );
  takeOverFiringOf(incident, a);
}

/** The absorbed incident's firing alerts it knew only by key (AbsorbedNotice.firingKeys), kept firing here. */
function takeOverFiringOf(incident: Incident, a: AbsorbedNotice): void {
  const keys = Array.isArray(a.firingKeys)
    ? a.firingKeys
        .slice(0, ALERT_BOUNDS.tracked)
        .filter((k): k is string => typeof k === 'string' && LEDGER_KEY.test(k))
    : [];
  const untracked =
    Number.isSafeInteger(a.firingUntracked) && (a.firingUntracked ?? 0) > 0 ? (a.firingUntracked ?? 0) : 0;
  if (keys.length === 0 && untracked === 0) return;
  // Runs that predate the ledger's count of forgotten firing alerts never receive these keys.
  const fresh = takeOverFiring(incident.state, keys, untracked, () => true);
  const forgotten = untracked > 0 ? ` and ${untracked} it had forgotten firing` : '';
  note(
    incident,
    'absorbed-firing',
    `${fresh} firing alerts of ${a.from} that it did not hold whole${forgotten} count here until they resolve`,
  );
}
