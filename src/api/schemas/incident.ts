import { z } from 'zod';
import { ACTIONS } from '../../actions/registry.js';
import type { Alert } from '../../domain/alert.js';
import type { ActionName, ActionStep } from '../../actions/steps.js';
import {
  MILESTONES,
  OUTCOMES,
  STAGES,
  type IncidentState,
  type Recommendation,
} from '../../domain/incident.js';
import type { IncidentSummary } from '../../domain/incident-view.js';
import type { ListedIncident } from '../../incidents/list.js';
import type { DecisionResult } from '../../workflows/messages.js';
import { labelsSchema, secretRefSchema, temporalUrl, timestamp } from './common.js';

/**
 * An incident as the API shows it: the workflow's state (src/domain/incident.ts) and what is derived
 * from it (src/domain/incident-view.ts). The type checks at the end of this file fail to compile when
 * those types gain a shape these schemas would refuse.
 */

/** JSON has no NaN or Infinity: a number that was one arrives as null. */
const measured = z.number().nullable();

export const alertSchema = z
  .object({
    fingerprint: z.string(),
    dedupeKey: z.string().meta({
      description: 'The sender, fingerprint and firing (startsAt) that make a delivery a duplicate',
    }),
    sender: z
      .string()
      .optional()
      .meta({ description: 'The identity of the ingest token that sent it; only it can resolve the alert' }),
    status: z.enum(['firing', 'resolved']),
    alertName: z.string(),
    severity: z.string(),
    labels: labelsSchema,
    annotations: labelsSchema,
    startsAt: timestamp,
    endsAt: timestamp.optional(),
    generatorURL: z.string().optional(),
    source: z.enum(['alertmanager', 'api']),
  })
  .meta({ id: 'Alert' });

const findingSchema = z.object({
  score: z.number(),
  method: z.enum(['detector', 'robust-z']),
  robustZ: measured,
  current: measured,
  usualLow: measured,
  usualHigh: measured,
  baseline: z.enum(['seasonal', 'recent']),
  reason: z.string(),
});

const thresholdSchema = z.object({ value: z.number(), direction: z.enum(['above', 'below']) });

const detectionSchema = z.object({
  status: z.enum(['scored', 'no-metrics-source', 'unreachable', 'no-data', 'insufficient-history']),
  query: z.string().optional(),
  prometheusUrl: z.string().optional(),
  finding: findingSchema.optional(),
  threshold: thresholdSchema.optional(),
  series: z
    .object({ times: z.array(z.number()), values: z.array(measured), labels: labelsSchema })
    .optional(),
  message: z.string(),
  severity: z
    .object({
      status: z.enum(['suggested', 'learning']),
      label: z.string(),
      severity: z.string().optional(),
      confidence: z.number().min(0).max(1).optional(),
      because: z.array(z.string()).optional(),
      examples: z.number().nonnegative(),
      message: z.string(),
    })
    .optional()
    .meta({
      description:
        "The severity model's view beside the label's (docs/severity.md): a suggestion with its reason, never applied.",
    }),
  noisy: z.string().optional().meta({
    description:
      "Set when people's verdicts flag the alert's rule or service as paging for nothing (docs/verdicts.md): the sentence that says so.",
  }),
});

export const forecastSchema = z.object({
  trend: z.enum(['rising', 'falling', 'flat']),
  slopePerSecond: measured,
  r2: z.number(),
  secondsToThreshold: z.number().optional(),
  secondsToThresholdLow: z.number().optional(),
  secondsToThresholdHigh: z.number().optional(),
  probability: z.number().optional(),
  probabilityWindowSeconds: z.number().optional(),
  summary: z.string(),
});

const webhookUrl = z.union([z.string(), secretRefSchema]);
export const escalationTargetSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('log') }),
    z.object({ type: z.literal('webhook'), url: webhookUrl }),
    z.object({ type: z.literal('slack'), channel: z.string() }),
    z.object({ type: z.literal('slack-usergroup'), channel: z.string(), usergroup: z.string() }),
    z.object({ type: z.literal('email'), to: z.array(z.string()) }),
    z.object({
      type: z.literal('teams'),
      url: webhookUrl,
      format: z.enum(['messagecard', 'adaptive']).optional(),
    }),
    z.object({ type: z.literal('discord'), url: webhookUrl }),
    z.object({ type: z.literal('rotation'), rotation: z.string() }),
  ])
  .meta({ id: 'EscalationTarget' });

const actionNameSchema = z.enum(Object.keys(ACTIONS) as [ActionName, ...ActionName[]]);

/**
 * A filled-in action step; its fields depend on the action (see docs/runbooks.md). Its JSON Schema names
 * the action and lets the fields through; in TypeScript it is the step type itself.
 */
