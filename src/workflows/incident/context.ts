import { patched, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Decision, IncidentInput, IncidentState, Stage } from '../../domain/incident.js';
import { currentDecision, webUiCurrentDetails } from '../../domain/incident-view.js';
import { incidentView, type IncidentView } from '../../slack/blocks.js';
import { allResolved } from '../alerts.js';
import { REFUSAL, type MergeAnswer } from '../messages.js';
import { refusal } from '../refusal.js';
import { SA } from '../search-attributes.js';
import { appendNote, NOISY_SINCE_PATCH, TIMELINE_CAPS_PATCH } from '../timeline.js';
import { slackAnnouncements } from './activities.js';

/**
 * One run of the incident workflow: its input, the state it carries (and answers queries with), and
 * who resolved it by hand. Every part of the workflow receives it and changes the state through it.
 */
export interface Incident {
  readonly input: IncidentInput;
  readonly state: IncidentState;
  /** Set by the `resolve` update; the incident closes at its next safe point. */
  resolvedBy: Decision | undefined;
  /** Alerts on their way to the incident this one was merged into; the workflow waits for them. */
  forwarding?: Promise<void>;
  /**
   * Set while a merge asks its target: alerts that arrive meanwhile are held, and sent with the others if
   * the target agrees; later ones are forwarded (src/workflows/incident/merge.ts).
   */
  mergeAsking?: boolean;
  /** The answer of the incident this one asked to merge into (src/workflows/incident/merge.ts). */
  mergeAnswer?: MergeAnswer;
  /** The alerts firing when the run decided to close (see openAgain in lifecycle.ts). */
  firingAtClose?: ReadonlySet<string>;
  /** This run reads the change calendar again while a plan waits (see calendarReadDue). */
  rereadsCalendar?: boolean;
  /** When (the workflow's clock) this run last had the calendar's answer (see nextRead in calendar.ts). */
  calendarReadAt?: number;
}

export const nowIso = (): string => new Date().toISOString();

export function openIncident(input: IncidentInput): Incident {
  return { input, state: input.carried ?? initialState(input), resolvedBy: undefined };
}

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

/** Adds an entry to the timeline, in the current stage. */
export function note({ state }: Incident, event: string, message: string, actor?: string): void {
  // Asked only for the kinds it bounds, so other runs' histories carry no marker.
  const capsMore = Object.hasOwn(NOISY_SINCE_PATCH, event) && patched(TIMELINE_CAPS_PATCH);
  appendNote(
    state,
    { at: nowIso(), stage: state.stage, event, message, ...(actor ? { actor } : {}) },
    capsMore,
  );
  showDetails(state);
}

/**
 * Malformed signal payloads (src/workflows/signal-checks.ts) are dropped, with a note, since this patch.
 * Asked only for a malformed one, so the histories of well-formed signals carry no marker; a run recorded
 * before it took what it was sent, or failed its task on it, as it did then.
 */
export const SIGNAL_CHECK_PATCH = 'malformed-signals-dropped';

/** Whether to drop a signal that `why` calls malformed; the timeline says so, never quoting the payload. */
export function dropsMalformed(incident: Incident, message: string, why: string | undefined): boolean {
  if (why === undefined || !patched(SIGNAL_CHECK_PATCH)) return false;
  note(incident, 'signal-dropped', `${message}: ${why}`);
  return true;
}

export function enter({ state }: Incident, stage: Stage): void {
  state.stage = stage;
  upsertSearchAttributes([{ key: SA.stage, value: stage }]);
  showDetails(state);
}

/**
 * Where the incident stands, as the Temporal Web UI shows a workflow's current details. Workflow
 * metadata, not a command: the history does not change, and a replay sets the same text.
 */
export function showDetails(state: IncidentState): void {
  setCurrentDetails(webUiCurrentDetails(state, Date.now()));
}

/** The approval round: a guard that refuses an action starts the next one. */
export const round = ({ state }: Incident): number => state.round ?? 0;

/** Whether the incident ended without the workflow: resolved by a person or by its alerts. */
export const settled = (incident: Incident): boolean =>
  incident.resolvedBy !== undefined || allResolved(incident.state);

export const historyTooLong = ({ input }: Incident): boolean =>
  workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= input.maxHistoryEvents;

/** The Slack message's view names the approval round, which its buttons send back (Decision.round). */
export const ROUND_VIEW_PATCH = 'view-names-round';

/** What the incident's Slack message shows (incidentView), with the round its buttons decide on. */
export function messageView(incident: Incident): IncidentView {
  const view = incidentView(incident.state);
  return patched(ROUND_VIEW_PATCH) ? { ...view, round: round(incident) } : view;
}

/** Updates the incident's Slack message, if it has one; a failure is noted and never stops the incident. */
export async function tell(incident: Incident, event: string): Promise<void> {
  const { state } = incident;
  if (!state.announcement) return;
  try {
    await slackAnnouncements().updateAnnouncement({
      view: messageView(incident),
      announcement: state.announcement,
      event,
    });
  } catch (err) {
    note(incident, 'announcement-failed', `the Slack message could not be updated: ${errorMessage(err)}`);
  }
}

/** An activity's failure wraps the error it threw; the SRE wants the inner message. */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? err.cause.message : err.message;
}

/**
 * A resolution or a merge once remediation is under way: its stages, and the moment between an approval
 * and the first step (the approval is told in Slack first). Accepted then, it was recorded and the
 * approved fix ran anyway; a merge even sent the alerts to another incident that could fix them again.
 */
export function refuseDuringRemediation(state: IncidentState): void {
  const decided = state.stage === 'approve' ? currentDecision(state) : undefined;
  const approved = decided?.decision === 'approved' ? decided : undefined;
  if (state.stage === 'remediate' || state.stage === 'verify' || approved) {
    throw refusal(
      REFUSAL.wrongStage,
      approved
        ? `${approved.actor} approved the remediation, which is starting; wait for its verification`
        : `remediation is in progress (stage ${state.stage}); wait for its verification`,
    );
  }
}
