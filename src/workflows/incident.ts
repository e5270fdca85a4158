import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentActivities } from '../activities/index.js';
import { actionTarget, describeAction, isReversible, previewAction } from '../actions/describe.js';
import type { ActionStep, TargetSnapshot } from '../actions/steps.js';
import type {
  ActionRecord,
  ApprovalRecord,
  Decision,
  IncidentInput,
  IncidentState,
  Outcome,
  Recommendation,
  Stage,
} from '../domain/incident.js';
import { absorbAlerts, alertNote, allResolved, firstFiring } from './alerts.js';
import {
  acknowledgeUpdate,
  alertsSignal,
  approveUpdate,
  decisionResult,
  REFUSAL,
  refusedDecisionSignal,
  rejectUpdate,
  resolveUpdate,
  stateQuery,
} from './messages.js';
import { currentDecision } from '../domain/incident-view.js';
import { incidentView } from '../slack/blocks.js';
import { keywordValue, SA } from './search-attributes.js';
import { incidentClosed, incidentOpened } from './records.js';
import { appendNote } from './timeline.js';

// Triage reads outside systems but changes nothing: short timeouts, a few quick retries.
const triage = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

// Records and notifications must get through, but never hold the incident up for long.
const records = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

// The Slack message follows the incident, but a Slack outage must never hold the incident up.
const announcements = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: ['NotificationNotConfigured'] },
});

// Remediation changes production: bounded attempts (the default is unlimited), heartbeats, and a
// cancellation that waits for the action to stop before the saga moves on.
const remediation = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '2s',
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['ContainerNotFound', 'InvalidAction'],
  },
});

const nowIso = (): string => new Date().toISOString();

function initialState(input: IncidentInput): IncidentState {
  return {
    incidentId: input.incidentId,
    correlationKey: input.correlationKey,
    title: '',
    service: '',
    alertName: '',
    severity: 'info',
    stage: 'collect',
    openedAt: nowIso(),
    alerts: [],
    duplicatesDropped: 0,
    approvals: [],
    escalationLevel: 0,
    actions: [],
    timeline: [
      {
        at: nowIso(),
        stage: 'collect',
        event: 'opened',
        message: `incident opened for ${input.correlationKey}`,
      },
    ],
    milestones: { opened: nowIso() },
  };
}

/**
 * One incident, from its first alert to a verified fix or a clear outcome. Every stage is recorded in
 * the state (query `state`) and in search attributes. A long, noisy incident continues as new at a
 * safe point, carrying its state, so its history stays small.
 */
