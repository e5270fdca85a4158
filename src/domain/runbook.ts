import { z } from 'zod';
import { FileProblemsError, parseYamlFile, type FileProblem } from './yaml-file.js';
import { actionTarget, describeAction, fillStep, stepSchema } from '../actions/registry.js';
import { parseDuration } from './duration.js';
import type { EscalationPlan, GuardPolicy, Recommendation, WebhookUrl } from './incident.js';
import { runbookSecretRefSchema } from '../secrets/reference.js';
import { PrometheusServers } from './metrics-source.js';
import { fillPromQL, placeholdersIn, promqlPlaceholdersMisplaced } from './placeholder.js';
import { scopeSchema, type RunbookScope } from './scope.js';
import { rotationNameSchema } from '../oncall/schema.js';

const duration = z.string().refine((s) => parseDuration(s) !== undefined, {
  message: 'a duration such as 30s, 5m or 1h',
});
const template = z.string().min(1).max(512);

const TARGET_TYPES = [
  'log',
  'webhook',
  'slack',
  'slack-usergroup',
  'email',
  'teams',
  'discord',
  'rotation',
] as const;
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL such as https://hooks.example/oncall' });
// A webhook's URL is its secret: name it ({ secret: { env: ONCALL_WEBHOOK } }) to keep it out of plans.
const webhookUrl = z.union([httpUrl, runbookSecretRefSchema]);
// A channel ID (public C…, private G…, direct D…) or a #channel-name, as chat.postMessage takes it.
const slackChannel = z
  .string()
  .regex(
    /^(?:[CGD][A-Z0-9]{8,20}|#[a-z0-9][a-z0-9_-]{0,79})$/,
    'a Slack channel ID such as C0123ABCD, or a #channel-name in lower case',
  );
const slackUsergroup = z.string().regex(/^S[A-Z0-9]{8,20}$/, 'a Slack user group ID such as S0123ABCD');
const emailAddress = z.email({ error: 'an e-mail address such as oncall@example.com' });

/** Who an escalation level tells; the channels (Slack token, SMTP server) are configured globally. */
export const escalationTargetSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('log') }).strict(),
    z.object({ type: z.literal('webhook'), url: webhookUrl }).strict(),
    z.object({ type: z.literal('slack'), channel: slackChannel }).strict(),
    z
      .object({ type: z.literal('slack-usergroup'), channel: slackChannel, usergroup: slackUsergroup })
      .strict(),
    z
      .object({
        type: z.literal('email'),
        to: z.array(emailAddress).min(1, 'at least one address').max(50, 'at most 50 addresses'),
      })
      .strict(),
    z
      .object({
        type: z.literal('teams'),
        url: webhookUrl,
        format: z.enum(['messagecard', 'adaptive']).optional(),
      })
      .strict(),
    z.object({ type: z.literal('discord'), url: webhookUrl }).strict(),
    // Whoever is on call in this rotation of STEADFAST_ONCALL_FILE when the level is reached.
    z.object({ type: z.literal('rotation'), rotation: rotationNameSchema }).strict(),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? `type must be one of: ${TARGET_TYPES.join(', ')}` : undefined,
  },
);

/** One escalation level: whom to tell, then how long to wait before the next level. */
export const escalationLevelSchema = z
  .object({ notify: z.array(escalationTargetSchema).min(1, 'at least one target'), wait: duration })
  .strict();

