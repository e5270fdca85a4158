import { notifyEnvSchema, type NotifyEnv } from '../config/env.js';

/** The Slack app that posts escalations (a bot token with chat:write). */
export interface SlackSettings {
  token: string;
  /** The Web API's base URL; https://slack.com/api/ unless set (tests point it at a stand-in). */
  apiUrl?: string;
}

/** The SMTP server that sends escalation e-mail. */
export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the start (usually port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user?: string;
  password?: string;
  /** The sender: an address, or `Name <address>`. */
  from: string;
}

/** The channels escalation targets need; a target whose channel is missing fails non-retryably. */
export interface NotifyChannels {
  slack?: SlackSettings;
  smtp?: SmtpSettings;
}

export class NotifySettingsError extends Error {
  constructor(readonly problems: { setting: string; message: string }[]) {
    super(problems.map((p) => `${p.setting}: ${p.message}`).join('\n'));
    this.name = 'NotifySettingsError';
  }
}

/**
 * The notification channels from the environment alone: SLACK_BOT_TOKEN, SLACK_API_URL and the SMTP_*
 * variables (src/config/env.ts describes each). Throws a NotifySettingsError naming every bad setting.
 */
export function notifyChannelsFromEnv(env: Record<string, string | undefined> = process.env): NotifyChannels {
  const result = notifyEnvSchema.safeParse(env);
  if (!result.success) {
    throw new NotifySettingsError(
      result.error.issues.map((issue) => ({
        setting: issue.path.join('.') || '(notify)',
        message: issue.message,
      })),
    );
  }
  return notifyChannelsFrom(result.data);
}

/** The channels the checked variables configure; a channel whose main setting is unset is left out. */
export function notifyChannelsFrom(e: NotifyEnv): NotifyChannels {
  const channels: NotifyChannels = {};
  if (e.SLACK_BOT_TOKEN) {
    channels.slack = { token: e.SLACK_BOT_TOKEN, ...(e.SLACK_API_URL ? { apiUrl: e.SLACK_API_URL } : {}) };
  }
  if (e.SMTP_HOST && e.SMTP_FROM) {
    channels.smtp = {
      host: e.SMTP_HOST,
      port: e.SMTP_PORT,
      secure: e.SMTP_SECURE === undefined ? e.SMTP_PORT === 465 : e.SMTP_SECURE === 'true',
      ...(e.SMTP_USER ? { user: e.SMTP_USER } : {}),
      ...(e.SMTP_PASSWORD ? { password: e.SMTP_PASSWORD } : {}),
      from: e.SMTP_FROM,
    };
  }
  return channels;
}
