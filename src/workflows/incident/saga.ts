import { CancellationScope, patched, proxyActivities } from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import { actionTarget, describeAction, isReversible, previewAction } from '../../actions/registry.js';
import type { ActionStep, TargetSnapshot } from '../../actions/steps.js';
import type { ActionRecord, GuardPolicy, IncidentState, Recommendation } from '../../domain/incident.js';
import { RECORDS, REMEDIATION } from './activities.js';
import { errorMessage, note, nowIso, round, tell, type Incident } from './context.js';
import { close } from './lifecycle.js';

const remediation =
  proxyActivities<Pick<IncidentActivities, 'snapshotTarget' | 'applyAction' | 'compensateAction'>>(
    REMEDIATION,
  );
const records = proxyActivities<Pick<IncidentActivities, 'reserveAction'>>(RECORDS);

/** A step that failed after its snapshot is undone too (runs from before it replay as they ran). */
export const UNDO_FAILED_STEP_PATCH = 'undo-failed-step';

/**
 * Patch: a step's key names the incident's opening (when it opened), not only its ID and round. An
 * incident that opens again keeps its ID and starts at round 0, so its first step had the key of the
 * first opening's: the guard handed back that opening's reservation (past a pause, a cooldown and the
 * actions-an-hour limit), and an http.call sent the same Idempotency-Key, which a service that honours
 * it answers from its cache without acting again.
 */
export const STEP_KEY_PATCH = 'step-key-per-opening';

/** What names a step across retries and continues-as-new, and nothing else: its opening, round and index. */
function stepKeyOf(state: IncidentState, round: number, index: number): string {
  const opening = patched(STEP_KEY_PATCH) ? `@${state.openedAt}` : '';
  return `${state.incidentId}${opening}/${round}/${index}`;
}

/** Undoes every reversible action that ran, newest first; `why` goes to the timeline. */
export type Rollback = (why: string) => Promise<void>;

export type RemediationResult =
  | { kind: 'done'; rollback: Rollback }
  | { kind: 'failed'; message: string }
  | { kind: 'refused'; reason: string };

type Undo = { step: ActionStep; snapshot: TargetSnapshot; record: ActionRecord }[];

/**
 * 6. remediate, as a saga: every change that can be undone is undone if anything after it fails. No step
 * touches its target before `ready` (the silence) has settled; a reservation may be asked meanwhile.
 */
export async function remediate(
  incident: Incident,
  plan: Recommendation,
  ready: Promise<void> = Promise.resolve(),
): Promise<RemediationResult> {
  const undo: Undo = [];
  const rollback: Rollback = (why) => undoActions(incident, undo, why);
  for (const [index, step] of plan.steps.entries()) {
    const stopped = await runStep(incident, { step, index, guards: plan.guards, undo, rollback, ready });
    if (stopped) return stopped;
  }
  return { kind: 'done', rollback };
}

interface StepRun {
  step: ActionStep;
  index: number;
  guards: GuardPolicy;
  undo: Undo;
  rollback: Rollback;
  ready: Promise<void>;
}

/** Runs one step under its guard; answers only when the step stopped the saga (and rolled it back). */
async function runStep(incident: Incident, run: StepRun): Promise<RemediationResult | undefined> {
  const { state } = incident;
  const { step, index, guards, undo, rollback, ready } = run;
  const target = actionTarget(step);
  const record: ActionRecord = {
    index,
    action: step.action,
    description: describeAction(step),
    status: 'running',
    startedAt: nowIso(),
    preview: previewAction(step),
    ...(target ? { target } : {}),
  };
  state.actions.push(record);
  state.milestones.firstAction ??= record.startedAt;
  const stepKey = stepKeyOf(state, round(incident), index);
  let snapshot: TargetSnapshot | undefined;
  try {
    if (target) {
      const grant = await records.reserveAction({
        target,
        action: step.action,
        incidentId: state.incidentId,
        stepKey,
        policy: guards,
      });
      if (!grant.granted) {
        Object.assign(record, { status: 'refused', finishedAt: nowIso(), error: grant.reason });
        note(incident, 'guard-refused', `${record.description} was refused: ${grant.reason}`);
        await rollback('a guard refused an action; undoing the actions before it');
        return { kind: 'refused', reason: grant.reason };
      }
    }
    await ready;
    snapshot = await remediation.snapshotTarget(step, stepKey);
    const effect = await remediation.applyAction({ step, snapshot });
    if (isReversible(step)) undo.push({ step, snapshot, record });
    Object.assign(record, { status: 'done', finishedAt: nowIso(), effect: effect.summary });
    note(incident, 'action-done', effect.summary);
    await tell(incident, effect.summary);
  } catch (err) {
    Object.assign(record, { status: 'failed', finishedAt: nowIso(), error: errorMessage(err) });
    note(incident, 'action-failed', `${record.description} failed: ${errorMessage(err)}`);
    // Past its snapshot a step may have acted though no answer came back (the engine went away mid-call,
    // or a scale-up made one copy of two): it is undone with the steps before it. A compensation restores
    // the snapshot from the target as it is now, so undoing a change that never landed changes nothing.
    const partly = snapshot !== undefined && isReversible(step) && patched(UNDO_FAILED_STEP_PATCH);
    if (partly && snapshot) undo.push({ step, snapshot, record });
    await rollback(
      partly
        ? 'an action failed; undoing whatever it did and the actions before it'
        : 'an action failed; undoing the actions before it',
    );
    return { kind: 'failed', message: `remediation failed at step ${index + 1}: ${errorMessage(err)}` };
  }
  return undefined;
}

/** Compensates, newest first and beyond cancellation, each reversible action that ran. */
async function undoActions(incident: Incident, undo: Undo, why: string): Promise<void> {
  if (undo.length === 0) return;
  note(incident, 'rolling-back', why);
  await CancellationScope.nonCancellable(async () => {
    for (const { step, snapshot, record } of undo.reverse()) {
      try {
        const effect = await remediation.compensateAction({ step, snapshot });
        Object.assign(record, { status: 'rolled-back', rollback: effect.summary });
        note(incident, 'rolled-back', effect.summary);
        await tell(incident, `Rolled back: ${effect.summary}`);
      } catch (err) {
        Object.assign(record, { status: 'rollback-failed', rollback: errorMessage(err) });
        note(incident, 'rollback-failed', `could not undo "${describeAction(step)}": ${errorMessage(err)}`);
      }
    }
  });
}

/** A dry run records what each step would do, changes nothing, and closes the incident. */
export function dryRun(incident: Incident, plan: Recommendation): Promise<IncidentState> {
  plan.steps.forEach((step, index) => {
    incident.state.actions.push({
      index,
      action: step.action,
      description: describeAction(step),
      preview: previewAction(step),
      status: 'dry-run',
      startedAt: nowIso(),
    });
  });
  return close(incident, 'dry-run', `dry run: ${plan.steps.length} action(s) previewed, nothing was changed`);
}
