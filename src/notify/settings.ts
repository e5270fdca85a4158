import { z } from 'zod';

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

const empty = (v: unknown): unknown => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(empty, z.string().optional());
const address = z.email({ error: 'an e-mail address such as steadfast@example.com' });
const sender = z
  .string()
  .trim()
  .refine((s) => address.safeParse(/^[^<>]*<([^<>]+)>$/.exec(s)?.[1] ?? s).success, {
    message: 'an address such as steadfast@example.com, or Steadfast <steadfast@example.com>',
  });

const envSchema = z
  .object({
    SLACK_BOT_TOKEN: optionalText,
    SLACK_API_URL: z.preprocess(
      empty,
      z.url({ protocol: /^https?$/, error: 'an http(s) URL such as https://slack.com/api/' }).optional(),
    ),
    SMTP_HOST: optionalText,
    SMTP_PORT: z.preprocess(
      empty,
      z.coerce
        .number({ error: 'a port number' })
        .int('a port number')
        .min(1, 'a port from 1 to 65535')
        .max(65_535, 'a port from 1 to 65535')
        .default(587),
    ),
    SMTP_SECURE: z.preprocess(empty, z.enum(['true', 'false'], { error: 'true or false' }).optional()),
    SMTP_USER: optionalText,
    SMTP_PASSWORD: optionalText,
    SMTP_FROM: z.preprocess(empty, sender.optional()),
  })
  .superRefine((env, ctx) => {
    if (env.SLACK_API_URL && !env.SLACK_BOT_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_BOT_TOKEN'],
        message: 'SLACK_API_URL is set: set SLACK_BOT_TOKEN too',
      });
    }
    const smtpSet = ['SMTP_USER', 'SMTP_PASSWORD', 'SMTP_FROM'] as const;
    if (!env.SMTP_HOST) {
      for (const name of smtpSet) {
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
      ctx.addIssue({
        code: 'custom',
        path: ['SMTP_USER'],
        message: 'SMTP_PASSWORD is set: set SMTP_USER too',
      });
    }
  });

export class NotifySettingsError extends Error {
  constructor(readonly problems: { setting: string; message: string }[]) {
    super(problems.map((p) => `${p.setting}: ${p.message}`).join('\n'));
    this.name = 'NotifySettingsError';
  }
}

/**
 * The notification channels from the environment: SLACK_BOT_TOKEN, SLACK_API_URL, SMTP_HOST,
 * SMTP_PORT (587), SMTP_SECURE (true/false; true by default on port 465), SMTP_USER, SMTP_PASSWORD,
 * SMTP_FROM. A channel whose main setting is unset is left out. Throws a NotifySettingsError naming
 * every bad setting.
 */
export function notifyChannelsFromEnv(env: Record<string, string | undefined> = process.env): NotifyChannels {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    throw new NotifySettingsError(
      result.error.issues.map((issue) => ({
        setting: issue.path.join('.') || '(notify)',
        message: issue.message,
      })),
    );
  }
  const e = result.data;
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
