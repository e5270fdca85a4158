import { describe, expect, it } from 'vitest';
import { notifyChannelsFromEnv, NotifySettingsError } from '../../src/notify/settings.js';

function problemsOf(env: Record<string, string>): { setting: string; message: string }[] {
  try {
    notifyChannelsFromEnv(env);
    return [];
  } catch (err) {
    if (err instanceof NotifySettingsError) return err.problems;
    throw err;
  }
}

describe('notification channel settings', () => {
  it('when nothing is set, then no channel is configured', () => {
    expect(notifyChannelsFromEnv({})).toEqual({});
    expect(notifyChannelsFromEnv({ SLACK_BOT_TOKEN: '', SMTP_HOST: ' ' })).toEqual({});
  });

  it('when Slack and SMTP are set, then both channels are read with their defaults', () => {
    expect(
      notifyChannelsFromEnv({
        SLACK_BOT_TOKEN: 'xoxb-1',
        SMTP_HOST: 'smtp.example.com',
        SMTP_FROM: 'Steadfast <steadfast@example.com>',
      }),
    ).toEqual({
      slack: { token: 'xoxb-1' },
      smtp: { host: 'smtp.example.com', port: 587, secure: false, from: 'Steadfast <steadfast@example.com>' },
    });
  });

  it('when every setting is given, then each is used', () => {
    expect(
      notifyChannelsFromEnv({
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_API_URL: 'http://127.0.0.1:9999/api/',
        SMTP_HOST: 'smtp.example.com',
        SMTP_PORT: '2525',
        SMTP_SECURE: 'true',
        SMTP_USER: 'bot',
        SMTP_PASSWORD: 'secret',
        SMTP_FROM: 'steadfast@example.com',
      }),
    ).toEqual({
      slack: { token: 'xoxb-1', apiUrl: 'http://127.0.0.1:9999/api/' },
      smtp: {
        host: 'smtp.example.com',
        port: 2525,
        secure: true,
        user: 'bot',
        password: 'secret',
        from: 'steadfast@example.com',
      },
    });
  });

  it('when the port is 465 and SMTP_SECURE is unset, then TLS is on from the start', () => {
    const channels = notifyChannelsFromEnv({ SMTP_HOST: 'h', SMTP_PORT: '465', SMTP_FROM: 'a@example.com' });
    expect(channels.smtp?.secure).toBe(true);
    const plain = notifyChannelsFromEnv({
      SMTP_HOST: 'h',
      SMTP_PORT: '465',
      SMTP_SECURE: 'false',
      SMTP_FROM: 'a@example.com',
    });
    expect(plain.smtp?.secure).toBe(false);
  });

  it('when settings are wrong, then each is named with what it should be', () => {
    expect(
      problemsOf({
        SLACK_API_URL: 'slack.com/api',
        SMTP_HOST: 'smtp.example.com',
        SMTP_PORT: '70000',
        SMTP_SECURE: 'maybe',
        SMTP_FROM: 'not an address',
      }),
    ).toEqual([
      { setting: 'SLACK_API_URL', message: 'an http(s) URL such as https://slack.com/api/' },
      { setting: 'SMTP_PORT', message: 'a port from 1 to 65535' },
      { setting: 'SMTP_SECURE', message: 'true or false' },
      {
        setting: 'SMTP_FROM',
        message: 'an address such as steadfast@example.com, or Steadfast <steadfast@example.com>',
      },
    ]);
  });

  it('when a setting needs another one, then the missing one is named', () => {
    expect(problemsOf({ SMTP_HOST: 'smtp.example.com' })).toEqual([
      { setting: 'SMTP_FROM', message: 'SMTP_HOST is set: set the sender address too' },
    ]);
    expect(problemsOf({ SMTP_FROM: 'a@example.com' })).toEqual([
      { setting: 'SMTP_HOST', message: 'SMTP_FROM is set: set SMTP_HOST too' },
    ]);
    expect(problemsOf({ SMTP_HOST: 'h', SMTP_FROM: 'a@example.com', SMTP_PASSWORD: 'p' })).toEqual([
      { setting: 'SMTP_USER', message: 'SMTP_PASSWORD is set: set SMTP_USER too' },
    ]);
    expect(problemsOf({ SLACK_API_URL: 'http://127.0.0.1:1/api/' })).toEqual([
      { setting: 'SLACK_BOT_TOKEN', message: 'SLACK_API_URL is set: set SLACK_BOT_TOKEN too' },
    ]);
  });
});