export const actionStepSchema = z
  .looseObject({ action: actionNameSchema })
  .meta({ id: 'ActionStep' }) as unknown as z.ZodType<ActionStep>;

const recommendationSchema = z.object({
  runbookId: z.string(),
  title: z.string(),
  risk: z.enum(['low', 'medium', 'high']),
  explanation: z.string(),
  steps: z.array(actionStepSchema),
  approvers: z.array(z.string()),
  approval: z.enum(['immediate', 'people']),
  escalation: z.object({
    timeoutMs: z.number(),
    levels: z.array(
      z.object({
        notify: z.array(escalationTargetSchema),
        waitMs: z.number(),
        rule: z.string().optional().meta({ description: 'The escalation rule this level came from.' }),
      }),
    ),
    finalPolicy: z.enum(['abort', 'auto-approve']),
  }),
  guards: z.object({
    cooldownMs: z.number(),
    maxActionsPerTarget: z.number(),
    windowMs: z.number(),
    maxTargets: z.number(),
  }),
  verification: z.object({
    promql: z.string().optional(),
    prometheusUrl: z.string().optional(),
    withinMs: z.number(),
    intervalMs: z.number(),
  }),
  dryRun: z.boolean(),
  slack: z.object({ channel: z.string() }).optional(),
  targets: z.array(z.string()).optional(),
  silence: z.literal(false).optional(),
  hours: z.string().optional(),
});

const approvalSchema = z.object({
  actor: z.string(),
  reason: z.string().optional(),
  via: z.string(),
  groups: z.array(z.string()).optional(),
  override: z.boolean().optional(),
  decision: z.enum(['approved', 'rejected', 'acknowledged']),
  at: timestamp,
  round: z.number().int().optional(),
});

const actionRecordSchema = z.object({
  index: z.number().int(),
  action: actionNameSchema.optional(),
  description: z.string(),
  status: z.enum(['running', 'done', 'failed', 'refused', 'rolled-back', 'rollback-failed', 'dry-run']),
  preview: z.array(z.string()).optional(),
  target: z.string().optional(),
  startedAt: timestamp,
  finishedAt: timestamp.optional(),
  effect: z.string().optional(),
  error: z.string().optional(),
  rollback: z.string().optional(),
});

export const incidentStateSchema = z
  .object({
    incidentId: z.string(),
    correlationKey: z.string(),
    title: z.string(),
    service: z.string(),
    alertName: z.string(),
    severity: z.string(),
    stage: z.enum(STAGES),
    openedAt: timestamp,
    closedAt: timestamp.optional(),
    outcome: z.enum(OUTCOMES).optional(),
    alerts: z.array(alertSchema).meta({ description: 'The latest alerts (at most 50), whole.' }),
    duplicatesDropped: z.number().int(),
    alertsReceived: z.number().int().optional(),
    alertsDropped: z.number().int().optional(),
    alertLedger: z.record(z.string(), z.union([z.literal(0), z.literal(1)])).optional(),
    alertsUntracked: z.number().int().optional(),
    openedBy: z.string().optional().meta({
      description: 'The dedupe key of the firing alert that opened the incident, held while it fires.',
    }),
    sendersSeen: z.array(z.string()).optional().meta({
      description:
        'The senders (ingest identities) of every alert the incident took, held or not, at most 8: with two or more, no policy approves its plan.',
    }),
    firingUntracked: z.number().int().optional().meta({
      description: 'Alerts forgotten while firing: the incident then waits for a person to resolve it.',
    }),
    notesDropped: z.record(z.string(), z.number().int()).optional(),
    detection: detectionSchema.optional(),
    prediction: z
      .object({
        status: z.enum(['forecast', 'no-data']),
        forecast: forecastSchema.optional(),
        message: z.string(),
      })
      .optional(),
    recommendation: recommendationSchema.nullable().optional(),
    approvals: z.array(approvalSchema),
    escalationLevel: z.number().int(),
    round: z.number().int().optional(),
    guardRefusal: z.string().optional(),
    nextEscalationAt: timestamp.optional(),
    mergedInto: z.string().optional().meta({
      description: 'The incident this one was merged into (POST /incidents/:id/merge); it closed then.',
    }),
    absorbed: z
      .array(z.string())
      .optional()
      .meta({ description: 'Incidents merged into this one, whose alerts it took in.' }),
    ruleEscalation: z
      .object({
        since: timestamp,
        levels: z.array(
          z.object({ rule: z.string(), delayMs: z.number(), notify: z.array(escalationTargetSchema) }),
        ),
      })
      .optional()
      .meta({
        description: 'Without a plan: the escalation rules that matched, each told delayMs after since.',
      }),
    actions: z.array(actionRecordSchema),
    verification: z
      .object({ status: z.enum(['passed', 'failed']), message: z.string(), at: timestamp })
      .optional(),
    announcement: z.object({ channel: z.string(), ts: z.string() }).optional(),
    calendar: z
      .object({
        checkedAt: timestamp,
        horizon: timestamp,
        readAgainAt: timestamp.optional(),
        periods: z.array(
          z.object({
            kind: z.enum(['freeze', 'hours']),
            name: z.string(),
            reason: z.string(),
            from: timestamp,
            until: timestamp,
          }),
        ),
      })
      .optional(),
    hold: z.object({ reason: z.string(), until: timestamp, since: timestamp }).optional(),
    silence: z
      .object({
        status: z.enum(['active', 'failed', 'expired']),
        ids: z.array(z.string()),
        until: timestamp.optional(),
      })
      .optional(),
    timeline: z.array(
      z.object({
        at: timestamp,
        stage: z.enum(STAGES),
        event: z.string(),
        message: z.string(),
        actor: z.string().optional(),
      }),
    ),
    milestones: z.partialRecord(z.enum(MILESTONES), timestamp),
  })
  .meta({ id: 'IncidentState' });

