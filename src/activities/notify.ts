import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EscalationTarget } from '../domain/incident.js';
import type { Logger } from '../lib/logger.js';
import { createEmailSender, type EmailSender } from '../notify/email.js';
import {
  discordPayload,
  emailMessage,
  slackMessage,
  teamsAdaptivePayload,
  teamsPayload,
  webhookPayload,
  type Notice,
} from '../notify/formats.js';
import { postJson, redactUrl } from '../notify/http.js';
import { describeSecret, isSecretRef } from '../secrets/reference.js';
import { resolveUrl, SecretUnavailableError } from '../secrets/resolve.js';
import type { NotifyChannels } from '../notify/settings.js';
import { createSlackSender, type SlackSender } from '../notify/slack.js';

/** What the workflow sends: the notice without its URL (the worker knows where incidents are seen). */
export type EscalationNotice = Omit<Notice, 'url'> & { targets: EscalationTarget[] };

export interface NotifyDeps {
  logger: Logger;
  incidentUrl: (id: string) => string;
  /** Slack and SMTP; without them, slack and email targets fail as NotificationNotConfigured. */
  channels?: NotifyChannels;
}

/** The failure type of a target whose channel has no settings: not retried, the settings must change. */
export const NOTIFICATION_NOT_CONFIGURED = 'NotificationNotConfigured';

/** How a target appears in results, logs and errors: never a webhook's secret path. */
export function targetLabel(target: EscalationTarget): string {
  switch (target.type) {
    case 'log':
      return 'log';
    case 'webhook':
    case 'teams':
    case 'discord':
      return `${target.type}:${isSecretRef(target.url) ? describeSecret(target.url) : redactUrl(target.url)}`;
    case 'slack':
      return `slack:${target.channel}`;
    case 'slack-usergroup':
      return `slack:${target.channel}@${target.usergroup}`;
    case 'email':
      return `email:${target.to.join(',')}`;
  }
}

/** The settings a target's channel lacks, or undefined when it can be delivered. */
function missingSetting(target: EscalationTarget, channels: NotifyChannels | undefined): string | undefined {
  switch (target.type) {
    case 'slack':
    case 'slack-usergroup':
      return channels?.slack ? undefined : 'Slack is not configured: set SLACK_BOT_TOKEN';
    case 'email':
      return channels?.smtp ? undefined : 'e-mail is not configured: set SMTP_HOST and SMTP_FROM';
    default:
      return undefined;
  }
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (a plain test): no heartbeats
  }
}

/** Targets an earlier attempt of this activity already delivered (from its last heartbeat). */
function deliveredBefore(context: Context | undefined): Set<number> {
  const details: unknown = context?.info.heartbeatDetails;
  if (typeof details !== 'object' || details === null || !('delivered' in details)) return new Set();
  const delivered: unknown = details.delivered;
  return new Set(Array.isArray(delivered) ? delivered.filter((i): i is number => Number.isInteger(i)) : []);
}

/** Delivers one notice to one target; Slack and SMTP clients are made on first use. */
function createDeliverer(deps: NotifyDeps): (target: EscalationTarget, notice: Notice) => Promise<void> {
  let slack: SlackSender | undefined;
  let email: EmailSender | undefined;
  return async (target, notice) => {
    switch (target.type) {
      case 'log':
        // The log line carries exactly what the generic webhook receives.
        deps.logger.warn(
          webhookPayload(notice),
          `incident ${notice.incidentId} escalated to level ${notice.level}`,
        );
        return;
      case 'webhook':
        return postJson(await resolveUrl(target.url), webhookPayload(notice), 'escalation webhook');
      case 'teams':
        return target.format === 'adaptive'
          ? postJson(
              await resolveUrl(target.url),
              teamsAdaptivePayload(notice),
              'Microsoft Teams Workflows webhook',
            )
          : postJson(await resolveUrl(target.url), teamsPayload(notice), 'Microsoft Teams webhook');
      case 'discord':
        return postJson(await resolveUrl(target.url), discordPayload(notice), 'Discord webhook');
      case 'slack':
      case 'slack-usergroup': {
        const settings = deps.channels?.slack;
        if (!settings) throw new Error('Slack is not configured'); // checked before delivery
        slack ??= createSlackSender(settings);
        const usergroup = target.type === 'slack-usergroup' ? target.usergroup : undefined;
        await slack.post(slackMessage(notice, target.channel, usergroup));
        return;
      }
      case 'email': {
        const settings = deps.channels?.smtp;
        if (!settings) throw new Error('e-mail is not configured'); // checked before delivery
        email ??= createEmailSender(settings);
        const sent = await email.send(target.to, emailMessage(notice));
        if (sent.rejected.length > 0) {
          deps.logger.warn(
            { event: 'notify.email-rejected', incidentId: notice.incidentId, rejected: sent.rejected },
            `the SMTP server refused ${sent.rejected.join(', ')}`,
          );
        }
        return;
      }
    }
  };
}

