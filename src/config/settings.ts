import type { AnnounceWebhook, GuardPolicy } from '../domain/incident.js';
import { notifyChannelsFrom, type NotifyChannels } from '../notify/settings.js';
import { envSecret, type SecretRef } from '../secrets/reference.js';
import { CodecKeyError, parseCodecKeys, type CodecKey } from '../temporal/codec.js';
import { telemetrySettingsFrom, type TelemetrySettings } from '../telemetry/settings.js';
import { fleetSelectorOf, type FleetSelector } from '../fleet/selector.js';
import { envSchema, type Env } from './env.js';

export interface Settings {
  api: { host: string; port: number; maxBodyBytes: number };
  /** The console's address as people reach it (links in Slack), ending in `/`. */
  consoleUrl: string;
  /** What src/main.ts runs: the API and a worker, or the API alone (STEADFAST_ROLE). */
  role: 'all' | 'api';
  /** Where a worker started alone (worker.ts) serves /metrics; 0 serves none. */
  workerMetricsPort: number;
  /** Workflows a worker keeps cached (STEADFAST_WORKFLOW_CACHE_SIZE). */
  workflowCacheSize: number;
  /** How long a stopping worker lets its activities in flight finish (STEADFAST_WORKER_DRAIN). */
  workerDrainMs: number;
  auth: { token?: string; identity: string; tokensFile?: string };
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    tls: boolean;
    tlsCert?: string;
    tlsKey?: string;
    tlsCa?: string;
    apiKey?: string;
    uiUrl: string;
    /** Payload encryption keys (STEADFAST_CODEC_KEYS), the first encrypting; absent: payloads as they are. */
    codecKeys?: CodecKey[];
  };
  prometheusUrl?: string;
  /** Further Prometheus servers triage may ask: an alert's generatorURL is read only from these origins. */
  prometheusUrls: string[];
  runbooksDir: string;
  /**
   * Where each closed incident's report is written: Temporal deletes histories after the namespace's
   * retention period, and the audit record must outlive it.
   */
  reportsDir: string;
  approvers: string[];
  correlationLabels: string[];
  debounceMs: number;
  detectWindowMs: number;
  detectStepMs: number;
  detectRecentMs: number;
  seasonalOffsetsMs: number[];
  /**
   * Where the default escalation webhook's URL is read when a notice is sent: plans name the variable
   * or file (STEADFAST_ESCALATION_WEBHOOK_URL or …_FILE), never the URL, whose path is its secret.
   */
  escalationWebhook?: SecretRef;
  dryRun: boolean;
  /** Alertmanager, where remediations silence their incident's alerts; absent: nothing is silenced. */
  alertmanagerUrl?: string;
  /** The change calendar (freezes, time intervals for runbooks' hours); absent: nothing is frozen. */
  calendarFile?: string;
  /** People and on-call rotations, for escalation levels that page a rotation; absent: none can. */
  oncallFile?: string;
  /** Approve low-risk runbooks at once, without waiting for people. */
  autoApproveLowRisk: boolean;
  /** Guards for runbooks that set none of their own. */
  guards: GuardPolicy;
  maxHistoryEvents: number;
  /** Incidents one sender may open a minute in one API process; 0: no limit (NewIncidentLimit). */
  maxNewIncidentsPerMinute: number;
  /** History bytes past which large deliveries to an incident wait (src/incidents/ingest.ts). */
  maxHistoryBytes: number;
  dockerSocket: string;
  /** The containers the fleet view reads (STEADFAST_FLEET_LABEL). */
  fleetSelector: FleetSelector;
  /** How often the API samples the fleet; 0: never (STEADFAST_FLEET_SAMPLE_INTERVAL). */
  fleetSampleIntervalMs: number;
  /** The kubeconfig file of the cluster Kubernetes actions act on; without it they fail, changing nothing. */
  kubeconfig?: string;
  /**
   * Slack approvals: the bot token with either the app-level token (Socket Mode: the app opens a
   * WebSocket to Slack, and the signing secret is not needed) or the signing secret (Slack posts to
   * /slack/events).
   */
  slack?: {
    signingSecret?: string;
    appToken?: string;
    botToken: string;
    apiUrl?: string;
    approverGroups: string[];
    /** The workspaces whose users may act from Slack; empty: the bot token's own (src/slack/workspace.ts). */
    teams: string[];
    channel?: string;
  };
  /** Where escalations can go besides logs and webhooks: Slack, SMTP. */
  notify: NotifyChannels;
  /** The incoming webhooks every incident is announced to (SLACK_, TEAMS_, DISCORD_WEBHOOK_URL), by reference. */
  announceWebhooks: AnnounceWebhook[];
  /** Watched queries (YAML); with it, a Schedule runs the watch workflow every watchIntervalMs. */
  watchFile?: string;
  watchIntervalMs: number;
  logLevel: Env['STEADFAST_LOG_LEVEL'];
  /** Unset: text when stdout is a terminal, JSON otherwise (see createLogger). */
  logFormat?: 'text' | 'json';
  /** OpenTelemetry tracing (docs/tracing.md); absent: none, and nothing of it is loaded. */
  telemetry?: TelemetrySettings;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** STEADFAST_CONSOLE_URL, or where the API listens (reached on loopback when it listens everywhere). */
