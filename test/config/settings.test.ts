import { describe, expect, it } from 'vitest';
import { envShape } from '../../src/config/env.js';
import { loadSettings, SettingsError } from '../../src/config/settings.js';
import { DEFAULT_GUARDS } from '../../src/domain/runbook.js';

/** A configuration with every optional part on, so that each variable has something to change. */
const base: Record<string, string> = {
  STEADFAST_API_TOKEN: 'token-a',
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret-a',
  SMTP_HOST: 'smtp.example.com',
  SMTP_FROM: 'steadfast@example.com',
  SMTP_USER: 'steadfast',
  TEMPORAL_TLS: 'true',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
};

/** For each variable, a valid value other than base's (or the default). */
const other: Record<keyof typeof envShape, string> = {
  STEADFAST_API_HOST: '0.0.0.0',
  STEADFAST_API_PORT: '8081',
  STEADFAST_API_TOKEN: 'token-b',
  STEADFAST_API_IDENTITY: 'root',
  STEADFAST_TOKENS_FILE: '/etc/steadfast/tokens.yaml',
  STEADFAST_MAX_BODY_BYTES: '2048',
  STEADFAST_ROLE: 'api',
  STEADFAST_WORKER_METRICS_PORT: '0',
  STEADFAST_WORKFLOW_CACHE_SIZE: '0',
  STEADFAST_WORKER_DRAIN: '0s',
  STEADFAST_LOG_LEVEL: 'debug',
  STEADFAST_LOG_FORMAT: 'text',
  STEADFAST_CONSOLE_URL: 'https://steadfast.example.com/console',
  TEMPORAL_ADDRESS: 'temporal:7233',
  TEMPORAL_NAMESPACE: 'prod',
  TEMPORAL_TASK_QUEUE: 'q',
  TEMPORAL_TLS: 'false',
  TEMPORAL_TLS_CERT: '/tls/crt',
  TEMPORAL_TLS_KEY: '/tls/key',
  TEMPORAL_TLS_CA: '/tls/ca',
  TEMPORAL_API_KEY: 'key',
  TEMPORAL_UI_URL: 'http://temporal-ui:8080',
  STEADFAST_CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  STEADFAST_MAX_NEW_INCIDENTS_PER_MINUTE: '120',
  STEADFAST_MAX_HISTORY_EVENTS: '1000',
  STEADFAST_MAX_HISTORY_BYTES: '4194304',
  PROMETHEUS_URL: 'http://prometheus:9090',
  STEADFAST_PROMETHEUS_URLS: 'http://p2:9090',
  STEADFAST_CORRELATION_LABELS: 'alertname',
  STEADFAST_DEBOUNCE: '0s',
  STEADFAST_DETECT_WINDOW: '2h',
  STEADFAST_DETECT_STEP: '30s',
  STEADFAST_DETECT_RECENT: '10m',
  STEADFAST_SEASONAL_OFFSETS: '7d',
  STEADFAST_WATCH_FILE: 'watches.yaml',
  STEADFAST_WATCH_INTERVAL: '5m',
  STEADFAST_RUNBOOKS_DIR: '/runbooks',
  STEADFAST_REPORTS_DIR: '/reports',
  STEADFAST_APPROVERS: 'alice',
  STEADFAST_AUTO_APPROVE_LOW_RISK: 'true',
  STEADFAST_DRY_RUN: 'true',
  STEADFAST_ALERTMANAGER_URL: 'http://127.0.0.1:9093',
  STEADFAST_CALENDAR_FILE: '/etc/steadfast/calendar.yaml',
  STEADFAST_ONCALL_FILE: '/etc/steadfast/oncall.yaml',
  STEADFAST_GUARD_COOLDOWN: '1m',
  STEADFAST_GUARD_MAX_ACTIONS: '5',
  STEADFAST_GUARD_WINDOW: '2h',
  STEADFAST_GUARD_MAX_TARGETS: '1',
  STEADFAST_DOCKER_SOCKET: '/run/podman/podman.sock',
  STEADFAST_FLEET_LABEL: '*',
  STEADFAST_FLEET_SAMPLE_INTERVAL: '30s',
  KUBECONFIG: '/kube/config',
  STEADFAST_ESCALATION_WEBHOOK_URL: 'https://hooks.example.com/x',
  STEADFAST_ESCALATION_WEBHOOK_URL_FILE: '/run/secrets/hook',
  SLACK_BOT_TOKEN: 'xoxb-2',
  SLACK_APP_TOKEN: 'xapp-1-A1-2-abc',
  SLACK_SIGNING_SECRET: 'secret-b',
  SLACK_API_URL: 'http://127.0.0.1:9/api/',
  SLACK_APPROVER_GROUPS: 'S1',
  SLACK_TEAM_IDS: 'T0123ABCD,E0123ABCD',
  SLACK_CHANNEL: '#incidents',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T1/B1/x',
  SLACK_WEBHOOK_URL_FILE: '/run/secrets/slack-webhook',
  TEAMS_WEBHOOK_URL: 'https://example.webhook.office.com/webhookb2/x',
  TEAMS_WEBHOOK_URL_FILE: '/run/secrets/teams-webhook',
  DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/x',
  DISCORD_WEBHOOK_URL_FILE: '/run/secrets/discord-webhook',
  SMTP_HOST: 'mail.example.com',
  SMTP_PORT: '2525',
  SMTP_SECURE: 'true',
  SMTP_USER: 'bot',
  SMTP_PASSWORD: 'pw',
  SMTP_FROM: 'ops@example.com',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com:4318/',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20t0ken,X-Scope-OrgID=ops',
  OTEL_SERVICE_NAME: 'steadfast-eu',
};

