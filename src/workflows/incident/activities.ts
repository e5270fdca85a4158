import {
  ActivityCancellationType,
  patched,
  proxyActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';

/**
 * How each kind of activity is called. Every file proxies only the activities it calls, with one of
 * these option sets, so a proxy's type says what that part of the workflow may do.
 */

/** Triage reads outside systems but changes nothing: short timeouts, a few quick retries. */
export const TRIAGE: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
};

/** Records and notifications must get through, but never hold the incident up for long. */
export const RECORDS: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
};

/** Webhook announcements (one POST each) must never hold the incident up. */
export const ANNOUNCEMENTS: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: ['NotificationNotConfigured'] },
};

/**
 * Patch: the incident's Slack message is posted and updated in attempts of 30 s. Each Slack call gives
 * up after 10 s (SLACK_TIMEOUT_MS), so an unanswering Slack still fails an attempt in 10 s; but an
 * attempt may make a few calls that each answer slowly (an update, a look for an earlier attempt's reply,
 * the reply), and a post starts only while a whole call's time is left (src/slack/post-once.ts). In 10 s
 * a reply could outlast its attempt, and the retry looked before it landed and posted it again.
 */
export const SLACK_ATTEMPT_PATCH = 'slack-attempt-30s';

const SLACK_ANNOUNCEMENTS: ActivityOptions = { ...ANNOUNCEMENTS, startToCloseTimeout: '30s' };

type SlackAnnouncements = Pick<IncidentActivities, 'announceIncident' | 'updateAnnouncement'>;
const slackBefore = proxyActivities<SlackAnnouncements>(ANNOUNCEMENTS);
const slackNow = proxyActivities<SlackAnnouncements>(SLACK_ANNOUNCEMENTS);

/** The Slack message's activities, with the attempt this run's code version gives them. */
export const slackAnnouncements = (): SlackAnnouncements =>
  patched(SLACK_ATTEMPT_PATCH) ? slackNow : slackBefore;

/**
 * Remediation changes production: bounded attempts (the default is unlimited), heartbeats, and a
 * cancellation that waits for the action to stop before the saga moves on.
 */
export const REMEDIATION: ActivityOptions = {
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '2s',
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['ContainerNotFound', 'InvalidAction'],
  },
};

/**
 * Alertmanager silences are a courtesy to people, never a condition of the fix: a short timeout and one
 * retry, so a hanging Alertmanager costs the remediation seconds at most.
 */
export const SILENCES: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 2 },
};
