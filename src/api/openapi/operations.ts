import { z } from 'zod';
import { alertmanagerPayloadSchema, genericAlertSchema } from '../../domain/alert.js';
import { alertListQuerySchema, alertLookupQuerySchema, fingerprintSchema } from '../routes/alerts.js';
import { payloadsSchema } from '../routes/codec.js';
import { decisionSchema, idSchema, listQuerySchema } from '../routes/incidents.js';
import { pauseSchema, resumeSchema } from '../routes/remediation.js';
import { reportQuerySchema } from '../routes/reports.js';
import { alertListResponseSchema, alertResponseSchema } from '../schemas/alerts.js';
import { clusterQuerySchema, mergeBodySchema } from '../routes/clusters.js';
import { clusterListResponseSchema, mergeResponseSchema } from '../schemas/clusters.js';
import { errorSchema } from '../schemas/common.js';
import {
  decisionResponseSchema,
  incidentListResponseSchema,
  incidentResponseSchema,
} from '../schemas/incident.js';
import {
  codecPayloadsSchema,
  guardResponseSchema,
  healthResponseSchema,
  ingestResponseSchema,
  meResponseSchema,
} from '../schemas/operations.js';
import { oncallQuerySchema } from '../routes/oncall.js';
import { oncallResponseSchema } from '../schemas/oncall.js';
import { fleetResponseSchema } from '../schemas/fleet.js';
import { severityCorrectionSchema } from '../routes/severity.js';
import { severityCorrectionResponseSchema, severityModelSchema } from '../schemas/severity.js';
import { verdictBodySchema, verdictSummaryQuerySchema } from '../routes/verdicts.js';
import { incidentVerdictResponseSchema, verdictSummarySchema } from '../schemas/verdicts.js';
import { runbookListResponseSchema, runbookValidationSchema } from '../schemas/runbooks.js';
import { ruleNameParamSchema } from '../routes/rules.js';
import { ruleDeleteResponseSchema, ruleListResponseSchema, rulePutResponseSchema } from '../schemas/rules.js';
import { ruleBodySchema } from '../../rules/schema.js';
import type { Answer, DocumentInfo, Operation } from './document.js';

/**
 * Every endpoint the API serves, with the schemas it validates and answers with. A route added to
 * src/api/app.ts without a line here fails test/api/openapi.test.ts.
 */

const V1 = '/api/v1';
const refused = (description: string): Answer => ({ description, schema: errorSchema });
const incident = z.object({ id: idSchema });

const VERBS = {
  approve: 'Approve the plan (approvers of the runbook or STEADFAST_APPROVERS only).',
  reject: 'Reject the plan; the incident closes as rejected.',
  acknowledge: 'Take ownership: the escalation stops.',
  resolve: 'Close the incident as resolved without remediation.',
} as const;

const decisions: Operation[] = Object.entries(VERBS).map(([verb, summary]) => ({
  method: 'post',
  path: `${V1}/incidents/{id}/${verb}`,
  operationId: `${verb}Incident`,
  tag: 'incidents',
  summary,
  description:
    'A Workflow Update: the answer says at once whether it was accepted. The actor is always the token identity.',
  access: 'approve',
  params: incident,
  body: { schema: decisionSchema, contentType: 'application/json', optional: true },
  temporal: true,
  responses: {
    200: { description: 'Accepted.', schema: decisionResponseSchema },
    403: refused('Not an approver of this plan, or the token lacks the approve role.'),
    404: refused('No such incident.'),
    409: refused('Wrong stage, already decided, or the incident is closed (or every alert resolved).'),
    503: refused(
      'Temporal cannot be reached, or the incident did not take the decision up in time (DecisionUnanswered): nothing was recorded, and the incident refuses the decision if it arrives later; retry.',
    ),
  },
}));

