import { ApplicationFailure } from '@temporalio/workflow';

/**
 * An update's refusal: of its `type` (REFUSAL, RULE_REFUSAL), which the API maps to an HTTP status and
 * Slack to plain words, and never retried, since the same request would be refused again.
 */
export function refusal(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}
