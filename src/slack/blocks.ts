import type { KnownBlock } from '@slack/types';
import type { IncidentState } from '../domain/incident.js';
import { slackEscape } from '../notify/formats.js';
import { APPROVE_ACTION, REJECT_ACTION } from './actions.js';

const SEVERITY_MARK: Record<string, string> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  warning: ':large_yellow_circle:',
  predicted: ':crystal_ball:',
};

const who = (actor: string): string =>
  actor.startsWith('slack:') ? `<@${actor.slice(6)}>` : slackEscape(actor);

/** One line on where the incident stands, for the message and its fallback text. */
export function statusLine(state: IncidentState): string {
  const decided = state.approvals.find((a) => a.decision === 'approved' || a.decision === 'rejected');
  if (state.stage === 'closed')
    return `Closed: ${state.outcome ?? 'unknown'}${state.verification ? ` (${state.verification.message})` : ''}`;
  if (state.stage === 'verify')
    return `Verifying the fix${decided ? `; ${decided.decision} by ${who(decided.actor)}` : ''}`;
  if (state.stage === 'remediate')
    return `Remediation running${decided ? `; ${decided.decision} by ${who(decided.actor)}` : ''}`;
  if (state.stage === 'approve' && decided) {
    return `${decided.decision === 'approved' ? 'Approved' : 'Rejected'} by ${who(decided.actor)}`;
  }
  if (state.stage === 'approve')
    return `Awaiting approval${state.escalationLevel > 0 ? ` (escalated to level ${state.escalationLevel})` : ''}`;
  return `Stage: ${state.stage}`;
}

/**
 * The incident's Slack message: what fired, the findings and forecast, the recommendation with its
 * explanation and risk, Approve / Reject while a decision is open, and a link to the workflow.
 */
export function incidentBlocks(state: IncidentState, workflowUrl: string): KnownBlock[] {
  const plan = state.recommendation;
  const mark = SEVERITY_MARK[state.severity] ?? ':white_circle:';
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `${state.title || state.alertName}`.slice(0, 150) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Severity*\n${mark} ${slackEscape(state.severity)}` },
        { type: 'mrkdwn', text: `*Service*\n${slackEscape(state.service)}` },
        { type: 'mrkdwn', text: `*Alert*\n${slackEscape(state.alertName)} (${state.alerts.length})` },
        { type: 'mrkdwn', text: `*Status*\n${statusLine(state)}` },
      ],
    },
  ];
  const findings = [
    state.detection ? `*Detection:* ${slackEscape(state.detection.message)}` : '',
    state.prediction ? `*Forecast:* ${slackEscape(state.prediction.message)}` : '',
  ].filter(Boolean);
  if (findings.length > 0)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: findings.join('\n') } });
  if (plan) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Recommended:* ${slackEscape(plan.title)} (${plan.risk} risk)\n${slackEscape(plan.explanation)}`,
      },
    });
  }
  const open =
    state.stage === 'approve' &&
    !state.approvals.some((a) => a.decision === 'approved' || a.decision === 'rejected');
  blocks.push({
    type: 'actions',
    block_id: 'decision',
    elements: [
      ...(open && plan
        ? [
            {
              type: 'button' as const,
              action_id: APPROVE_ACTION,
              style: 'primary' as const,
              text: { type: 'plain_text' as const, text: 'Approve' },
              value: state.incidentId,
            },
            {
              type: 'button' as const,
              action_id: REJECT_ACTION,
              style: 'danger' as const,
              text: { type: 'plain_text' as const, text: 'Reject' },
              value: state.incidentId,
            },
          ]
        : []),
      {
        type: 'button' as const,
        action_id: 'incident_open',
        text: { type: 'plain_text' as const, text: 'Open in Temporal' },
        url: workflowUrl,
      },
    ],
  });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Incident \`${state.incidentId}\` · opened ${state.openedAt}` }],
  });
  return blocks;
}
