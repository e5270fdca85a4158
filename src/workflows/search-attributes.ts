import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
