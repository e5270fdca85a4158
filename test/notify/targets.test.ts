import { describe, expect, it } from 'vitest';
import type { EscalationTarget } from '../../src/domain/incident.js';
import {
  escalationLevelSchema,
  escalationTargetSchema,
  parseRunbook,
  RunbookError,
} from '../../src/domain/runbook.js';

/** The messages of a refused target, by field path; an empty list when it parses. */
function problems(target: unknown): { path: string; message: string }[] {
  const result = escalationTargetSchema.safeParse(target);
  return result.success
    ? []
    : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('escalation target schema', () => {
  it.each<EscalationTarget>([
    { type: 'log' },
    { type: 'webhook', url: 'https://hooks.example/oncall' },
    { type: 'webhook', url: 'http://127.0.0.1:9000/hook' },
    { type: 'slack', channel: 'C0123ABCD' },
    { type: 'slack', channel: 'G0123ABCDEF' },
    { type: 'slack', channel: '#oncall' },
    { type: 'slack', channel: '#team_sre-alerts' },
    { type: 'slack-usergroup', channel: 'C0123ABCD', usergroup: 'S0123ABCD' },
    { type: 'email', to: ['oncall@example.com', 'sre.lead+pager@example.co.uk'] },
    { type: 'teams', url: 'https://example.webhook.office.com/webhookb2/abc' },
    { type: 'discord', url: 'https://discord.com/api/webhooks/1/token' },
    { type: 'rotation', rotation: 'primary' },
    { type: 'rotation', rotation: 'payments.secondary_2' },
  ])('when the target is %j, then it is accepted as it is', (target) => {
    expect(escalationTargetSchema.parse(target)).toEqual(target);
  });

  it.each([
    [{ type: 'slack', channel: 'general' }, 'channel'],
    [{ type: 'slack', channel: 'c0123abcd' }, 'channel'],
    [{ type: 'slack', channel: 'C01' }, 'channel'],
    [{ type: 'slack', channel: '#Oncall' }, 'channel'],
    [{ type: 'slack', channel: '#on call' }, 'channel'],
    [{ type: 'slack', channel: 'U0123ABCD' }, 'channel'],
    [{ type: 'slack-usergroup', channel: 'nope', usergroup: 'S0123ABCD' }, 'channel'],
  ])('when a Slack channel is %j, then it is refused with an example of a channel', (target, path) => {
    expect(problems(target)).toEqual([
      { path, message: 'a Slack channel ID such as C0123ABCD, or a #channel-name in lower case' },
    ]);
  });

  it.each(['@sre', 'subteam^S0123', 's0123abcd', 'U0123ABCD'])(
    'when a user group is %s, then it is refused',
    (usergroup) => {
      expect(problems({ type: 'slack-usergroup', channel: 'C0123ABCD', usergroup })).toEqual([
        { path: 'usergroup', message: 'a Slack user group ID such as S0123ABCD' },
      ]);
    },
  );

  it('when a slack-usergroup target has no user group, then it is refused', () => {
    expect(problems({ type: 'slack-usergroup', channel: 'C0123ABCD' }).map((p) => p.path)).toEqual([
      'usergroup',
    ]);
  });

  it.each([
    'oncall',
    'oncall@',
    '@example.com',
    'a b@example.com',
    'oncall@example',
    'Ops <ops@example.com>',
  ])('when an e-mail address is %s, then it is refused', (address) => {
    expect(problems({ type: 'email', to: ['ok@example.com', address] })).toEqual([
      { path: 'to.1', message: 'an e-mail address such as oncall@example.com' },
    ]);
  });

  it('when an e-mail target has no address, then it is refused', () => {
    expect(problems({ type: 'email', to: [] })).toEqual([{ path: 'to', message: 'at least one address' }]);
    expect(problems({ type: 'email', to: 'oncall@example.com' }).map((p) => p.path)).toEqual(['to']);
  });

  it.each(['webhook', 'teams', 'discord'])('when a %s URL is not http(s), then it is refused', (type) => {
    for (const url of [
      'ftp://hooks.example/x',
      'file:///etc/passwd',
      'hooks.example/x',
      'javascript:alert(1)',
    ]) {
      expect(problems({ type, url })).toEqual([
        { path: 'url', message: 'an http(s) URL such as https://hooks.example/oncall' },
      ]);
    }
  });

  it('when the type is unknown or missing, then the message lists the known types', () => {
    const message =
      'type must be one of: log, webhook, slack, slack-usergroup, email, teams, discord, rotation';
    expect(problems({ type: 'pagerduty' })).toEqual([{ path: 'type', message }]);
    expect(problems({ url: 'https://x.example' })).toEqual([{ path: 'type', message }]);
  });

  it('when a target has a field of another type, then it is refused as unknown', () => {
    expect(problems({ type: 'slack', channel: 'C0123ABCD', url: 'https://x.example' })).toEqual([
      { path: '', message: 'Unrecognized key: "url"' },
    ]);
    expect(problems({ type: 'log', to: ['a@example.com'] }).map((p) => p.path)).toEqual(['']);
  });

  it('when a level has no target, then it is refused', () => {
    const result = escalationLevelSchema.safeParse({ notify: [], wait: '5m' });
    expect(result.success ? [] : result.error.issues.map((i) => i.message)).toEqual(['at least one target']);
  });

  it('when a runbook escalates to every kind of target, then it parses, and a bad one is named with its line', () => {
    const text = (channel: string) => `title: Restart
match: { alertnames: [Down] }
risk: low
approval:
  escalation:
    - notify:
        - { type: slack, channel: '${channel}' }
        - { type: slack-usergroup, channel: C0123ABCD, usergroup: S0123ABCD }
        - { type: email, to: [oncall@example.com] }
        - { type: teams, url: https://example.webhook.office.com/x }
        - { type: discord, url: https://discord.com/api/webhooks/1/t }
      wait: 5m
steps:
  - action: wait
    duration: 1s
`;
    const runbook = parseRunbook('runbooks/r.yaml', text('#oncall'));
    expect(runbook.approval.escalation[0]?.notify).toHaveLength(5);

    try {
      parseRunbook('runbooks/r.yaml', text('oncall'));
      expect.unreachable('the runbook should be refused');
    } catch (err) {
      expect(err).toBeInstanceOf(RunbookError);
      expect((err as RunbookError).problems).toEqual([
        {
          file: 'runbooks/r.yaml',
          line: 7,
          field: 'approval.escalation.0.notify.0.channel',
          message: 'a Slack channel ID such as C0123ABCD, or a #channel-name in lower case',
        },
      ]);
    }
  });
});