describe('the settings schema (src/config/env.ts)', () => {
  it.each(Object.keys(envShape))('reads %s into the settings: no variable is parsed and dropped', (name) => {
    const value = other[name as keyof typeof envShape];
    expect(value, `give ${name} a sample value in this test`).toBeDefined();
    const changed = loadSettings({ ...base, [name]: value });
    expect(changed).not.toEqual(loadSettings(base));
  });

  it('takes the default guards from the runbook engine, so both agree', () => {
    expect(loadSettings({}).guards).toEqual(DEFAULT_GUARDS);
  });

  it('reads the Slack bot token once, for approvals and notifications alike', () => {
    const s = loadSettings({ SLACK_BOT_TOKEN: 'xoxb-9', SLACK_APP_TOKEN: 'xapp-1-A1-2-abc' });
    expect(s.slack?.botToken).toBe('xoxb-9');
    expect(s.notify.slack).toEqual({ token: 'xoxb-9' });
  });

  it('reports a notification problem with the other problems, naming each variable', () => {
    expect(() => loadSettings({ STEADFAST_API_PORT: 'eighty', SMTP_HOST: 'h' })).toThrow(SettingsError);
    expect(() => loadSettings({ SMTP_HOST: 'h' })).toThrow(
      'invalid configuration:\n  SMTP_FROM: SMTP_HOST is set: set the sender address too',
    );
    expect(() => loadSettings({ SLACK_API_URL: 'slack.com/api' })).toThrow(
      'SLACK_API_URL: an http(s) URL such as https://slack.com/api/',
    );
  });

  it('names each announcement webhook by its variable or file, never by its URL, and refuses both at once', () => {
    const s = loadSettings({
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T1/B1/secret-path',
      DISCORD_WEBHOOK_URL_FILE: '/run/secrets/discord-webhook',
    });
    expect(s.announceWebhooks).toEqual([
      { type: 'slack', url: { secret: { env: 'SLACK_WEBHOOK_URL' } } },
      { type: 'discord', url: { secret: { file: '/run/secrets/discord-webhook' } } },
    ]);
    expect(() =>
      loadSettings({ TEAMS_WEBHOOK_URL: 'https://t.example.com/x', TEAMS_WEBHOOK_URL_FILE: '/run/t' }),
    ).toThrow('TEAMS_WEBHOOK_URL_FILE: set it or TEAMS_WEBHOOK_URL, not both');
  });

  it('keeps the Temporal Web UI default when the variable is empty', () => {
    expect(loadSettings({ TEMPORAL_UI_URL: '' }).temporal.uiUrl).toBe('http://127.0.0.1:8233');
  });
});