export async function incidentWorkflow(input: IncidentInput): Promise<IncidentState> {
  const state: IncidentState = input.carried ?? initialState(input);

  const note = (event: string, message: string, actor?: string): void => {
    appendNote(state, { at: nowIso(), stage: state.stage, event, message, ...(actor ? { actor } : {}) });
  };
  const enter = (stage: Stage): void => {
    state.stage = stage;
    upsertSearchAttributes([{ key: SA.stage, value: stage }]);
  };
  const round = (): number => state.round ?? 0;
  const decision = (): ApprovalRecord | undefined => currentDecision(state);
  const historyTooLong = (): boolean =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= input.maxHistoryEvents;

  setHandler(alertsSignal, (alerts) => {
    const wasEmpty = state.alerts.length === 0;
    const severity = state.severity;
    for (const alert of absorbAlerts(state, alerts)) {
      const { event, message } = alertNote(alert);
      note(event, message);
    }
    if (wasEmpty && state.alerts.length > 0) describeIncident(state);
    else if (state.severity !== severity)
      upsertSearchAttributes([{ key: SA.severity, value: keywordValue(state.severity) }]);
  });
  setHandler(stateQuery, () => state);
  setHandler(refusedDecisionSignal, (r) => {
    note(
      'decision-refused',
      `${r.actor} tried to ${r.decision} via ${r.via} and was refused: ${r.why}`,
      r.actor,
    );
  });

  const decide = (kind: 'approved' | 'rejected') => (d: Decision) => {
    const at = nowIso();
    state.approvals.push({ ...d, decision: kind, at, ...(round() > 0 ? { round: round() } : {}) });
    if (kind === 'approved') state.milestones.approved = nowIso();
    note(kind, `${d.actor} ${kind} the remediation via ${d.via}${d.reason ? `: ${d.reason}` : ''}`, d.actor);
    return decisionResult(state, kind, d.actor, at);
  };
  const validateDecision = (d: Decision): void => {
    validateActor(d);
    if (state.stage === 'closed') throw refusal(REFUSAL.closed, 'the incident is closed');
    const prior = decision();
    if (prior) throw refusal(REFUSAL.alreadyDecided, `already ${prior.decision} by ${prior.actor}`);
    const plan = state.recommendation;
    if (state.stage !== 'approve' || !plan) {
      throw refusal(
        REFUSAL.wrongStage,
        `the incident is in stage ${state.stage}; approval opens once a runbook is recommended`,
      );
    }
    const why = approvalRefusal(plan, d);
    if (why) throw refusal(REFUSAL.notAuthorized, why);
  };
  setHandler(approveUpdate, decide('approved'), { validator: validateDecision });
  setHandler(rejectUpdate, decide('rejected'), { validator: validateDecision });

  setHandler(
    acknowledgeUpdate,
    (d) => {
      const at = nowIso();
      state.approvals.push({ ...d, decision: 'acknowledged', at });
      delete state.nextEscalationAt;
      note(
        'acknowledged',
        `${d.actor} acknowledged the incident; escalation stops${d.reason ? `: ${d.reason}` : ''}`,
        d.actor,
      );
      return decisionResult(state, 'acknowledged', d.actor, at);
    },
    {
      validator: (d: Decision) => {
        validateActor(d);
        if (state.stage === 'closed') throw refusal(REFUSAL.closed, 'the incident is closed');
        if (state.approvals.some((a) => a.decision === 'acknowledged' && a.actor === d.actor)) {
          throw refusal(REFUSAL.alreadyDecided, `${d.actor} already acknowledged this incident`);
        }
      },
    },
  );

  let resolvedBy: Decision | undefined;
  setHandler(
    resolveUpdate,
    (d) => {
      resolvedBy = d;
      note(
        'resolved-by-human',
        `${d.actor} resolved the incident via ${d.via}${d.reason ? `: ${d.reason}` : ''}`,
        d.actor,
      );
      return decisionResult(state, 'resolved', d.actor, nowIso());
    },
    {
      validator: (d: Decision) => {
        validateActor(d);
        if (state.stage === 'closed' || resolvedBy)
          throw refusal(REFUSAL.closed, 'the incident is already closed');
        if (state.stage === 'remediate' || state.stage === 'verify') {
          throw refusal(
            REFUSAL.wrongStage,
            `remediation is in progress (stage ${state.stage}); wait for its verification`,
          );
        }
      },
    },
  );

  const rollOver = async (): Promise<never> => {
    note(
      'continued-as-new',
      `history reached ${workflowInfo().historyLength} events; continuing as a new run`,
    );
    await condition(allHandlersFinished);
    return continueAsNew<typeof incidentWorkflow>({ ...input, carried: state });
  };
  const settled = (): boolean => resolvedBy !== undefined || allResolved(state);

  const tell = async (event: string): Promise<void> => {
    if (!state.announcement) return;
    try {
      await announcements.updateAnnouncement({
        view: incidentView(state),
        announcement: state.announcement,
        event,
      });
    } catch (err) {
      note('announcement-failed', `the Slack message could not be updated: ${errorMessage(err)}`);
    }
  };

  const close = async (outcome: Outcome, message: string): Promise<IncidentState> => {
    state.outcome = outcome;
    enter('closed');
    state.closedAt = nowIso();
    state.milestones.closed = state.closedAt;
    upsertSearchAttributes([{ key: SA.outcome, value: outcome }]);
    note('closed', message);
    await tell(message);
    await records.recordIncidentClosed(incidentClosed(state));
    await condition(allHandlersFinished);
    return state;
  };

  type Rollback = (why: string) => Promise<void>;
  type RemediationResult =
    | { kind: 'done'; rollback: Rollback }
    | { kind: 'failed'; message: string }
    | { kind: 'refused'; reason: string };

  // A saga: every change that can be undone is undone if anything after it fails.
  const remediate = async (plan: Recommendation): Promise<RemediationResult> => {
    const undo: { step: ActionStep; snapshot: TargetSnapshot; record: ActionRecord }[] = [];
    const rollback: Rollback = async (why) => {
      if (undo.length === 0) return;
      note('rolling-back', why);
      await CancellationScope.nonCancellable(async () => {
        for (const { step, snapshot, record } of undo.reverse()) {
          try {
            const effect = await remediation.compensateAction({ step, snapshot });
            Object.assign(record, { status: 'rolled-back', rollback: effect.summary });
            note('rolled-back', effect.summary);
            await tell(`Rolled back: ${effect.summary}`);
          } catch (err) {
            Object.assign(record, { status: 'rollback-failed', rollback: errorMessage(err) });
            note('rollback-failed', `could not undo "${describeAction(step)}": ${errorMessage(err)}`);
          }
        }
      });
    };
    // Plans made before guards existed run as they were approved (and replay as they ran).
    const guards = plan.guards && patched('remediation-guards') ? plan.guards : undefined;
    for (const [index, step] of plan.steps.entries()) {
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
      const stepKey = `${state.incidentId}/${round()}/${index}`;
      try {
        if (guards && target) {
          const grant = await records.reserveAction({
            target,
            action: step.action,
            incidentId: state.incidentId,
            stepKey,
            policy: guards,
          });
          if (!grant.granted) {
            Object.assign(record, { status: 'refused', finishedAt: nowIso(), error: grant.reason });
            note('guard-refused', `${record.description} was refused: ${grant.reason}`);
            await rollback('a guard refused an action; undoing the actions before it');
            return { kind: 'refused', reason: grant.reason };
          }
        }
        const snapshot = await remediation.snapshotTarget(step, stepKey);
        const effect = await remediation.applyAction({ step, snapshot });
        if (isReversible(step)) undo.push({ step, snapshot, record });
        Object.assign(record, { status: 'done', finishedAt: nowIso(), effect: effect.summary });
        note('action-done', effect.summary);
        await tell(effect.summary);
      } catch (err) {
        Object.assign(record, { status: 'failed', finishedAt: nowIso(), error: errorMessage(err) });
        note('action-failed', `${record.description} failed: ${errorMessage(err)}`);
        await rollback('an action failed; undoing the actions before it');
        return { kind: 'failed', message: `remediation failed at step ${index + 1}: ${errorMessage(err)}` };
      }
    }
    return { kind: 'done', rollback };
  };

  // 1. collect: a short debounce lets a burst of alerts land in one incident.
  if (!input.carried) {
    await condition(() => state.alerts.length > 0);
    // Alertmanager's group_wait already gathers a burst; with no debounce configured, the timer (whose
    // resolution on a server is about a second) is skipped.
    if (input.debounceMs > 0 || !patched('skip-zero-debounce')) await sleep(input.debounceMs);
    await records.recordIncidentOpened(incidentOpened(state));
    // Resolved while its alerts were still gathering: nothing to triage.
    if (settled() && patched('settled-before-triage')) {
      return resolvedBy
        ? close('resolved', `resolved by ${resolvedBy.actor} before triage`)
        : close('resolved', 'all alerts resolved before triage; nothing was run');
    }
  } else {
    upsertSearchAttributes([{ key: SA.stage, value: state.stage }]);
  }

  // 2. detect
  if (!state.detection) {
    enter('detect');
    const alert = firstFiring(state);
    state.detection = await triage.detectAnomaly({ alert: alert ?? null });
    note('detected', state.detection.message);
  }

  // 3. predict
  if (!state.prediction) {
    enter('predict');
    state.prediction = await triage.forecastTrend({ detection: state.detection });
    note('predicted', state.prediction.message);
  }

  // 4. recommend
  if (state.recommendation === undefined) {
    enter('recommend');
    const alert = firstFiring(state);
    const result = await triage.recommendRunbook({
      alertName: state.alertName,
      service: state.service,
      labels: alert?.labels ?? {},
      findings: {
        ...(state.prediction?.forecast ? { trend: state.prediction.forecast.trend } : {}),
        ...(state.detection?.finding ? { anomalyScore: state.detection.finding.score } : {}),
      },
    });
    state.recommendation = result.recommendation;
    state.milestones.recommended = nowIso();
    note(result.refused ? 'plan-refused' : 'recommended', result.message);
    if (result.recommendation)
      upsertSearchAttributes([{ key: SA.runbook, value: result.recommendation.runbookId }]);
  }

  const plan = state.recommendation;
  if (!plan) {
    // Nothing to run: the incident stays open for people until its alerts resolve or someone resolves it.
    while (!settled()) {
      await condition(() => settled() || historyTooLong());
      if (!settled() && historyTooLong()) await rollOver();
    }
    return resolvedBy
      ? close('resolved', `resolved by ${resolvedBy.actor}`)
      : close('no-runbook', 'all alerts resolved; no runbook applied');
  }

  // What undoes the remediation that ran, should its verification fail.
  let undoRemediation: Rollback | undefined;
  // 5. approve, escalating while nobody answers; 6. remediate. A guard that refuses an action hands
  // the incident back to people, so the two stages repeat until a remediation runs or someone decides.
  for (;;) {
    if (!decision()) {
      if (state.stage !== 'approve') {
        enter('approve');
        // Someone who acknowledged early owns the incident: no escalation clock for them.
        if (!state.approvals.some((a) => a.decision === 'acknowledged')) {
          // After a refusal the chain starts at once: people must hear that the automation stopped.
          const wait = round() > 0 && plan.escalation.levels.length > 0 ? 0 : plan.escalation.timeoutMs;
          state.nextEscalationAt = new Date(Date.now() + wait).toISOString();
        }
        note(
          'awaiting-approval',
          round() > 0
            ? `waiting for a person to approve "${plan.title}" again or resolve the incident, after a guard refused an action`
            : `waiting for approval of "${plan.title}" (${plan.risk} risk)`,
        );
        const channel = plan.slack?.channel ?? input.announce?.channel;
        // Workflow code from before runbooks named channels posted nothing without SLACK_CHANNEL, even
        // when a newer worker's plan named one: the patch keeps such histories replaying as they ran.
        if (channel && !state.announcement && (input.announce || patched('runbook-slack-channel'))) {
          try {
            state.announcement = await announcements.announceIncident({ view: incidentView(state), channel });
          } catch (err) {
            note('announcement-failed', `the Slack message could not be posted: ${errorMessage(err)}`);
          }
        }
      }
      // A plan that approves itself at once (low risk, auto-approval configured) skips the timer, whose
      // resolution on a server is about a second: that second would be most of the time to act.
      const immediate =
        round() === 0 &&
        plan.risk === 'low' &&
        plan.escalation.timeoutMs === 0 &&
        plan.escalation.levels.length === 0 &&
        plan.escalation.finalPolicy === 'auto-approve';
      if (immediate && !decision() && !settled() && patched('immediate-auto-approve')) {
        decide('approved')({
          actor: 'policy:auto-approve',
          via: 'policy',
          reason: 'low-risk runbook; auto-approval is configured',
        });
      }
      for (;;) {
        const planned = state.nextEscalationAt;
        const deadline = planned ? Date.parse(planned) - Date.now() : undefined;
        // An acknowledgement changes the plan (no more escalation), so it wakes the wait too.
        const ready = (): boolean =>
          decision() !== undefined || settled() || historyTooLong() || state.nextEscalationAt !== planned;
        const answered =
          deadline === undefined
            ? (await condition(ready), true)
            : await condition(ready, Math.max(deadline, 1));
        if (decision() || settled()) break;
        if (answered && historyTooLong()) await rollOver();
        if (answered) continue;
        const level = plan.escalation.levels[state.escalationLevel];
        if (level) {
          state.escalationLevel++;
          state.nextEscalationAt = new Date(Date.now() + level.waitMs).toISOString();
          note('escalated', `no decision yet: escalated to level ${state.escalationLevel}`);
          await tell(`No decision yet: escalated to level ${state.escalationLevel}.`);
          try {
            await records.notifyEscalation({
              incidentId: state.incidentId,
              level: state.escalationLevel,
              targets: level.notify,
              title: state.title,
              service: state.service,
              severity: state.severity,
              recommendation: state.guardRefusal
                ? `A guard stopped the remediation: ${state.guardRefusal}. ${plan.explanation}`
                : plan.explanation,
            });
          } catch (err) {
            // A channel that cannot be reached must not end the incident: the chain goes on to its next level.
            note(
              'escalation-failed',
              `level ${state.escalationLevel} could not be notified: ${errorMessage(err)}`,
            );
          }
          continue;
        }
        // A refusal by a guard is never approved by policy: only a person may retry past a guard.
        if (plan.escalation.finalPolicy === 'auto-approve' && plan.risk === 'low' && round() === 0) {
          decide('approved')({
            actor: 'policy:auto-approve',
            via: 'policy',
            reason: 'nobody answered; low-risk runbook',
          });
          break;
        }
        return close(
          'aborted',
          round() > 0
            ? 'nobody took over after a guard refused an action; the final policy is to abort'
            : 'nobody approved in time; the final policy is to abort',
        );
      }
      if (resolvedBy) return close('resolved', `resolved by ${resolvedBy.actor} before remediation`);
      if (!decision() && allResolved(state))
        return close('resolved', 'all alerts resolved before remediation; nothing was run');
    }
    const verdict = decision();
    if (verdict)
      await tell(state.timeline.find((t) => t.event === verdict.decision)?.message ?? verdict.decision);
    if (verdict?.decision === 'rejected')
      return close('rejected', `remediation rejected by ${verdict.actor}`);

    enter('remediate');
    if (plan.dryRun) {
      plan.steps.forEach((step, index) => {
        state.actions.push({
          index,
          action: step.action,
          description: describeAction(step),
          preview: previewAction(step),
          status: 'dry-run',
          startedAt: nowIso(),
        });
      });
      return close('dry-run', `dry run: ${plan.steps.length} action(s) previewed, nothing was changed`);
    }
    const result = await remediate(plan);
    if (result.kind === 'failed') return close('failed', result.message);
    if (result.kind === 'done') {
      undoRemediation = result.rollback;
      break;
    }
    state.round = round() + 1;
    state.guardRefusal = result.reason;
    state.escalationLevel = 0;
    note(
      'handed-to-people',
      `a guard refused an action, so the incident waits for a person: ${result.reason}`,
    );
    await tell(`A guard refused an action: ${result.reason}. Approve again to retry, or resolve.`);
  }
  state.milestones.actionsDone = nowIso();

  // 7. verify
  enter('verify');
  const verified = await verify(plan, state);
  state.verification = {
    status: verified.holds ? 'passed' : 'failed',
    message: verified.message,
    at: nowIso(),
  };
  note(verified.holds ? 'verified' : 'verification-failed', verified.message);
  await tell(`${verified.holds ? 'Verified' : 'Verification failed'}: ${verified.message}`);
  if (!verified.holds) {
    await undoRemediation?.('verification failed');
    return close('failed', `verification failed: ${verified.message}`);
  }
  state.milestones.verified = nowIso();
  return close('verified', `remediation verified: ${verified.message}`);
}

