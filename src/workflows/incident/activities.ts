import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';

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

/**
 * The Slack message follows the incident, but a Slack outage must never hold the incident up: each
 * Slack call gives up after 10 s (SLACK_TIMEOUT_MS), so an unanswering Slack fails an attempt in 10 s.
 * An attempt may make a few calls that each answer slowly (an update, a look for an earlier attempt's
 * reply, the reply), and a post starts only while a whole call's time is left (src/slack/post-once.ts).
 */
export const ANNOUNCEMENTS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: ['NotificationNotConfigured'] },
};

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
