import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { cutJsonString } from '../domain/utf8.js';

/** Custom search attributes: how incidents are found in the API and the Temporal Web UI. */
export const SA = {
  service: defineSearchAttributeKey('IncidentService', SearchAttributeType.KEYWORD),
  alertName: defineSearchAttributeKey('IncidentAlertName', SearchAttributeType.KEYWORD),
  severity: defineSearchAttributeKey('IncidentSeverity', SearchAttributeType.KEYWORD),
  stage: defineSearchAttributeKey('IncidentStage', SearchAttributeType.KEYWORD),
  runbook: defineSearchAttributeKey('IncidentRunbook', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('IncidentOutcome', SearchAttributeType.KEYWORD),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SA);

/**
 * The server's limit on one search attribute value (`frontend.searchAttributesSizeOfValueLimit`,
 * 2 KiB by default): it measures the value's payload data, the JSON text with its quotes and escapes.
 * Past it the upsert command fails the workflow task and the server terminates the workflow.
 */
export const SEARCH_ATTRIBUTE_VALUE_BYTES = 2048;

/**
 * An alert-derived text as a Keyword value: as it is when its JSON fits the limit, otherwise cut at a
 * character boundary and ended with "…". 700 × "€" is 2,102 bytes of JSON; a control character takes 6.
 */
export function keywordValue(text: string): string {
  return cutJsonString(text, SEARCH_ATTRIBUTE_VALUE_BYTES);
}
