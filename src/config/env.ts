/**
 * Every environment variable Steadfast reads, in one schema: its parser, its default and its
 * description. loadSettings parses it, and docs/configuration.md is generated from it
 * (`npm run docs:config`), so a variable cannot be read without being documented.
 */
import { z } from 'zod';
import { DEFAULT_CORRELATION_LABELS } from '../domain/correlation.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import { DEFAULT_GUARDS } from '../domain/runbook.js';
import { commaList, durationMs } from '../domain/schemas.js';
import { fleetLabelSchema } from '../fleet/selector.js';

/** A yes/no switch; its default is written as configuration is, so the documentation shows it. */
const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .default(fallback)
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65_535);
const unsetIfEmpty = (v: unknown): unknown => (v === '' ? undefined : v);
const unsetIfBlank = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const httpUrl = z.url({ protocol: /^https?$/ });
const optionalUrl = z.preprocess(unsetIfEmpty, httpUrl.optional());
const optional = z.preprocess(unsetIfEmpty, z.string().optional());
const optionalText = z.preprocess(unsetIfBlank, z.string().optional());
/** A default taken from code elsewhere, written as configuration is (`5m`, not 300000). */
const durationText = (ms: number): string => formatDuration(ms).replace(/ /g, '');

const address = z.email({ error: 'an e-mail address such as steadfast@example.com' });
const sender = z
  .string()
  .trim()
  .refine((s) => address.safeParse(/^[^<>]*<([^<>]+)>$/.exec(s)?.[1] ?? s).success, {
    message: 'an address such as steadfast@example.com, or Steadfast <steadfast@example.com>',
  });

const api = {
  STEADFAST_API_HOST: z.string().default('127.0.0.1').describe('The address the API listens on.'),
  STEADFAST_API_PORT: port.default(8080).describe('The port the API listens on.'),
  STEADFAST_API_TOKEN: optional.describe(
    'A bearer token with every role (`npm start` generates one when neither this nor STEADFAST_TOKENS_FILE is set).',
  ),
  STEADFAST_API_IDENTITY: z
    .string()
    .min(1)
    .default('admin')
    .describe("The identity STEADFAST_API_TOKEN's holder acts as (in approvals and the timeline)."),
  STEADFAST_TOKENS_FILE: optional.describe(
    'A YAML file of further tokens: `tokens: [{identity, roles: [ingest, read, approve], token | sha256}]`.',
  ),
  STEADFAST_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1_048_576)
    .describe('The largest request body the API reads; a larger webhook gets 413.'),
  STEADFAST_WORKFLOW_CACHE_SIZE: z.coerce
    .number()
    .int()
    .min(0)
    .default(200)
    .describe(
      "Incidents a worker keeps in memory between their steps (`0`: none, far too slow). One waiting for a person costs about 0.65 MB cached, 0.1–0.3 MB not; an evicted one is rebuilt from its history when it next wakes, in milliseconds. See docs/deploy.md's sizing.",
    ),
  STEADFAST_ROLE: z
    .enum(['all', 'api'], { error: 'all or api' })
    .default('all')
    .describe(
      "What `npm start` (src/main.ts) runs: `all`, the API and a worker in one process; `api`, the API alone, for API replicas scaled apart from the workers (`worker.ts`), so that ingestion never waits behind a worker's workflow tasks on one event loop. See docs/deploy.md.",
    ),
  STEADFAST_WORKER_DRAIN: durationMs('30s').describe(
    'How long a stopping worker (SIGTERM, SIGINT) lets its activities in flight (a `wait` step, an action) finish while it takes no new work; it then cancels them, to be retried on another worker, and exits 15 s later if one still runs. Kubernetes must give it longer (the base: terminationGracePeriodSeconds 60).',
  ),
  STEADFAST_WORKER_METRICS_PORT: port
    .default(9464)
    .describe('Where a worker started alone (`worker.ts`) serves `/metrics`; `0` serves none.'),
  STEADFAST_CONSOLE_URL: optionalUrl.describe(
    "The console's address as people reach it, for links to an incident in Slack (its postmortem draft); unset, `http://<STEADFAST_API_HOST>:<STEADFAST_API_PORT>/` (127.0.0.1 for 0.0.0.0).",
  ),
  STEADFAST_LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
    .default('info')
    .describe('The least severe log line written: trace, debug, info, warn, error or fatal.'),
  STEADFAST_LOG_FORMAT: z
    .preprocess(unsetIfEmpty, z.enum(['text', 'json'], { error: 'text or json' }).optional())
    .describe(
      '`json` (one object a line) or `text` (for a person); unset, text when the output is a terminal (as under `npm start` and `npm run demo`), JSON otherwise.',
    ),
};