const riskSchema = z.enum(['low', 'medium', 'critical']);

export const incidentSummarySchema = z
  .object({
    risk: riskSchema,
    awaitingDecision: z.boolean(),
    decision: z
      .object({ decision: z.enum(['approved', 'rejected']), actor: z.string(), at: timestamp })
      .optional(),
    waiting: z
      .object({
        reason: z.string(),
        until: timestamp,
        overrideNeeded: z.boolean().meta({
          description: "A person's approval needs `override: true` and a reason.",
        }),
      })
      .optional()
      .meta({ description: 'Why the plan waits on the change calendar, when it does.' }),
    runsAgain: z
      .string()
      .optional()
      .meta({
        description:
          'While a plan a guard handed back waits: the steps of the last run that still stand (done and not ' +
          'undone), which approving again runs a second time, as a sentence. Absent when none does.',
      }),
    stages: z.array(
      z.object({
        stage: z.enum(STAGES),
        status: z.enum(['done', 'current', 'skipped', 'pending']),
        enteredAt: timestamp.optional(),
      }),
    ),
  })
  .meta({ id: 'IncidentSummary' });

export const incidentResponseSchema = z.object({
  incident: incidentStateSchema,
  summary: incidentSummarySchema,
  temporalUrl,
});

export const listedIncidentSchema = z
  .object({
    incidentId: z.string(),
    runId: z.string(),
    status: z.enum(['open', 'closed']),
    executionStatus: z.string(),
    service: z.string().nullable(),
    alertName: z.string().nullable(),
    severity: z.string().nullable(),
    risk: riskSchema,
    stage: z.string().nullable(),
    runbook: z.string().nullable(),
    outcome: z.string().nullable(),
    openedAt: timestamp,
    closedAt: timestamp.nullable(),
    temporalUrl,
  })
  .meta({ id: 'ListedIncident' });

export const incidentListResponseSchema = z.object({ incidents: z.array(listedIncidentSchema) });

export const decisionResultSchema = z.object({
  incidentId: z.string(),
  decision: z.enum(['approved', 'rejected', 'acknowledged', 'resolved']),
  actor: z.string(),
  at: timestamp,
  stage: z.enum(STAGES),
});

export const decisionResponseSchema = z.object({
  accepted: z.literal(true),
  decision: z.enum(['approve', 'reject', 'acknowledge', 'resolve']),
  actor: z.string(),
  incident: decisionResultSchema,
});

/**
 * Fails to compile when a type the API serves has a shape its schema would refuse, or a field it does
 * not describe: add the field here (and run npm run docs:openapi).
 */
type Fits<T extends U, U> = T;
type Described<T, U> = [Exclude<keyof T, keyof U>] extends [never] ? T : never;
export type ServedShapesFit = [
  Described<IncidentState, z.output<typeof incidentStateSchema>>,
  Described<Recommendation, z.output<typeof recommendationSchema>>,
  Described<IncidentState['approvals'][number], z.output<typeof approvalSchema>>,
  Described<IncidentState['actions'][number], z.output<typeof actionRecordSchema>>,
  Described<Alert, z.output<typeof alertSchema>>,
  Described<IncidentSummary, z.output<typeof incidentSummarySchema>>,
  Fits<Alert, z.output<typeof alertSchema>>,
  Fits<IncidentState, z.output<typeof incidentStateSchema>>,
  Fits<IncidentSummary, z.output<typeof incidentSummarySchema>>,
  Fits<ListedIncident, Omit<z.output<typeof listedIncidentSchema>, 'temporalUrl'>>,
  Fits<DecisionResult, z.output<typeof decisionResultSchema>>,
];