async function verify(
  plan: Recommendation,
  state: IncidentState,
): Promise<{ holds: boolean; message: string }> {
  const { promql, withinMs, intervalMs } = plan.verification;
  const deadline = Date.now() + withinMs;
  if (!promql) {
    const ok = await condition(() => allResolved(state), withinMs);
    return ok
      ? { holds: true, message: 'all alerts resolved' }
      : { holds: false, message: `alerts still firing after ${Math.round(withinMs / 1000)}s` };
  }
  let last = 'not checked';
  while (Date.now() < deadline) {
    const prometheusUrl = state.detection?.prometheusUrl;
    const check = await triage.checkCondition({ promql, ...(prometheusUrl ? { prometheusUrl } : {}) });
    if (check.holds) return { holds: true, message: check.message };
    last = check.message;
    await sleep(Math.min(intervalMs, Math.max(deadline - Date.now(), 1)));
  }
  return { holds: false, message: `${promql} did not hold within ${Math.round(withinMs / 1000)}s (${last})` };
}

function describeIncident(state: IncidentState): void {
  const alert = state.alerts[0];
  if (!alert) return;
  state.alertName = alert.alertName;
  state.service = alert.labels['service'] ?? alert.labels['job'] ?? alert.labels['container'] ?? 'unknown';
  state.title = alert.annotations['summary'] ?? `${alert.alertName} on ${state.service}`;
  state.milestones.alertFiring ??= alert.startsAt;
  // RFC 3339, or Unix seconds as a Prometheus rule's template can print them.
  const fault = alert.annotations['fault_started_at'] ?? '';
  const faultMs = /^\d+(\.\d+)?$/.test(fault) ? Number(fault) * 1000 : Date.parse(fault);
  if (Number.isFinite(faultMs) && faultMs > 0) state.milestones.fault ??= new Date(faultMs).toISOString();
  // Alert text: cut to the server's limit, which would otherwise terminate the workflow.
  upsertSearchAttributes([
    { key: SA.service, value: keywordValue(state.service) },
    { key: SA.alertName, value: keywordValue(state.alertName) },
    { key: SA.severity, value: keywordValue(state.severity) },
  ]);
}