const temporal = {
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233').describe("The Temporal frontend's host:port."),
  TEMPORAL_NAMESPACE: z.string().default('default').describe('The Temporal namespace incidents run in.'),
  TEMPORAL_TASK_QUEUE: z
    .string()
    .default('steadfast-incidents')
    .describe('The task queue the worker polls and the API starts workflows on.'),
  TEMPORAL_TLS: flag('false').describe(
    'Connect with TLS (`true`, `1` or `yes`); on by itself when TEMPORAL_API_KEY is set.',
  ),
  TEMPORAL_TLS_CERT: optional.describe(
    "The client certificate's file, for mutual TLS (with TEMPORAL_TLS_KEY).",
  ),
  TEMPORAL_TLS_KEY: optional.describe("The client key's file, for mutual TLS."),
  TEMPORAL_TLS_CA: optional.describe(
    "The file of the CA that signed the server's certificate, if not a public one.",
  ),
  TEMPORAL_API_KEY: optional.describe('An API key, for Temporal Cloud.'),
  TEMPORAL_UI_URL: z
    .preprocess(unsetIfEmpty, httpUrl.default('http://127.0.0.1:8233'))
    .describe("The Temporal Web UI, for links to an incident's workflow."),
  STEADFAST_CODEC_KEYS: optional.describe(
    '`id:base64key,…` (32-byte keys): every payload sealed with AES-256-GCM before it reaches Temporal, the first key encrypting; give every process the same keys.',
  ),
  STEADFAST_MAX_NEW_INCIDENTS_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(0)
    .default(600)
    .describe(
      'Incidents one sender (token identity) may open a minute, per API process (0: no limit); past it its webhooks get 503 with Retry-After, which Alertmanager retries. Groups it reached in the last hour do not count.',
    ),
  STEADFAST_MAX_HISTORY_EVENTS: z.coerce
    .number()
    .int()
    .min(100)
    .max(8000)
    .default(5000)
    .describe(
      "An incident's history length at which its workflow continues as new; past eight times it or 9,000 events, whichever is less, webhooks to it get 503 until it does (Temporal refuses a run's signals past 10,000 and terminates it at 51,200 events).",
    ),
  STEADFAST_MAX_HISTORY_BYTES: z.coerce
    .number()
    .int()
    .min(1_048_576)
    .default(20 * 1_048_576)
    .describe(
      "An incident's history size in bytes past which webhooks to it get 503 (Alertmanager retries) until its workflow continues as new; read every 64 KiB of alerts sent. Temporal terminates a run at 50 MB.",
    ),
};

const detection = {
  PROMETHEUS_URL: optionalUrl.describe(
    'The Prometheus asked for detection, verification and watches; an alert never chooses one.',
  ),
  STEADFAST_PROMETHEUS_URLS: commaList()
    .pipe(z.array(httpUrl))
    .describe('Comma-separated further Prometheus servers whose alerts are read and asked of them.'),
  STEADFAST_CORRELATION_LABELS: commaList(DEFAULT_CORRELATION_LABELS.join(',')).describe(
    'The labels that make alerts one incident; `a|b` takes the first present.',
  ),
  STEADFAST_DEBOUNCE: durationMs('5s').describe(
    'How long a new incident gathers alerts; `0s` when every alert comes through Alertmanager, whose group_wait already does.',
  ),
  STEADFAST_DETECT_WINDOW: durationMs('1h').describe("The detection range query's window."),
  STEADFAST_DETECT_STEP: durationMs('15s').describe("The detection range query's step."),
  STEADFAST_DETECT_RECENT: durationMs('5m').describe(
    'The end of the window that counts as "now" against the baseline before it.',
  ),
  STEADFAST_SEASONAL_OFFSETS: commaList('1d,2d,7d')
    .refine((xs) => xs.every((x) => parseDuration(x) !== undefined), { message: 'durations such as 1d,7d' })
    .transform((xs) => xs.map((x) => parseDuration(x) ?? 0))
    .describe('How far back to look for the same time of day: the seasonal baseline.'),
  STEADFAST_WATCH_FILE: optional.describe(
    'A YAML file of watched queries; with it, a Schedule runs the watch workflow every STEADFAST_WATCH_INTERVAL.',
  ),
  STEADFAST_WATCH_INTERVAL: durationMs('1m').describe('How often the watched queries are evaluated.'),
};

