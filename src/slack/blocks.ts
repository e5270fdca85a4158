import type { KnownBlock } from '@slack/types';
import { cutText } from '../domain/utf8.js';
import { verdictBlocks } from './verdict-blocks.js';
import type { IncidentState, Outcome, Stage } from '../domain/incident.js';
import { currentDecision, withoutPlan } from '../domain/incident-view.js';
import { blockAt, describeBlock } from '../domain/outlook.js';
import { clipEscaped, slackActor, slackMrkdwn, slackPlain, slackVerbatim } from '../notify/escape.js';
import { APPROVE_ACTION, APPROVE_OVERRIDE_ACTION, decisionValue, REJECT_ACTION } from './actions.js';

/**
 * What the incident's Slack message shows, and no more: the announce activities take this instead of
 * the whole state, so their input stays small however many alerts the incident holds. Pure, so the
 * workflow can build it. Texts are as the state holds them (cut to what Slack shows); they are escaped
 * when the blocks are made.
 */
export interface IncidentView {
  incidentId: string;
  title: string;
  alertName: string;
  service: string;
  severity: string;
  stage: Stage;
  openedAt: string;
  alertCount: number;
  escalationLevel: number;
  outcome?: Outcome;
  verification?: string;
  detection?: string;
  prediction?: string;
  recommendation?: { title: string; risk: string; explanation: string };
  /** The decision of the current approval round, if one was made. */
  decision?: { decision: 'approved' | 'rejected'; actor: string };
  /** Triage found no plan to run: why (the recommend stage's words), and whether a runbook matched but was refused. */
  unmatched?: { reason: string; refused: boolean; acknowledgedBy?: string };
  /** While a decision is open, the change calendar's block in force: approving needs an override. */
  freeze?: string;
  /** The approval round the plan belongs to, which the buttons send back (absent in older messages). */
  round?: number;
}

const cut = (text: string, max: number): string => (text.length <= max ? text : text.slice(0, max));

/** The view at `nowMs` (the workflow's clock in a workflow), which says whether the calendar blocks. */
export function incidentView(state: IncidentState, nowMs: number = Date.now()): IncidentView {
  const plan = state.recommendation;
  const decision = currentDecision(state);
  const block = state.stage === 'approve' && !decision ? blockAt(state.calendar, nowMs) : undefined;
  return {
    incidentId: state.incidentId,
    title: cut(state.title, 500),
    alertName: cut(state.alertName, 200),
    service: cut(state.service, 200),
    severity: cut(state.severity, 50),
    stage: state.stage,
    openedAt: state.openedAt,
    alertCount: state.alerts.length,
    escalationLevel: state.escalationLevel,
    ...(state.outcome ? { outcome: state.outcome } : {}),
    ...(state.verification ? { verification: cut(state.verification.message, 1000) } : {}),
    ...(state.detection ? { detection: cut(state.detection.message, 1000) } : {}),
    ...(state.prediction ? { prediction: cut(state.prediction.message, 1000) } : {}),
    ...(plan
      ? {
          recommendation: {
            title: cut(plan.title, 200),
            risk: plan.risk,
            explanation: cut(plan.explanation, 2000),
          },
        }
      : {}),
    ...(decision ? { decision: { decision: decision.decision, actor: cut(decision.actor, 200) } } : {}),
    ...(plan === null ? { unmatched: unmatchedOf(state) } : {}),
    ...(block ? { freeze: cut(describeBlock(block), 500) } : {}),
  };
}

/** Why no plan runs (withoutPlan), and who owns the incident meanwhile. */
function unmatchedOf(state: IncidentState): NonNullable<IncidentView['unmatched']> {
  const why = withoutPlan(state) ?? { reason: 'no runbook matches', refused: false };
  const owner = state.approvals.find((a) => a.decision === 'acknowledged')?.actor;
  return {
    reason: cut(why.reason, 1000),
    refused: why.refused,
    ...(owner ? { acknowledgedBy: cut(owner, 200) } : {}),
  };
}

/** Approve (or, during a freeze, Approve with override, which asks for a reason) and Reject. */
function decisionButtons(view: IncidentView) {
  return [
    {
      type: 'button' as const,
      action_id: view.freeze ? APPROVE_OVERRIDE_ACTION : APPROVE_ACTION,
      style: 'primary' as const,
      text: { type: 'plain_text' as const, text: view.freeze ? 'Approve with override' : 'Approve' },
      value: decisionValue(view.incidentId, view.round, view.openedAt),
    },
    {
      type: 'button' as const,
      action_id: REJECT_ACTION,
      style: 'danger' as const,
      text: { type: 'plain_text' as const, text: 'Reject' },
      value: decisionValue(view.incidentId, view.round, view.openedAt),
    },
  ];
}

const SEVERITY_MARK: Record<string, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  warning: ':large_yellow_circle:',
  predicted: ':crystal_ball:',
};