export const OPERATIONS: readonly Operation[] = [
  {
    method: 'post',
    path: `${V1}/alertmanager`,
    operationId: 'ingestAlertmanager',
    tag: 'ingest',
    summary: "Alertmanager's webhook (payload version 4): one alert group, one incident.",
    access: 'ingest',
    body: { schema: alertmanagerPayloadSchema, contentType: 'application/json' },
    temporal: true,
    responses: { 202: { description: 'Opened or joined.', schema: ingestResponseSchema } },
  },
  {
    method: 'post',
    path: `${V1}/alerts`,
    operationId: 'ingestAlerts',
    tag: 'ingest',
    summary: 'A generic alert, or a list of them (at most 20 incidents per request).',
    access: 'ingest',
    body: {
      schema: z.union([genericAlertSchema, z.array(genericAlertSchema).min(1).max(1000)]),
      contentType: 'application/json',
    },
    temporal: true,
    responses: { 202: { description: 'Opened or joined.', schema: ingestResponseSchema } },
  },
  {
    method: 'get',
    path: `${V1}/alerts`,
    operationId: 'listAlerts',
    tag: 'alerts',
    summary: 'Alerts from the incidents that hold them, newest incident first, a page at a time.',
    description:
      'Reads at most 50 incidents per call; follow `nextCursor` (with the same filters) for more. `since`: alerts active at any time since then (still firing, or started or resolved since).',
    access: 'read',
    query: alertListQuerySchema,
    temporal: true,
    responses: { 200: { description: 'One page.', schema: alertListResponseSchema } },
  },
  {
    method: 'get',
    path: `${V1}/clusters`,
    operationId: 'listClusters',
    tag: 'clusters',
    summary: 'Similar-alert clusters: open and recently closed incidents that look like one problem.',
    description:
      'DBSCAN over one distance in [0, 1] that weighs shared label pairs (volatile labels such as instance and pod left out), alert text and opening times (docs/clusters.md). Considers open incidents and those closed in the last 24 hours, newest first, up to `limit` (default 100, at most 200).',
    access: 'read',
    query: clusterQuerySchema,
    temporal: true,
    responses: { 200: { description: 'The clusters.', schema: clusterListResponseSchema } },
  },
  {
    method: 'post',
    path: `${V1}/incidents/{id}/merge`,
    operationId: 'mergeIncident',
    tag: 'clusters',
    summary: 'Merge this incident into another open one: its alerts go there, and it closes.',
    description:
      'A Workflow Update: the target records "absorbed", this incident records "merged into" and closes as resolved by the token identity at its next safe point.',
    access: 'approve',
    params: incident,
    body: { schema: mergeBodySchema, contentType: 'application/json' },
    temporal: true,
    responses: {
      200: { description: 'Merged.', schema: mergeResponseSchema },
      404: refused('No such incident, or no incident to merge into.'),
      409: refused('Either incident is closed, this one was merged already, or its remediation is running.'),
    },
  },
  {
    method: 'get',
    path: `${V1}/alerts/{fingerprint}`,
    operationId: 'getAlert',
    tag: 'alerts',
    summary: 'One alert (by fingerprint) in every incident that holds it.',
    access: 'read',
    params: z.object({ fingerprint: fingerprintSchema }),
    query: alertLookupQuerySchema,
    temporal: true,
    responses: {
      200: { description: 'Found.', schema: alertResponseSchema },
      404: refused('No incident read holds it.'),
    },
  },
  {
    method: 'get',
    path: `${V1}/incidents`,
    operationId: 'listIncidents',
    tag: 'incidents',
    summary: 'Incidents from Temporal visibility, newest first.',
    access: 'read',
    query: listQuerySchema,
    temporal: true,
    responses: { 200: { description: 'The incidents.', schema: incidentListResponseSchema } },
  },
  {
    method: 'get',
    path: `${V1}/incidents/{id}`,
    operationId: 'getIncident',
    tag: 'incidents',
    summary: "The incident's state and what every surface derives from it.",
    access: 'read',
    params: incident,
    temporal: true,
    responses: {
      200: { description: 'The incident.', schema: incidentResponseSchema },
      404: refused('No such incident.'),
    },
  },
  ...decisions,
  {
    method: 'get',
    path: `${V1}/incidents/{id}/report`,
    operationId: 'getIncidentReport',
    tag: 'incidents',
    summary: "The incident's report: one self-contained HTML page.",
    access: 'read',
    params: incident,
    query: reportQuerySchema,
    temporal: true,
    responses: {
      200: { description: 'The report.', contentType: 'text/html' },
      404: refused('No such incident, and no report written for it.'),
    },
  },
  {
    method: 'get',
    path: `${V1}/incidents/{id}/postmortem`,
    operationId: 'getIncidentPostmortem',
    tag: 'incidents',
    summary: 'A postmortem draft of the incident (Markdown), from Temporal or the file saved at close.',
    access: 'read',
    params: incident,
    query: reportQuerySchema,
    temporal: true,
    responses: {
      200: { description: 'The draft.', contentType: 'text/markdown' },
      404: refused('No such incident, and no draft written for it.'),
    },
  },
  {
    method: 'get',
    path: `${V1}/runbooks`,
    operationId: 'listRunbooks',
    tag: 'runbooks',
    summary: 'The runbooks loaded now, read-only; secrets by reference only.',
    access: 'read',
    responses: { 200: { description: 'The runbooks.', schema: runbookListResponseSchema } },
  },
  {
    method: 'post',
    path: `${V1}/runbooks/validate`,
    operationId: 'validateRunbook',
    tag: 'runbooks',
    summary: 'Check a draft runbook (YAML): the problems npm run runbooks:check reports, with lines.',
    description: 'Nothing is stored. At most 256 KiB.',
    access: 'read',
    body: { schema: z.string(), contentType: 'application/yaml', description: 'The runbook as YAML.' },
    responses: {
      200: { description: 'The draft is valid.', schema: runbookValidationSchema },
      422: { description: 'The draft has problems.', schema: runbookValidationSchema },
    },
  },
  {
    method: 'get',
    path: `${V1}/rules`,
    operationId: 'listRules',
    tag: 'rules',
    summary: 'The escalation rules, and the latest changes to them (who, when, what).',
    description: 'See docs/rules.md. A URL recipient shows its origin only.',
    access: 'read',
    temporal: true,
    responses: { 200: { description: 'The rules.', schema: ruleListResponseSchema } },
  },
  {
    method: 'post',
    path: `${V1}/rules`,
    operationId: 'putRule',
    tag: 'rules',
    summary: 'Create an escalation rule, or replace the rule of the same name.',
    description:
      'The condition is parsed (docs/rules.md), every recipient must fit a listed channel, and a channel this deployment has no settings for (slack, email, rotation) is refused. The change is recorded with the token identity.',
    access: 'approve',
    body: { schema: ruleBodySchema, contentType: 'application/json' },
    temporal: true,
    responses: {
      200: { description: 'Replaced.', schema: rulePutResponseSchema },
      201: { description: 'Created.', schema: rulePutResponseSchema },
      400: refused(
        'A bad rule (a condition that does not parse says at which column), or a channel not configured. Nothing changed.',
      ),
      409: refused('As many rules as allowed exist already (200).'),
    },
  },
  {
    method: 'delete',
    path: `${V1}/rules/{name}`,
    operationId: 'deleteRule',
    tag: 'rules',
    summary: 'Delete an escalation rule; recorded with the token identity.',
    access: 'approve',
    params: z.object({ name: ruleNameParamSchema }),
    temporal: true,
    responses: {
      200: { description: 'Deleted.', schema: ruleDeleteResponseSchema },
      404: refused('No rule has this name.'),
    },
  },
  {
    method: 'get',
    path: `${V1}/oncall`,
    operationId: 'whoIsOnCall',
    tag: 'oncall',
    summary: 'Who is on call now (or at a given instant) and who is next, in every rotation or one.',
    description: 'From STEADFAST_ONCALL_FILE, read again when it changes (see docs/oncall.md).',
    access: 'read',
    query: oncallQuerySchema,
    responses: {
      200: { description: 'The rotations.', schema: oncallResponseSchema },
      404: refused('The on-call file defines no such rotation, or none is configured.'),
      503: refused('The on-call file has never been valid since the API started.'),
    },
  },
  {
    method: 'post',
    path: `${V1}/incidents/{id}/verdict`,
    operationId: 'giveVerdict',
    tag: 'verdicts',
    summary: 'Say whether the incident was real: actionable, noise, or a duplicate of another.',
    description:
      'Open or closed incidents alike. A later verdict replaces an earlier one (kept, with who and when); the same verdict and note sent again changes nothing. The actor is always the token identity. See docs/verdicts.md.',
    access: 'approve',
    params: incident,
    body: { schema: verdictBodySchema, contentType: 'application/json' },
    temporal: true,
    responses: {
      200: { description: 'Recorded, or already so.', schema: incidentVerdictResponseSchema },
      400: refused(
        'A verdict that is not one of the three, or a duplicate without the incident it duplicates.',
      ),
      404: refused('No such incident.'),
    },
  },
  {
    method: 'get',
    path: `${V1}/incidents/{id}/verdict`,
    operationId: 'getVerdict',
    tag: 'verdicts',
    summary: "The incident's verdict: a person's if any, else the evidence's at close.",
    access: 'read',
    params: incident,
    temporal: true,
    responses: {
      200: { description: 'The verdict, or none yet.', schema: incidentVerdictResponseSchema },
      404: refused('No such incident.'),
    },
  },
  {
    method: 'get',
    path: `${V1}/verdicts`,
    operationId: 'verdictSummary',
    tag: 'verdicts',
    summary:
      'Noise over a window: verdicts, the alert-fatigue score, and rules or services flagged as noisy.',
    access: 'read',
    query: verdictSummaryQuerySchema,
    temporal: true,
    responses: { 200: { description: 'The summary.', schema: verdictSummarySchema } },
  },
  {
    method: 'get',
    path: `${V1}/severity`,
    operationId: 'getSeverityModel',
    tag: 'severity',
    summary: 'What the severity model has learned, and the latest corrections (who, which incident, why).',
    description:
      'See docs/severity.md. The model suggests a severity during triage; it never changes a label.',
    access: 'read',
    temporal: true,
    responses: { 200: { description: 'The model.', schema: severityModelSchema } },
  },
  {
    method: 'post',
    path: `${V1}/incidents/{id}/severity`,
    operationId: 'correctSeverity',
    tag: 'severity',
    summary: "Teach the severity model what an incident's severity should have been.",
    description:
      "Open or closed, the incident's first alert is learned as this severity (weight 3). A second correction of the same incident replaces the first; the same one again changes nothing. The incident keeps its label. Recorded with the token identity.",
    access: 'approve',
    params: incident,
    body: { schema: severityCorrectionSchema, contentType: 'application/json' },
    temporal: true,
    responses: {
      200: { description: 'Learned.', schema: severityCorrectionResponseSchema },
      400: refused('Not a severity word, or an unknown field. Nothing was learned.'),
      404: refused('No such incident.'),
      409: refused('The incident holds no alert to learn from.'),
    },
  },
  {
    method: 'get',
    path: `${V1}/fleet`,
    operationId: 'getFleet',
    tag: 'fleet',
    summary: 'CPU, memory, restarts and network of the containers STEADFAST_FLEET_LABEL selects.',
    description:
      "One-shot stats from the Docker engine (STEADFAST_DOCKER_SOCKET), at most 200 containers by name, with the remediation actions this process counted on each. With KUBECONFIG set, the pods of its current context's namespace that the same selector matches follow (source kubernetes, usage from metrics.k8s.io where metrics-server runs). A field the engine did not give is null, and the row's `unknown` says why.",
    access: 'read',
    responses: {
      200: { description: 'The fleet.', schema: fleetResponseSchema },
      503: refused('The Docker engine did not answer (nor, with KUBECONFIG set, the Kubernetes API server).'),
    },
  },
  {
    method: 'get',
    path: `${V1}/remediation/guard`,
    operationId: 'getGuard',
    tag: 'remediation',
    summary: 'Whether remediation is paused, and the actions the guards let through recently.',
    access: 'read',
    temporal: true,
    responses: { 200: { description: 'The guard.', schema: guardResponseSchema } },
  },
  {
    method: 'post',
    path: `${V1}/remediation/pause`,
    operationId: 'pauseRemediation',
    tag: 'remediation',
    summary: 'Refuse every action not yet started, in every incident, until resumed.',
    access: 'approve',
    body: { schema: pauseSchema, contentType: 'application/json' },
    temporal: true,
    responses: { 200: { description: 'Paused.', schema: guardResponseSchema } },
  },
  {
    method: 'post',
    path: `${V1}/remediation/resume`,
    operationId: 'resumeRemediation',
    tag: 'remediation',
    summary: 'Let actions run again.',
    access: 'approve',
    body: { schema: resumeSchema, contentType: 'application/json', optional: true },
    temporal: true,
    responses: { 200: { description: 'Resumed.', schema: guardResponseSchema } },
  },
  {
    method: 'get',
    path: `${V1}/me`,
    operationId: 'whoAmI',
    tag: 'access',
    summary: "The token's identity and roles.",
    access: 'read',
    responses: { 200: { description: 'Who the token is.', schema: meResponseSchema } },
  },
  {
    method: 'post',
    path: `${V1}/codec/{operation}`,
    operationId: 'codec',
    tag: 'access',
    summary: "Temporal's remote codec protocol, when STEADFAST_CODEC_KEYS is set.",
    access: 'read',
    params: z.object({ operation: z.enum(['decode', 'encode']) }),
    body: { schema: payloadsSchema, contentType: 'application/json' },
    responses: {
      200: { description: 'The payloads, decoded or encoded.', schema: codecPayloadsSchema },
      404: refused('The codec is off.'),
    },
  },
  {
    method: 'options',
    path: `${V1}/codec/{operation}`,
    operationId: 'codecPreflight',
    tag: 'access',
    summary: "CORS preflight for the Temporal Web UI's origin.",
    access: 'public',
    params: z.object({ operation: z.enum(['decode', 'encode']) }),
    responses: { 204: { description: 'Preflight answered.' } },
  },
  {
    method: 'get',
    path: `${V1}/health`,
    operationId: 'health',
    tag: 'operations',
    summary: 'Whether Temporal answers; a read token also gets its latency or gRPC status.',
    access: 'public-or-read',
    responses: {
      200: { description: 'Healthy.', schema: healthResponseSchema },
      503: { description: 'Temporal cannot be reached.', schema: healthResponseSchema },
    },
  },
  {
    method: 'get',
    path: `${V1}/openapi.json`,
    operationId: 'openapi',
    tag: 'operations',
    summary: 'This document. Public: it describes the API and holds no secret or setting.',
    access: 'public',
    responses: {
      200: { description: 'The OpenAPI 3.1 document.', schema: z.record(z.string(), z.unknown()) },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tag: 'operations',
    summary: 'Prometheus metrics (text exposition format).',
    access: 'public',
    responses: { 200: { description: 'The metrics.', contentType: 'text/plain' } },
  },
];

export const API_INFO: DocumentInfo = {
  title: 'Steadfast API',
  version: '1',
  description:
    'Durable incident orchestration on Temporal: alerts in, incidents, decisions, runbooks and the remediation guard. Generated from the zod schemas the routes validate with (npm run docs:openapi). The web console is served at `/`, and Slack interactivity at `/slack/events` when Slack is configured.',
};