const remediation = {
  STEADFAST_RUNBOOKS_DIR: z.string().default('runbooks').describe('The folder of runbooks (`*.yaml`).'),
  STEADFAST_REPORTS_DIR: z
    .string()
    .min(1)
    .default('data/reports')
    .describe(
      "Where each closed incident's report is written: the audit record that outlives Temporal's retention.",
    ),
  STEADFAST_APPROVERS: commaList().describe(
    'Comma-separated identities allowed to approve any runbook (medium and high-risk plans need one).',
  ),
  STEADFAST_AUTO_APPROVE_LOW_RISK: flag('false').describe(
    'Approve low-risk runbooks at once, by policy, without waiting for people (the demo does).',
  ),
  STEADFAST_DRY_RUN: flag('false').describe('Preview every remediation and change nothing.'),
  STEADFAST_ALERTMANAGER_URL: optionalUrl.describe(
    "Alertmanager (API v2): while a remediation runs, its incident's alerts are silenced there, and the silences expired at close (a runbook may turn this off with `silence: false`).",
  ),
  STEADFAST_CALENDAR_FILE: optional.describe(
    'A YAML change calendar: time intervals (as Alertmanager writes them) and freezes, during which no plan is approved automatically; runbooks may name its intervals as their `hours`.',
  ),
  STEADFAST_GUARD_COOLDOWN: durationMs(durationText(DEFAULT_GUARDS.cooldownMs)).describe(
    'Guard for runbooks that set none: the least time between two actions on one target.',
  ),
  STEADFAST_GUARD_MAX_ACTIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(DEFAULT_GUARDS.maxActionsPerTarget)
    .describe('Guard for runbooks that set none: the most actions on one target per STEADFAST_GUARD_WINDOW.'),
  STEADFAST_GUARD_WINDOW: durationMs(durationText(DEFAULT_GUARDS.windowMs)).describe(
    'Guard for runbooks that set none: the window STEADFAST_GUARD_MAX_ACTIONS counts in.',
  ),
  STEADFAST_GUARD_MAX_TARGETS: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(DEFAULT_GUARDS.maxTargets)
    .describe('Guard for runbooks that set none: the most targets one incident may act on.'),
  STEADFAST_DOCKER_SOCKET: z
    .string()
    .default('/var/run/docker.sock')
    .describe("The Docker Engine API's socket (or podman's); a `unix://` prefix is allowed."),
  STEADFAST_FLEET_LABEL: fleetLabelSchema
    .default('steadfast.fleet=true')
    .describe(
      "The containers the console's Fleet view and `GET /api/v1/fleet` show: those carrying this label (`key=value` or `key`), running or not, or `*` for every running container; at most 200, by name.",
    ),
  STEADFAST_FLEET_SAMPLE_INTERVAL: durationMs('15s').describe(
    'How often the API polls the fleet (the containers of `STEADFAST_FLEET_LABEL`) for its risk forecast and the `steadfast_fleet_*` gauges; `0s` turns the sampler off.',
  ),
  KUBECONFIG: optional.describe(
    'The kubeconfig of the cluster `k8s.*` actions act on (its current context); unset, they fail and change nothing.',
  ),
};

/** The `…_FILE` form of a secret URL: an absolute path to a file holding it. */
const secretFile = (example: string) =>
  z.preprocess(
    unsetIfEmpty,
    z.string().startsWith('/', `an absolute path such as /run/secrets/${example}`).optional(),
  );
const announced = (what: string): string =>
  `${what} every incident is announced to once, when triage is done (set it for the API and the worker).`;