type Outcome =
  | { label: string; status: 'delivered' }
  | { label: string; status: 'failed' | 'unconfigured'; reason: string };

export function createNotifyActivities(deps: NotifyDeps) {
  const deliver = createDeliverer(deps);
  return {
    /**
     * Tells every target of an escalation level, all at once; each is tried even when another fails;
     * then a delivery failure (non-2xx, Slack error, SMTP error, timeout) fails the attempt so Temporal
     * retries it, and a retry skips the targets the last heartbeat recorded as delivered. A target whose
     * channel has no settings fails the activity as a non-retryable NotificationNotConfigured, once the
     * others are delivered.
     */
    async notifyEscalation(input: EscalationNotice): Promise<{ delivered: string[] }> {
      const { targets, ...fields } = input;
      const notice: Notice = { ...fields, url: deps.incidentUrl(input.incidentId) };
      const context = currentContext();
      const done = deliveredBefore(context);
      const tell = async (target: EscalationTarget, index: number): Promise<Outcome> => {
        const label = targetLabel(target);
        if (done.has(index)) return { label, status: 'delivered' };
        const outcome = await tryTarget(deps, deliver, target, notice);
        if (outcome.status !== 'delivered') return outcome;
        done.add(index);
        context?.heartbeat({ delivered: [...done].sort((a, b) => a - b) });
        return outcome;
      };
      // All targets at once: a slow one (up to its 10 s timeout) does not hold up the others.
      const outcomes = await Promise.all(targets.map(tell));
      return settle(deps, notice, outcomes);
    },
  };
}

/** One target's delivery, as an outcome: a failure is reported, never thrown, so the others go on. */
async function tryTarget(
  deps: NotifyDeps,
  deliver: (target: EscalationTarget, notice: Notice) => Promise<void>,
  target: EscalationTarget,
  notice: Notice,
): Promise<Outcome> {
  const label = targetLabel(target);
  const missing = missingSetting(target, deps.channels);
  if (missing) return { label, status: 'unconfigured', reason: missing };
  try {
    await deliver(target, notice);
    return { label, status: 'delivered' };
  } catch (err) {
    // A secret that is not there needs the configuration changed, not a retry.
    if (err instanceof SecretUnavailableError) return { label, status: 'unconfigured', reason: err.message };
    const reason = err instanceof Error ? err.message : String(err);
    deps.logger.warn(
      {
        event: 'notify.failed',
        incidentId: notice.incidentId,
        level: notice.level,
        target: label,
        err: reason,
      },
      `escalation to ${label} failed: ${reason}`,
    );
    return { label, status: 'failed', reason };
  }
}

/** The activity's answer: what was delivered, or a failure that says what was not and whether to retry. */
function settle(deps: NotifyDeps, notice: Notice, outcomes: Outcome[]): { delivered: string[] } {
  const delivered = outcomes.filter((o) => o.status === 'delivered').map((o) => o.label);
  const problems = (status: 'failed' | 'unconfigured'): string[] =>
    outcomes.flatMap((o) => (o.status === status ? [`${o.label}: ${o.reason}`] : []));
  const failed = problems('failed');
  const unconfigured = problems('unconfigured');
  const which = `escalation level ${notice.level} of ${notice.incidentId}`;
  const summary = `delivered: ${delivered.length > 0 ? delivered.join(', ') : 'none'}`;
  if (failed.length > 0) {
    // Retryable: the next attempt tries again what failed (and reports what is not configured).
    throw new Error(`${which}: ${[...failed, ...unconfigured].join('; ')} (${summary})`);
  }
  if (unconfigured.length > 0) {
    throw ApplicationFailure.create({
      type: NOTIFICATION_NOT_CONFIGURED,
      message: `${which}: ${unconfigured.join('; ')} (${summary})`,
      nonRetryable: true,
      details: [{ delivered, unconfigured }],
    });
  }
  deps.logger.info(
    { event: 'notify.delivered', incidentId: notice.incidentId, level: notice.level, delivered },
    `${which} told ${delivered.join(', ') || 'nobody'}`,
  );
  return { delivered };
}