/**
 * Who may decide on a plan. Approval fails closed: a medium or high-risk plan with nobody named may be
 * decided by nobody, since "anyone who can see the message" includes guests and bots. A low-risk plan
 * without approvers may be decided by anyone with the approve role, as before.
 */
function approvalRefusal(plan: Recommendation, d: Decision): string | undefined {
  if (plan.approvers.length === 0) {
    return plan.risk === 'low'
      ? undefined
      : `runbook ${plan.runbookId} is ${plan.risk} risk and names no approvers, so nobody may decide on it; set approvers in the runbook or STEADFAST_APPROVERS`;
  }
  const allowed = [d.actor, ...(d.groups ?? [])].some((who) => plan.approvers.includes(who));
  return allowed ? undefined : `${d.actor} is not an approver for runbook ${plan.runbookId}`;
}

/** Decisions also arrive raw from the Temporal CLI, so their shape is checked here too. */
function validateActor(d: Decision): void {
  const text = (v: unknown, max: number): boolean => typeof v === 'string' && v.length > 0 && v.length <= max;
  if (!d || !text(d.actor, 200)) throw refusal(REFUSAL.invalid, 'a decision needs the actor who made it');
  if (!text(d.via, 50)) throw refusal(REFUSAL.invalid, 'a decision needs the channel it came through (via)');
  if (d.reason !== undefined && (typeof d.reason !== 'string' || d.reason.length > 2000)) {
    throw refusal(REFUSAL.invalid, 'a reason is text of at most 2000 characters');
  }
  if (d.groups !== undefined && !(Array.isArray(d.groups) && d.groups.every((g) => text(g, 200)))) {
    throw refusal(REFUSAL.invalid, 'groups is a list of group names');
  }
}

function refusal(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** An activity's failure wraps the error it threw; the SRE wants the inner message. */
function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? err.cause.message : err.message;
}