/** One line on where the incident stands, in Slack mrkdwn (escaped), for the message and its fallback text. */
export function statusLine(view: IncidentView): string {
  const decided = view.decision;
  const by = decided ? `${decided.decision} by ${slackActor(decided.actor)}` : '';
  if (view.stage === 'closed')
    return `Closed: ${view.outcome ?? 'unknown'}${view.verification ? ` (${slackMrkdwn(view.verification)})` : ''}`;
  if (view.stage === 'verify') return `Verifying the fix${decided ? `; ${by}` : ''}`;
  if (view.stage === 'remediate') return `Remediation running${decided ? `; ${by}` : ''}`;
  if (view.stage === 'approve' && decided) {
    return `${decided.decision === 'approved' ? 'Approved' : 'Rejected'} by ${slackActor(decided.actor)}`;
  }
  if (view.stage === 'approve') {
    const escalated = view.escalationLevel > 0 ? ` (escalated to level ${view.escalationLevel})` : '';
    return `Awaiting approval${escalated}${view.freeze ? '; a change freeze is on: approve with an override' : ''}`;
  }
  const unmatched = view.unmatched;
  if (unmatched) {
    const what = unmatched.refused ? 'No runbook will run' : 'No runbook matched';
    const owner = unmatched.acknowledgedBy;
    return owner
      ? `${what}: acknowledged by ${slackActor(owner)}`
      : `${what}: waiting for people or for the alerts to resolve`;
  }
  return `Stage: ${view.stage}`;
}

/** The message's notification and fallback text (Slack shows the blocks; this is what notifies). */
export function fallbackText(view: IncidentView): string {
  return clipEscaped(`${slackMrkdwn(view.title || view.alertName)}: ${statusLine(view)}`, 3000);
}

/**
 * The incident's Slack message: what fired, the findings and forecast, the recommendation with its
 * explanation and risk, Approve / Reject while a decision is open, and a link to the workflow. Alert
 * text is plain_text (the header) or escaped mrkdwn with `verbatim: true`: no mention, no link.
 */
export function incidentBlocks(view: IncidentView, workflowUrl: string): KnownBlock[] {
  const plan = view.recommendation;
  // Own keys only: a severity of `constructor` is an unknown word, not Object's.
  const mark =
    (Object.hasOwn(SEVERITY_MARK, view.severity) && SEVERITY_MARK[view.severity]) || ':white_circle:';
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: cutText(slackPlain(view.title || view.alertName), 150) || ' ' },
    },
    {
      type: 'section',
      fields: [
        slackVerbatim(clipEscaped(`*Severity*\n${mark} ${slackMrkdwn(view.severity)}`, 2000)),
        slackVerbatim(clipEscaped(`*Service*\n${slackMrkdwn(view.service)}`, 2000)),
        slackVerbatim(clipEscaped(`*Alert*\n${slackMrkdwn(view.alertName)} (${view.alertCount})`, 2000)),
        slackVerbatim(clipEscaped(`*Status*\n${statusLine(view)}`, 2000)),
      ],
    },
  ];
  const findings = [
    view.detection ? `*Detection:* ${slackMrkdwn(view.detection)}` : '',
    view.prediction ? `*Forecast:* ${slackMrkdwn(view.prediction)}` : '',
  ].filter(Boolean);
  if (findings.length > 0)
    blocks.push({ type: 'section', text: slackVerbatim(clipEscaped(findings.join('\n'), 3000)) });
  if (plan) {
    blocks.push({
      type: 'section',
      text: slackVerbatim(
        clipEscaped(
          `*Recommended:* ${slackMrkdwn(plan.title)} (${slackMrkdwn(plan.risk)} risk)\n${slackMrkdwn(plan.explanation)}`,
          3000,
        ),
      ),
    });
  }
  const unmatched = view.unmatched;
  if (unmatched) {
    const label = unmatched.refused ? 'No runbook will run' : 'No runbook matched';
    blocks.push({
      type: 'section',
      text: slackVerbatim(clipEscaped(`*${label}:* ${slackMrkdwn(unmatched.reason)}`, 3000)),
    });
  }
  if (view.freeze && view.stage === 'approve' && !view.decision) {
    blocks.push({
      type: 'section',
      text: slackVerbatim(
        clipEscaped(
          `*Change calendar:* ${slackMrkdwn(view.freeze)}. Approving needs an override with a reason.`,
          3000,
        ),
      ),
    });
  }
  const open = view.stage === 'approve' && !view.decision;
  blocks.push({
    type: 'actions',
    block_id: 'decision',
    elements: [
      ...(open && plan ? decisionButtons(view) : []),
      {
        type: 'button' as const,
        action_id: 'incident_open',
        text: { type: 'plain_text' as const, text: 'Open in Temporal' },
        url: workflowUrl,
      },
    ],
  });
  // Once it is over, the people who saw it say whether it was real (src/slack/verdicts.ts).
  if (view.stage === 'closed') blocks.push(...verdictBlocks(view.incidentId));
  blocks.push({
    type: 'context',
    elements: [
      slackVerbatim(`Incident \`${slackMrkdwn(view.incidentId)}\` · opened ${slackMrkdwn(view.openedAt)}`),
    ],
  });
  return blocks;
}