const escalation = {
  STEADFAST_ESCALATION_WEBHOOK_URL: optionalUrl.describe(
    'The escalation webhook for runbooks without their own; plans name this variable, never the URL.',
  ),
  STEADFAST_ESCALATION_WEBHOOK_URL_FILE: z
    .preprocess(
      unsetIfEmpty,
      z.string().startsWith('/', 'an absolute path such as /run/secrets/escalation-webhook').optional(),
    )
    .describe('Instead of STEADFAST_ESCALATION_WEBHOOK_URL: an absolute path to a file holding the URL.'),
  STEADFAST_ONCALL_FILE: optional.describe(
    'A YAML file of people and on-call rotations (simple shifts, or an iCalendar file); an escalation level may page whoever is on call: `{ type: rotation, rotation: primary }` (docs/oncall.md).',
  ),
  SLACK_BOT_TOKEN: optionalText.describe(
    'The Slack bot token (`xoxb-…`, chat:write): posts escalations and incident messages; with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET, takes approvals.',
  ),
  SLACK_APP_TOKEN: z
    .preprocess(
      unsetIfEmpty,
      z
        .string()
        .startsWith(
          'xapp-',
          'an app-level token, which starts with xapp- (Basic Information → App-Level Tokens, scope connections:write)',
        )
        .optional(),
    )
    .describe('An app-level token (`xapp-…`): approvals over Socket Mode, with no public URL.'),
  SLACK_SIGNING_SECRET: optional.describe(
    "Instead of SLACK_APP_TOKEN: the app's signing secret, and Slack posts clicks to `/slack/events`.",
  ),
  SLACK_API_URL: z
    .preprocess(
      unsetIfBlank,
      z.url({ protocol: /^https?$/, error: 'an http(s) URL such as https://slack.com/api/' }).optional(),
    )
    .describe("Slack's Web API base URL, for a stand-in; `https://slack.com/api/` when unset."),
  SLACK_APPROVER_GROUPS: commaList().describe(
    'Comma-separated Slack user group IDs approvers may be named by; membership is looked up at each click.',
  ),
  SLACK_TEAM_IDS: commaList()
    .refine((ids) => ids.every((id) => /^[TE][A-Z0-9]{1,31}$/.test(id)), {
      message: 'Slack workspace (T…) or Enterprise Grid organisation (E…) IDs, comma-separated',
    })
    .describe(
      "Comma-separated Slack workspace (T…) or Grid organisation (E…) IDs whose users may act from Slack (Slack Connect guests are refused); unset, the bot token's own (from auth.test).",
    ),
  SLACK_CHANNEL: optional.describe(
    "The channel each incident's message is posted to (with Slack approvals), with or without a runbook; a runbook's `slack.channel` takes its place.",
  ),
  SLACK_WEBHOOK_URL: optionalUrl.describe(announced('A Slack incoming webhook')),
  SLACK_WEBHOOK_URL_FILE: secretFile('slack-webhook').describe(
    'Instead of SLACK_WEBHOOK_URL: an absolute path to a file holding the URL.',
  ),
  TEAMS_WEBHOOK_URL: optionalUrl.describe(announced('A Microsoft Teams incoming webhook (MessageCard)')),
  TEAMS_WEBHOOK_URL_FILE: secretFile('teams-webhook').describe(
    'Instead of TEAMS_WEBHOOK_URL: an absolute path to a file holding the URL.',
  ),
  DISCORD_WEBHOOK_URL: optionalUrl.describe(announced('A Discord webhook')),
  DISCORD_WEBHOOK_URL_FILE: secretFile('discord-webhook').describe(
    'Instead of DISCORD_WEBHOOK_URL: an absolute path to a file holding the URL.',
  ),
  SMTP_HOST: optionalText.describe('The SMTP server escalation e-mail is sent through; unset, no e-mail.'),
  SMTP_PORT: z
    .preprocess(
      unsetIfBlank,
      z.coerce
        .number({ error: 'a port number' })
        .int('a port number')
        .min(1, 'a port from 1 to 65535')
        .max(65_535, 'a port from 1 to 65535')
        .default(587),
    )
    .describe("The SMTP server's port."),
  SMTP_SECURE: z
    .preprocess(unsetIfBlank, z.enum(['true', 'false'], { error: 'true or false' }).optional())
    .describe('TLS from the start (`true`) or STARTTLS when offered (`false`); unset, `true` on port 465.'),
  SMTP_USER: optionalText.describe('The SMTP user name.'),
  SMTP_PASSWORD: optionalText.describe('The SMTP password (with SMTP_USER).'),
  SMTP_FROM: z
    .preprocess(unsetIfBlank, sender.optional())
    .describe(
      'The sender: `steadfast@example.com` or `Steadfast <steadfast@example.com>`; needed with SMTP_HOST.',
    ),
};