export const runbookSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes')
      .optional(),
    title: z.string().min(1).max(200),
    description: z.string().max(4000).optional(),
    match: z
      .object({
        alertnames: z.array(z.string().min(1)).min(1).optional(),
        labels: z.record(z.string(), z.string()).optional(),
        findings: z
          .object({
            trend: z.enum(['rising', 'falling', 'flat']).optional(),
            minAnomalyScore: z.number().min(0).max(1).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .refine((m) => m.alertnames !== undefined || m.labels !== undefined, {
        message: 'match needs alertnames, labels or both',
      }),
    risk: z.enum(['low', 'medium', 'high']),
    approvers: z.array(z.string().min(1)).default([]),
    approval: z
      .object({
        timeout: duration.default('15m'),
        escalation: z.array(escalationLevelSchema).default([]),
        finalPolicy: z.enum(['abort', 'auto-approve']).default('abort'),
      })
      .strict()
      .default({ timeout: '15m', escalation: [], finalPolicy: 'abort' }),
    // Teams own their runbooks, so a runbook may send its incidents' message to the team's channel.
    slack: z.object({ channel: slackChannel }).strict().optional(),
    dryRun: z.boolean().default(false),
    // Silence the incident's alerts in Alertmanager while this runbook remediates (when one is configured).
    silence: z.boolean().optional(),
    // Act automatically only during this time interval of the change calendar (STEADFAST_CALENDAR_FILE).
    hours: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'the name of a time interval in the change calendar')
      .optional(),
    guards: z
      .object({
        cooldown: duration.optional(),
        maxActionsPerTarget: z.number().int().min(1).max(1000).optional(),
        window: duration.optional(),
        maxTargets: z.number().int().min(1).max(100).optional(),
      })
      .strict()
      .default({}),
    steps: z.array(stepSchema).min(1).max(20),
    /** What the steps may touch: checked against the resolved objects before a plan is offered. */
    scope: scopeSchema.default({}),
    verify: z
      .object({
        promql: template.optional(),
        /**
         * The Prometheus (a configured one) that checks `promql`. Without it the check asks the server
         * whose rule detection confirmed, which the alert's generatorURL names: with several servers
         * configured that all load the rule, the alert's sender chooses where the fix is checked.
         */
        prometheus: z
          .string()
          .url()
          .regex(/^https?:\/\//, 'an http(s) URL')
          .optional(),
        within: duration.default('5m'),
        interval: duration.default('10s'),
      })
      .strict()
      .default({ within: '5m', interval: '10s' }),
  })
  .strict()
  .refine((r) => r.approval.finalPolicy !== 'auto-approve' || r.risk === 'low', {
    message: 'finalPolicy auto-approve is only allowed for low-risk runbooks',
    path: ['approval', 'finalPolicy'],
  })
  .superRefine((r, ctx) => {
    for (const problem of missingScopes(
      r.steps.map((s) => s.action),
      r.scope,
    )) {
      ctx.addIssue({ code: 'custom', message: problem.message, path: ['scope', ...problem.path] });
    }
  });

/**
 * Every family of actions a runbook takes needs its part of the scope: a runbook that acts says what
 * it may touch, so an alert's labels can never aim it at something its author did not mean.
 */
function missingScopes(actions: string[], scope: RunbookScope): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  const has = (prefix: string): boolean => actions.some((a) => a.startsWith(prefix));
  if (has('docker.') && !scope.docker) {
    problems.push({
      path: ['docker'],
      message:
        'this runbook acts on Docker containers: say which in scope.docker (labels such as com.docker.compose.project, and/or name patterns)',
    });
  }
  if (actions.some((a) => a.startsWith('docker.network-')) && !scope.docker?.networks) {
    problems.push({
      path: ['docker', 'networks'],
      message: 'this runbook connects or disconnects networks: list the networks it may touch',
    });
  }
  const onDeployments = actions.some((a) => a.startsWith('k8s.') && !/^k8s\.(un)?cordon$/.test(a));
  if (onDeployments && !scope.kubernetes?.namespaces) {
    problems.push({
      path: ['kubernetes', 'namespaces'],
      message: 'this runbook acts on Kubernetes deployments: list the namespaces it may touch',
    });
  }
  if (actions.some((a) => /^k8s\.(un)?cordon$/.test(a)) && !scope.kubernetes?.nodes) {
    problems.push({
      path: ['kubernetes', 'nodes'],
      message: 'this runbook cordons nodes: give the node labels it may touch in scope.kubernetes.nodes',
    });
  }
  if (has('http.') && !scope.http) {
    problems.push({
      path: ['http'],
      message: 'this runbook calls HTTP endpoints: list the hosts it may call in scope.http.hosts',
    });
  }
  return problems;
}

export type RunbookDefinition = z.infer<typeof runbookSchema>;
export interface Runbook extends RunbookDefinition {
  id: string;
  file: string;
}

export type RunbookProblem = FileProblem;

export class RunbookError extends FileProblemsError {
  constructor(problems: RunbookProblem[]) {
    super(problems);
    this.name = 'RunbookError';
  }
}

/** Parses one runbook file; throws a RunbookError naming file, line and field for each problem. */
export function parseRunbook(file: string, text: string): Runbook {
  const data = parseYamlFile(file, text, runbookSchema, {
    fail: (problems) => new RunbookError(problems),
    whole: '(runbook)',
  });
  const id = data.id ?? (file.split('/').pop() ?? file).replace(/\.ya?ml$/, '');
  return { ...data, id, file };
}

export interface IncidentFacts {
  alertName: string;
  labels: Record<string, string>;
  /** What triage found, for runbooks that match on it; unknown findings match no such rule. */
  findings?: { trend?: 'rising' | 'falling' | 'flat'; anomalyScore?: number };
}

function specificity(runbook: Runbook, facts: IncidentFacts): number | undefined {
  const { alertnames, labels, findings } = runbook.match;
  if (alertnames && !alertnames.includes(facts.alertName)) return undefined;
  for (const [name, value] of Object.entries(labels ?? {})) {
    if (facts.labels[name] !== value) return undefined;
  }
  if (findings?.trend !== undefined && facts.findings?.trend !== findings.trend) return undefined;
  if (
    findings?.minAnomalyScore !== undefined &&
    !((facts.findings?.anomalyScore ?? -1) >= findings.minAnomalyScore)
  ) {
    return undefined;
  }
  const findingRules =
    (findings?.trend !== undefined ? 1 : 0) + (findings?.minAnomalyScore !== undefined ? 1 : 0);
  return (alertnames ? 1 : 0) + Object.keys(labels ?? {}).length + findingRules;
}

const RISK_ORDER = { low: 0, medium: 1, high: 2 } as const;

/** Runbooks that match, most specific first; among equals the lower risk, then the id. */
export function matchRunbooks(runbooks: readonly Runbook[], facts: IncidentFacts): Runbook[] {
  return runbooks
    .map((r) => ({ r, score: specificity(r, facts) }))
    .filter((x): x is { r: Runbook; score: number } => x.score !== undefined)
    .sort(
      (a, b) =>
        b.score - a.score || RISK_ORDER[a.r.risk] - RISK_ORDER[b.r.risk] || a.r.id.localeCompare(b.r.id),
    )
    .map((x) => x.r);
}

/**
 * Why nobody could ever approve this runbook's plans, or undefined when someone can: a medium or
 * high-risk plan needs a named approver (in the runbook or STEADFAST_APPROVERS), as approval fails
 * closed (see approvalRefusal in the incident workflow).
 */
export function unapprovableReason(runbook: Runbook, globalApprovers: readonly string[]): string | undefined {
  if (runbook.risk === 'low' || runbook.approvers.length > 0 || globalApprovers.length > 0) return undefined;
  return `runbook ${runbook.id} is ${runbook.risk} risk and names no approvers, and STEADFAST_APPROVERS is empty: its plans can never be approved`;
}

/**
 * Why the runbook's check may not be about what its steps act on, or undefined: its `verify.promql` reads
 * alert labels that no step reads. The sender of an alert chooses every label, so with `container` for
 * the restart and `job` for the check it can have the check look at a healthy service (a failed fix
 * closes as verified) or at nothing (a working fix fails and is undone).
 */
export function verifyApartReason(runbook: Runbook): string | undefined {
  if (!runbook.verify.promql) return undefined;
  const acted = new Set(placeholdersIn(JSON.stringify(runbook.steps)));
  const apart = [...new Set(placeholdersIn(runbook.verify.promql))].filter((name) => !acted.has(name));
  if (apart.length === 0) return undefined;
  const names = apart.map((name) => `labels.${name}`).join(', ');
  return (
    `runbook ${runbook.id}: verify.promql reads ${names}, which no step reads: an alert's sender can aim ` +
    'the check at another object than the fix acts on; select the series by the labels the steps use'
  );
}

/**
 * Why the runbook's check splices a label where its value is not a quoted label value matched with `=`
 * or `!=` (promqlPlaceholdersMisplaced), or undefined.
 */
export function verifyPlacementReason(runbook: Runbook): string | undefined {
  const misplaced = runbook.verify.promql ? promqlPlaceholdersMisplaced(runbook.verify.promql) : [];
  if (misplaced.length === 0) return undefined;
  const names = misplaced.map((name) => `labels.${name}`).join(', ');
  return (
    `runbook ${runbook.id}: verify.promql puts ${names} outside a quoted label value matched with = or !=: ` +
    "there an alert's sender writes PromQL (a metric, a number) or, after =~, a regular expression; " +
    'write it as up{container="{{ labels.container }}"}'
  );
}

/**
 * Why the runbook's check may be asked of a Prometheus the runbook's author did not mean, or undefined:
 * its `verify.prometheus` is not one of `servers` (the configured ones; the check would ask
 * PROMETHEUS_URL), or several are configured and it names none (the alert's generatorURL chooses).
 */
export function verifyServerReason(runbook: Runbook, servers: readonly string[]): string | undefined {
  const { promql, prometheus } = runbook.verify;
  if (!promql) return undefined;
  if (prometheus !== undefined) {
    return new PrometheusServers(servers).serverFor(prometheus) === undefined
      ? `runbook ${runbook.id}: verify.prometheus ${prometheus} is not a configured Prometheus (PROMETHEUS_URL, STEADFAST_PROMETHEUS_URLS); the check asks PROMETHEUS_URL instead`
      : undefined;
  }
  return servers.length > 1
    ? `runbook ${runbook.id}: ${servers.length} Prometheus servers are configured and verify.prometheus names none: ` +
        "the alert's generatorURL chooses which one checks the fix, so its sender may pick one where the check holds whatever the fix did; name the server"
    : undefined;
}

/** What the warnings are judged against: the deployment's settings, as far as the surface knows them. */
export interface RunbookContext {
  approvers: readonly string[];
  /** The configured Prometheus servers (PROMETHEUS_URL first). */
  prometheus: readonly string[];
}

/** The warning of a check an alert's sender writes in part also says what planFromRunbook does about it. */
const unapproved = (reason: string | undefined): string | undefined =>
  reason && `${reason} (until then no policy approves its plans: people decide)`;

/**
 * What a person should know about a runbook that still loads: every surface (the start's log, the CLI's
 * check, the API's validation) says the same, each with an event name for the log.
 */
export function runbookWarnings(
  runbook: Runbook,
  context: RunbookContext,
): { event: string; message: string }[] {
  const found = [
    { event: 'runbook.unapprovable', message: unapprovableReason(runbook, context.approvers) },
    { event: 'runbook.verify-apart', message: verifyApartReason(runbook) },
    { event: 'runbook.verify-placement', message: unapproved(verifyPlacementReason(runbook)) },
    { event: 'runbook.verify-server', message: verifyServerReason(runbook, context.prometheus) },
  ];
  return found.flatMap(({ event, message }) => (message === undefined ? [] : [{ event, message }]));
}

/** A plan that would touch more targets than its runbook allows; nothing of it runs. */
export class BlastRadiusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlastRadiusError';
  }
}