function consoleUrlOf(e: Env): string {
  const url = e.STEADFAST_CONSOLE_URL;
  if (url) return url.endsWith('/') ? url : `${url}/`;
  const host = ['0.0.0.0', '::', ''].includes(e.STEADFAST_API_HOST) ? '127.0.0.1' : e.STEADFAST_API_HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${e.STEADFAST_API_PORT}/`;
}

const ANNOUNCE_WEBHOOKS = [
  ['slack', 'SLACK_WEBHOOK_URL'],
  ['teams', 'TEAMS_WEBHOOK_URL'],
  ['discord', 'DISCORD_WEBHOOK_URL'],
] as const;

/** The configured announcement webhooks, each named by its variable or file, never by its URL. */
function announceWebhooksOf(e: Env): AnnounceWebhook[] {
  return ANNOUNCE_WEBHOOKS.flatMap(([type, name]) => {
    const file = e[`${name}_FILE`];
    if (e[name] && file) {
      throw new SettingsError(`invalid configuration:\n  ${name}_FILE: set it or ${name}, not both`);
    }
    if (file) return [{ type, url: { secret: { file } } }];
    return e[name] ? [{ type, url: envSecret(name) }] : [];
  });
}

/** STEADFAST_CODEC_KEYS parsed, or undefined when unset. */
function codecKeysOf(e: Env): CodecKey[] | undefined {
  try {
    return e.STEADFAST_CODEC_KEYS ? parseCodecKeys(e.STEADFAST_CODEC_KEYS) : undefined;
  } catch (err) {
    if (err instanceof CodecKeyError)
      throw new SettingsError(`invalid configuration:\n  STEADFAST_CODEC_KEYS: ${err.message}`);
    throw err;
  }
}

function temporalOf(e: Env): Settings['temporal'] {
  const codecKeys = codecKeysOf(e);
  return {
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    tls: e.TEMPORAL_TLS || e.TEMPORAL_API_KEY !== undefined,
    tlsCert: e.TEMPORAL_TLS_CERT,
    tlsKey: e.TEMPORAL_TLS_KEY,
    tlsCa: e.TEMPORAL_TLS_CA,
    apiKey: e.TEMPORAL_API_KEY,
    uiUrl: e.TEMPORAL_UI_URL,
    ...(codecKeys ? { codecKeys } : {}),
  };
}

/** The default escalation webhook, named by its variable or file, never by its URL. */
function escalationWebhookOf(e: Env): SecretRef | undefined {
  if (e.STEADFAST_ESCALATION_WEBHOOK_URL && e.STEADFAST_ESCALATION_WEBHOOK_URL_FILE) {
    throw new SettingsError(
      'invalid configuration:\n  STEADFAST_ESCALATION_WEBHOOK_URL_FILE: set it or STEADFAST_ESCALATION_WEBHOOK_URL, not both',
    );
  }
  if (e.STEADFAST_ESCALATION_WEBHOOK_URL_FILE)
    return { secret: { file: e.STEADFAST_ESCALATION_WEBHOOK_URL_FILE } };
  return e.STEADFAST_ESCALATION_WEBHOOK_URL ? envSecret('STEADFAST_ESCALATION_WEBHOOK_URL') : undefined;
}

/** Slack approvals, when the bot token and a way to receive (Socket Mode or signed requests) are both set. */
function slackOf(e: Env): Settings['slack'] {
  const receiver = e.SLACK_APP_TOKEN ?? e.SLACK_SIGNING_SECRET;
  if ((receiver === undefined) !== (e.SLACK_BOT_TOKEN === undefined)) {
    throw new SettingsError(
      'invalid configuration:\n  Slack needs SLACK_BOT_TOKEN and either SLACK_APP_TOKEN (Socket Mode) or ' +
        'SLACK_SIGNING_SECRET (requests to /slack/events)',
    );
  }
  if (!receiver || !e.SLACK_BOT_TOKEN) return undefined;
  return {
    ...(e.SLACK_SIGNING_SECRET ? { signingSecret: e.SLACK_SIGNING_SECRET } : {}),
    ...(e.SLACK_APP_TOKEN ? { appToken: e.SLACK_APP_TOKEN } : {}),
    botToken: e.SLACK_BOT_TOKEN,
    ...(e.SLACK_API_URL ? { apiUrl: e.SLACK_API_URL } : {}),
    approverGroups: e.SLACK_APPROVER_GROUPS,
    teams: e.SLACK_TEAM_IDS,
    ...(e.SLACK_CHANNEL ? { channel: e.SLACK_CHANNEL } : {}),
  };
}

/** The settings read as given, each optional file or URL present only when set. */
function optionalOf(
  e: Env,
): Pick<
  Settings,
  | 'escalationWebhook'
  | 'alertmanagerUrl'
  | 'calendarFile'
  | 'oncallFile'
  | 'kubeconfig'
  | 'slack'
  | 'logFormat'
  | 'telemetry'
> {
  const escalationWebhook = escalationWebhookOf(e);
  const slack = slackOf(e);
  const telemetry = telemetrySettingsFrom(e);
  return {
    ...(escalationWebhook ? { escalationWebhook } : {}),
    ...(e.STEADFAST_ALERTMANAGER_URL ? { alertmanagerUrl: e.STEADFAST_ALERTMANAGER_URL } : {}),
    ...(e.STEADFAST_CALENDAR_FILE ? { calendarFile: e.STEADFAST_CALENDAR_FILE } : {}),
    ...(e.STEADFAST_ONCALL_FILE ? { oncallFile: e.STEADFAST_ONCALL_FILE } : {}),
    ...(e.KUBECONFIG ? { kubeconfig: e.KUBECONFIG } : {}),
    ...(slack ? { slack } : {}),
    ...(e.STEADFAST_LOG_FORMAT ? { logFormat: e.STEADFAST_LOG_FORMAT } : {}),
    ...(telemetry ? { telemetry } : {}),
  };
}

/** Reads and checks the environment; throws a SettingsError naming each bad variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new SettingsError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    role: e.STEADFAST_ROLE,
    workerMetricsPort: e.STEADFAST_WORKER_METRICS_PORT,
    workflowCacheSize: e.STEADFAST_WORKFLOW_CACHE_SIZE,
    workerDrainMs: e.STEADFAST_WORKER_DRAIN,
    consoleUrl: consoleUrlOf(e),
    api: { host: e.STEADFAST_API_HOST, port: e.STEADFAST_API_PORT, maxBodyBytes: e.STEADFAST_MAX_BODY_BYTES },
    auth: {
      token: e.STEADFAST_API_TOKEN,
      identity: e.STEADFAST_API_IDENTITY,
      tokensFile: e.STEADFAST_TOKENS_FILE,
    },
    temporal: temporalOf(e),
    prometheusUrl: e.PROMETHEUS_URL,
    prometheusUrls: e.STEADFAST_PROMETHEUS_URLS,
    runbooksDir: e.STEADFAST_RUNBOOKS_DIR,
    reportsDir: e.STEADFAST_REPORTS_DIR,
    approvers: e.STEADFAST_APPROVERS,
    correlationLabels: e.STEADFAST_CORRELATION_LABELS,
    debounceMs: e.STEADFAST_DEBOUNCE,
    detectWindowMs: e.STEADFAST_DETECT_WINDOW,
    detectStepMs: e.STEADFAST_DETECT_STEP,
    detectRecentMs: e.STEADFAST_DETECT_RECENT,
    seasonalOffsetsMs: e.STEADFAST_SEASONAL_OFFSETS,
    dryRun: e.STEADFAST_DRY_RUN,
    autoApproveLowRisk: e.STEADFAST_AUTO_APPROVE_LOW_RISK,
    guards: {
      cooldownMs: e.STEADFAST_GUARD_COOLDOWN,
      maxActionsPerTarget: e.STEADFAST_GUARD_MAX_ACTIONS,
      windowMs: e.STEADFAST_GUARD_WINDOW,
      maxTargets: e.STEADFAST_GUARD_MAX_TARGETS,
    },
    maxHistoryEvents: e.STEADFAST_MAX_HISTORY_EVENTS,
    maxNewIncidentsPerMinute: e.STEADFAST_MAX_NEW_INCIDENTS_PER_MINUTE,
    maxHistoryBytes: e.STEADFAST_MAX_HISTORY_BYTES,
    dockerSocket: e.STEADFAST_DOCKER_SOCKET.replace(/^unix:\/\//, ''),
    fleetSelector: fleetSelectorOf(e.STEADFAST_FLEET_LABEL),
    fleetSampleIntervalMs: e.STEADFAST_FLEET_SAMPLE_INTERVAL,
    notify: notifyChannelsFrom(e),
    announceWebhooks: announceWebhooksOf(e),
    watchFile: e.STEADFAST_WATCH_FILE,
    watchIntervalMs: e.STEADFAST_WATCH_INTERVAL,
    logLevel: e.STEADFAST_LOG_LEVEL,
    ...optionalOf(e),
  };
}
