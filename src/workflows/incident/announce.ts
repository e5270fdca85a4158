import { proxyActivities } from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import type { WebhookAnnouncement } from '../../activities/announce-webhooks.js';
import type { IncidentState } from '../../domain/incident.js';
import { incidentView } from '../../slack/blocks.js';
import { ANNOUNCEMENTS, slackAnnouncements } from './activities.js';
import { errorMessage, messageView, note, type Incident } from './context.js';

/**
 * Patch: every incident is announced once triage is done, with or without a runbook: its Slack
 * message (SLACK_CHANNEL) says when no runbook matched, and the global webhooks (SLACK_WEBHOOK_URL,
 * TEAMS_WEBHOOK_URL, DISCORD_WEBHOOK_URL) are told once each.
 */
export const ANNOUNCE_PATCH = 'announce-every-incident';

const announcements = proxyActivities<Pick<IncidentActivities, 'announceToWebhook'>>(ANNOUNCEMENTS);

/** Posts the incident's Slack message to `channel`, once; a failure is noted and never stops the incident. */
export async function postAnnouncement(incident: Incident, channel: string | undefined): Promise<void> {
  const { state } = incident;
  if (!channel || state.announcement) return;
  try {
    state.announcement = await slackAnnouncements().announceIncident({
      view: messageView(incident),
      channel,
    });
  } catch (err) {
    note(incident, 'announcement-failed', `the Slack message could not be posted: ${errorMessage(err)}`);
  }
}

/** What the webhooks are told: the plan, or plainly that none will run. Pure. */
export function webhookAnnouncement(state: IncidentState): WebhookAnnouncement {
  const plan = state.recommendation;
  const view = incidentView(state);
  const status = plan
    ? `Recommended: ${plan.title} (${plan.risk} risk). ${plan.explanation}`
    : `${view.unmatched?.refused ? 'No runbook will run' : 'No runbook matched'}: ${view.unmatched?.reason ?? ''}`;
  return {
    incidentId: state.incidentId,
    title: view.title || view.alertName,
    service: view.service,
    severity: view.severity,
    status: status.slice(0, 2000),
  };
}

/**
 * Tells each global webhook of the incident, all at once, each in its own activity: one that was told
 * (in this run or a run before it) is never told again, and a retry repeats only its own POST. A
 * webhook that cannot be told is noted; the incident goes on.
 */
export async function announceToWebhooks(incident: Incident): Promise<void> {
  const { input, state } = incident;
  const pending = (input.announce?.webhooks ?? []).filter((w) => !state.announcedTo?.includes(w.type));
  if (pending.length === 0) return;
  const announcement = webhookAnnouncement(state);
  await Promise.all(
    pending.map(async (webhook) => {
      try {
        await announcements.announceToWebhook({ webhook, announcement });
        (state.announcedTo ??= []).push(webhook.type);
      } catch (err) {
        note(
          incident,
          'announcement-failed',
          `the ${webhook.type} announcement webhook could not be told: ${errorMessage(err)}`,
        );
      }
    }),
  );
}

/** No plan: the incident is announced all the same, saying no runbook matched, before it waits for people. */
export async function announceUnmatched(incident: Incident): Promise<void> {
  await postAnnouncement(incident, incident.input.announce?.channel);
  await announceToWebhooks(incident);
}
