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
import { pagedChannels, resolveRotation, type PagedPerson } from '../notify/oncall.js';
import type { Oncall } from '../oncall/resolve.js';
import { messageOf } from '../lib/message-of.js';

/** What the workflow sends: the notice without its URL (the worker knows where incidents are seen). */
export type EscalationNotice = Omit<Notice, 'url'> & { targets: EscalationTarget[] };

export interface NotifyDeps {
  logger: Logger;
  incidentUrl: (id: string) => string;
  /** Slack and SMTP; without them, slack and email targets fail as NotificationNotConfigured. */
  channels?: NotifyChannels;
  /** The on-call file as it is now (STEADFAST_ONCALL_FILE); without it, rotation targets are not configured. */
  oncall?: () => Oncall;
  /** The clock for a call made outside an activity; inside one, the moment it was first scheduled counts. */
  now?: () => number;
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
    case 'rotation':
      return `rotation:${target.rotation}`;
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

/**
 * What an earlier attempt of this activity recorded in its last heartbeat: the deliveries it made (a
 * target's index, or `index:channel` for a rotation's person; plain numbers from before rotations), and
 * whom it paged for each rotation, so a retry pages the same person even if a handover came in between.
 */
interface Progress {
  delivered: Set<string>;
  paged: Record<string, PagedPerson>;
}

function progressBefore(context: Context | undefined): Progress {
  const details: unknown = context?.info.heartbeatDetails;
  const progress: Progress = { delivered: new Set(), paged: {} };
  if (typeof details !== 'object' || details === null) return progress;
  if ('delivered' in details && Array.isArray(details.delivered)) {
    for (const key of details.delivered as unknown[]) {
      if (typeof key === 'string' || Number.isInteger(key)) progress.delivered.add(String(key));
    }
  }
  if ('paged' in details && typeof details.paged === 'object' && details.paged !== null) {
    for (const [key, person] of Object.entries(details.paged as Record<string, unknown>)) {
      if (isPagedPerson(person)) progress.paged[key] = person;
    }
  }
  return progress;
}

function isPagedPerson(value: unknown): value is PagedPerson {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  const optional = (v: unknown): boolean => v === undefined || typeof v === 'string';
  return (
    typeof p['rotation'] === 'string' &&
    typeof p['name'] === 'string' &&
    optional(p['slack']) &&
    optional(p['email'])
  );
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
      case 'rotation':
        throw new Error('a rotation is resolved to its person before delivery');
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
  | { label: string; status: 'failed' | 'unconfigured'; reason: string }
  /** Not deliverable as written (an unknown rotation, nobody on call): non-retryable, of this type. */
  | { label: string; status: 'refused'; reason: string; type: string };

/** One delivery to make: a target as written, or one channel of the person a rotation pages. */
interface Delivery {
  key: string;
  label: string;
  target: EscalationTarget;
}

/**
 * The deliveries of a level: each target as it is, and each rotation as its person's channels, resolved
 * at `at` (or as an earlier attempt paged it); a rotation that cannot be paged becomes its outcome.
 */
function deliveriesOf(
  deps: NotifyDeps,
  targets: EscalationTarget[],
  progress: Progress,
  at: number,
): (Delivery | Outcome)[] {
  let oncall: Oncall | undefined;
  return targets.flatMap((target, index): (Delivery | Outcome)[] => {
    const key = String(index);
    const label = targetLabel(target);
    if (target.type !== 'rotation') return [{ key, label, target }];
    let person = progress.paged[key];
    if (!person) {
      let resolved: ReturnType<typeof resolveRotation>;
      try {
        oncall ??= deps.oncall?.();
        resolved = resolveRotation(oncall, target.rotation, at);
      } catch (err) {
        // Checked at start; a file that has never been valid since needs its mistakes fixed, not a retry.
        const reason = `the on-call file cannot be read: ${messageOf(err)}`;
        return [{ label, status: 'unconfigured', reason }];
      }
      if (resolved.status !== 'paged') {
        return resolved.status === 'refused'
          ? [{ label, status: 'refused', reason: resolved.reason, type: resolved.type ?? 'RotationRefused' }]
          : [{ label, status: 'unconfigured', reason: resolved.reason }];
      }
      person = resolved.person;
      progress.paged[key] = person;
    }
    const channels = pagedChannels(person, deps.channels);
    if ('reason' in channels) return [{ label, status: 'unconfigured', reason: channels.reason }];
    return channels.map((c) => ({ key: `${key}:${c.channel}`, label: c.label, target: c.target }));
  });
}

export function createNotifyActivities(deps: NotifyDeps) {
  const deliver = createDeliverer(deps);
  return {
    /**
     * Tells every target of an escalation level, all at once; each is tried even when another fails;
     * then a delivery failure (non-2xx, Slack error, SMTP error, timeout) fails the attempt so Temporal
     * retries it, and a retry skips the targets the last heartbeat recorded as delivered. A target whose
     * channel has no settings fails the activity as a non-retryable NotificationNotConfigured, once the
     * others are delivered. A rotation target pages whoever is on call when the level was first scheduled,
     * through their Slack user ID (a direct message) and e-mail address, and the result names them
     * (`rotation primary → Alice (slack U0123ABCD)`); a rotation the on-call file does not define fails
     * as a non-retryable UnknownRotation, one with nobody on call as NobodyOnCall.
     */
    async notifyEscalation(input: EscalationNotice): Promise<{ delivered: string[] }> {
      const { targets, ...fields } = input;
      const notice: Notice = { ...fields, url: deps.incidentUrl(input.incidentId) };
      const context = currentContext();
      const progress = progressBefore(context);
      // The moment of escalation is when the level was first scheduled, whichever attempt this is.
      const at = context?.info.scheduledTimestampMs ?? (deps.now ?? Date.now)();
      const deliveries = deliveriesOf(deps, targets, progress, at);
      const record = (): void =>
        context?.heartbeat({
          // A target as written is its index, as before rotations; a rotation's channel is `index:channel`.
          delivered: [...progress.delivered]
            .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
            .map((key) => (/^\d+$/.test(key) ? Number(key) : key)),
          ...(Object.keys(progress.paged).length > 0 ? { paged: progress.paged } : {}),
        });
      if (Object.keys(progress.paged).length > 0) record();
      const tell = async (delivery: Delivery): Promise<Outcome> => {
        if (progress.delivered.has(delivery.key)) return { label: delivery.label, status: 'delivered' };
        const outcome = await tryTarget(deps, deliver, delivery, notice);
        if (outcome.status !== 'delivered') return outcome;
        progress.delivered.add(delivery.key);
        record();
        return outcome;
      };
      // All targets at once: a slow one (up to its 10 s timeout) does not hold up the others.
      const outcomes = await Promise.all(
        deliveries.map((d) => ('status' in d ? Promise.resolve(d) : tell(d))),
      );
      return settle(deps, notice, outcomes);
    },
  };
}

/** One target's delivery, as an outcome: a failure is reported, never thrown, so the others go on. */
async function tryTarget(
  deps: NotifyDeps,
  deliver: (target: EscalationTarget, notice: Notice) => Promise<void>,
  { target, label }: Delivery,
  notice: Notice,
): Promise<Outcome> {
  const missing = missingSetting(target, deps.channels);
  if (missing) return { label, status: 'unconfigured', reason: missing };
  try {
    await deliver(target, notice);
    return { label, status: 'delivered' };
  } catch (err) {
    // A secret that is not there needs the configuration changed, not a retry.
    if (err instanceof SecretUnavailableError) return { label, status: 'unconfigured', reason: err.message };
    const reason = messageOf(err);
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
  const problems = (status: 'failed' | 'unconfigured' | 'refused'): string[] =>
    outcomes.flatMap((o) => (o.status === status ? [`${o.label}: ${o.reason}`] : []));
  const failed = problems('failed');
  const refused = outcomes.flatMap((o) => (o.status === 'refused' ? [o] : []));
  const undeliverable = [...problems('refused'), ...problems('unconfigured')];
  const which = `escalation level ${notice.level} of ${notice.incidentId}`;
  const summary = `delivered: ${delivered.length > 0 ? delivered.join(', ') : 'none'}`;
  if (failed.length > 0) {
    // Retryable: the next attempt tries again what failed (and reports what is not configured).
    throw new Error(`${which}: ${[...failed, ...undeliverable].join('; ')} (${summary})`);
  }
  if (undeliverable.length > 0) {
    throw ApplicationFailure.create({
      // A rotation that cannot be paged names its own type; otherwise a channel lacks its settings.
      type: refused[0]?.type ?? NOTIFICATION_NOT_CONFIGURED,
      message: `${which}: ${undeliverable.join('; ')} (${summary})`,
      nonRetryable: true,
      details: [{ delivered, unconfigured: undeliverable }],
    });
  }
  deps.logger.info(
    { event: 'notify.delivered', incidentId: notice.incidentId, level: notice.level, delivered },
    `${which} told ${delivered.join(', ') || 'nobody'}`,
  );
  return { delivered };
}
