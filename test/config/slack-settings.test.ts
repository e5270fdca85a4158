import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/config/settings.js';

describe('Slack settings', () => {
  it('when a signing secret and a bot token are set, then clicks come over HTTP', () => {
    const { slack } = loadSettings({ SLACK_SIGNING_SECRET: 'secret', SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(slack).toEqual({ signingSecret: 'secret', botToken: 'xoxb-1', approverGroups: [], teams: [] });
  });

  it('when an app-level token and a bot token are set, then Socket Mode needs no signing secret', () => {
    const { slack } = loadSettings({ SLACK_APP_TOKEN: 'xapp-1-A1-2-abc', SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(slack).toEqual({
      appToken: 'xapp-1-A1-2-abc',
      botToken: 'xoxb-1',
      approverGroups: [],
      teams: [],
    });
  });

  it('when the app-level token is not an xapp- token, then the error says which token is wanted', () => {
    expect(() => loadSettings({ SLACK_APP_TOKEN: 'xoxb-1', SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(
      /SLACK_APP_TOKEN: an app-level token, which starts with xapp- .*connections:write/,
    );
  });

  it('when the bot token has neither an app-level token nor a signing secret, then it is refused', () => {
    expect(() => loadSettings({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(SettingsError);
    expect(() => loadSettings({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(
      /Slack needs SLACK_BOT_TOKEN and either SLACK_APP_TOKEN \(Socket Mode\) or SLACK_SIGNING_SECRET/,
    );
  });

  it('when an app-level token comes without a bot token, then it is refused', () => {
    expect(() => loadSettings({ SLACK_APP_TOKEN: 'xapp-1-A1-2-abc' })).toThrow(/Slack needs SLACK_BOT_TOKEN/);
  });

  it('when SLACK_TEAM_IDS names workspaces, then only their users may act; a value that is no Slack ID is refused', () => {
    const env = { SLACK_SIGNING_SECRET: 'secret', SLACK_BOT_TOKEN: 'xoxb-1' };
    expect(loadSettings({ ...env, SLACK_TEAM_IDS: 'T0123ABCD, E0123ABCD' }).slack?.teams).toEqual([
      'T0123ABCD',
      'E0123ABCD',
    ]);
    expect(() => loadSettings({ ...env, SLACK_TEAM_IDS: 'T0123ABCD,example.slack.com' })).toThrow(
      /SLACK_TEAM_IDS: Slack workspace \(T…\) or Enterprise Grid organisation \(E…\) IDs/,
    );
  });

  it('when nothing Slack is set, or the app-level token is empty, then Slack is off', () => {
    expect(loadSettings({}).slack).toBeUndefined();
    expect(loadSettings({ SLACK_APP_TOKEN: '' }).slack).toBeUndefined();
  });
});