export interface PlanDefaults {
  approvers: string[];
  /** By reference (STEADFAST_ESCALATION_WEBHOOK_URL), so the plan names where the URL is, not the URL. */
  escalationWebhookUrl?: WebhookUrl;
  dryRun: boolean;
  /** Guards for runbooks that set none of their own. */
  guards?: GuardPolicy;
  /** Approve low-risk runbooks at once, by policy (the demo runs unattended this way). */
  autoApproveLowRisk?: boolean;
}

/** At most 3 actions on one target an hour, 5 minutes apart, and 3 targets per incident. */
export const DEFAULT_GUARDS: GuardPolicy = {
  cooldownMs: 5 * 60_000,
  maxActionsPerTarget: 3,
  windowMs: 60 * 60_000,
  maxTargets: 3,
};

/** Turns a matched runbook into the incident's plan, filling and checking every placeholder. */
export function planFromRunbook(
  runbook: Runbook,
  facts: IncidentFacts,
  defaults: PlanDefaults,
): Recommendation {
  const steps = runbook.steps.map((step, i) => fillStep(step, facts.labels, `steps.${i}`));
  const base = defaults.guards ?? DEFAULT_GUARDS;
  const own = runbook.guards;
  const guards: GuardPolicy = {
    cooldownMs: own.cooldown !== undefined ? (parseDuration(own.cooldown) ?? 0) : base.cooldownMs,
    maxActionsPerTarget: own.maxActionsPerTarget ?? base.maxActionsPerTarget,
    windowMs: own.window !== undefined ? (parseDuration(own.window) ?? 0) : base.windowMs,
    maxTargets: own.maxTargets ?? base.maxTargets,
  };
  // The blast radius is known before anything runs, so a plan that exceeds it is refused outright.
  const targets = new Set(steps.map(actionTarget).filter((t): t is string => t !== undefined));
  if (targets.size > guards.maxTargets) {
    throw new BlastRadiusError(
      `the plan would touch ${targets.size} targets (${[...targets].join(', ')}), more than this runbook's limit of ${guards.maxTargets}`,
    );
  }
  // A check whose PromQL an alert's sender writes in part is for people to judge, so no policy approves
  // such a plan: neither auto-approval nor, when nobody answers, the final policy. (A check that reads a
  // label no step reads is only warned about: the sender picks among series, but writes no PromQL.)
  const steerable = verifyPlacementReason(runbook);
  const escalation: EscalationPlan = {
    timeoutMs: parseDuration(runbook.approval.timeout) ?? 900_000,
    levels: runbook.approval.escalation.map((level) => ({
      notify: level.notify,
      waitMs: parseDuration(level.wait) ?? 0,
    })),
    finalPolicy: steerable ? 'abort' : runbook.approval.finalPolicy,
  };
  const approval: Recommendation['approval'] =
    defaults.autoApproveLowRisk && runbook.risk === 'low' && !steerable ? 'immediate' : 'people';
  // A plan approved at once keeps the runbook's chain: a guard's refusal hands it to people, who follow
  // it as they would any plan's (escalationFor, in src/domain/incident.ts).
  if (escalation.levels.length === 0 && defaults.escalationWebhookUrl) {
    escalation.levels.push({
      notify: [{ type: 'log' }, { type: 'webhook', url: defaults.escalationWebhookUrl }],
      waitMs: escalation.timeoutMs,
    });
  }
  const promql = runbook.verify.promql
    ? fillPromQL(runbook.verify.promql, facts.labels, 'verify.promql')
    : undefined;
  const withinMs = parseDuration(runbook.verify.within) ?? 300_000;
  const matched = [
    runbook.match.alertnames ? `alert ${facts.alertName}` : '',
    ...Object.entries(runbook.match.labels ?? {}).map(([k, v]) => `${k}=${v}`),
    runbook.match.findings?.trend ? `a ${runbook.match.findings.trend} trend` : '',
    runbook.match.findings?.minAnomalyScore !== undefined
      ? `an anomaly score of at least ${runbook.match.findings.minAnomalyScore}`
      : '',
  ].filter(Boolean);
  const check = promql ? `checks ${promql}` : 'checks that the alerts resolve';
  return {
    runbookId: runbook.id,
    title: runbook.title,
    risk: runbook.risk,
    explanation:
      `Runbook "${runbook.id}" fits ${matched.join(', ')}: it will ${steps.map(describeAction).join(', then ')}, ` +
      `and ${check} within ${runbook.verify.within} (${runbook.risk} risk).` +
      (steerable ? ` No policy approves it: ${steerable}.` : ''),
    steps,
    approvers: [...new Set([...runbook.approvers, ...defaults.approvers])],
    approval,
    escalation,
    guards,
    verification: {
      ...(promql ? { promql } : {}),
      ...(promql && runbook.verify.prometheus ? { prometheusUrl: runbook.verify.prometheus } : {}),
      withinMs,
      intervalMs: parseDuration(runbook.verify.interval) ?? 10_000,
    },
    dryRun: defaults.dryRun || runbook.dryRun,
    ...(runbook.slack ? { slack: { channel: runbook.slack.channel } } : {}),
    ...(runbook.silence === false ? { silence: false as const } : {}),
    ...(runbook.hours !== undefined ? { hours: runbook.hours } : {}),
  };
}