/** OTLP headers as the OpenTelemetry specification writes them: `key=value,…`, values percent-encoded. */
const otlpHeaders = commaList().transform((pairs, ctx) => {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, Math.max(at, 0)).trim().toLowerCase();
    let value: string | undefined;
    try {
      value = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      value = undefined;
    }
    // The value is never echoed: it is usually a credential.
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key) || value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'key=value pairs, comma-separated, values percent-encoded' });
      return z.NEVER;
    }
    headers[key] = value;
  }
  return headers;
});

const tracing = {
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl.describe(
    "An OpenTelemetry collector's OTLP/HTTP address (`http://collector:4318`): with it, each incident is traced from the webhook through its workflow and activities to their outgoing calls, and the spans are posted to `<address>/v1/traces`; unset, nothing of tracing is loaded. See docs/tracing.md.",
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl.describe(
    'Instead of OTEL_EXPORTER_OTLP_ENDPOINT: the full URL spans are posted to, such as `http://collector:4318/v1/traces`.',
  ),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .preprocess(
      unsetIfEmpty,
      z
        .enum(['http/protobuf', 'http/json'], {
          error:
            "http/protobuf or http/json (gRPC is not supported: use the collector's OTLP/HTTP port, 4318)",
        })
        .default('http/protobuf'),
    )
    .describe('How spans are sent: `http/protobuf` or `http/json`.'),
  OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders.describe(
    "Headers sent with each export, `key=value,…` with values percent-encoded, such as a collector's `authorization`.",
  ),
  OTEL_SERVICE_NAME: optionalText.describe(
    'The `service.name` of the spans; unset, `steadfast` (`npm start`, API and worker in one process) or `steadfast-worker` (`worker.ts`).',
  ),
};

/** The variables in the order and groups docs/configuration.md shows them. */
export const envSections = [
  { title: 'API, access and logs', fields: api },
  { title: 'Temporal', fields: temporal },
  { title: 'Detection and watches', fields: detection },
  { title: 'Runbooks, approval and remediation', fields: remediation },
  { title: 'Escalation, Slack and e-mail', fields: escalation },
  { title: 'Tracing (OpenTelemetry)', fields: tracing },
] as const;

export const envShape = {
  ...api,
  ...temporal,
  ...detection,
  ...remediation,
  ...escalation,
  ...tracing,
};

/** The variables the notification channels (src/notify) are built from. */
export const notifyEnvShape = {
  SLACK_BOT_TOKEN: escalation.SLACK_BOT_TOKEN,
  SLACK_API_URL: escalation.SLACK_API_URL,
  SMTP_HOST: escalation.SMTP_HOST,
  SMTP_PORT: escalation.SMTP_PORT,
  SMTP_SECURE: escalation.SMTP_SECURE,
  SMTP_USER: escalation.SMTP_USER,
  SMTP_PASSWORD: escalation.SMTP_PASSWORD,
  SMTP_FROM: escalation.SMTP_FROM,
};
export type NotifyEnv = z.output<z.ZodObject<typeof notifyEnvShape>>;

/** Settings that only make sense together: each problem names the variable to set. */
function checkNotify(env: NotifyEnv, ctx: z.RefinementCtx): void {
  if (env.SLACK_API_URL && !env.SLACK_BOT_TOKEN) {
    ctx.addIssue({
      code: 'custom',
      path: ['SLACK_BOT_TOKEN'],
      message: 'SLACK_API_URL is set: set SLACK_BOT_TOKEN too',
    });
  }
  if (!env.SMTP_HOST) {
    for (const name of ['SMTP_USER', 'SMTP_PASSWORD', 'SMTP_FROM'] as const) {
      if (env[name])
        ctx.addIssue({ code: 'custom', path: ['SMTP_HOST'], message: `${name} is set: set SMTP_HOST too` });
    }
    return;
  }
  if (!env.SMTP_FROM) {
    ctx.addIssue({
      code: 'custom',
      path: ['SMTP_FROM'],
      message: 'SMTP_HOST is set: set the sender address too',
    });
  }
  if (env.SMTP_PASSWORD && !env.SMTP_USER) {
    ctx.addIssue({ code: 'custom', path: ['SMTP_USER'], message: 'SMTP_PASSWORD is set: set SMTP_USER too' });
  }
}

/** Every setting the product reads, validated once at start. */
export const envSchema = z.object(envShape).superRefine(checkNotify);
export type Env = z.output<typeof envSchema>;

/** Just the notification channels' variables, checked as in envSchema. */
export const notifyEnvSchema = z.object(notifyEnvShape).superRefine(checkNotify);
