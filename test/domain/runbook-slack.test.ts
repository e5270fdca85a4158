import { describe, expect, it } from 'vitest';
import {
  parseRunbook,
  planFromRunbook,
  RunbookError,
  type RunbookProblem,
} from '../../src/domain/runbook.js';

const runbook = (slack: string): string => `title: Restart checkout
match: { alertnames: [CheckoutDown] }
risk: low
${slack}
steps:
  - action: wait
    duration: 1s
`;

const FACTS = { alertName: 'CheckoutDown', labels: { alertname: 'CheckoutDown' } };
const DEFAULTS = { approvers: [], dryRun: false };

function problemsOf(text: string): RunbookProblem[] {
  try {
    parseRunbook('runbooks/checkout.yaml', text);
    return [];
  } catch (error) {
    if (error instanceof RunbookError) return error.problems;
    throw error;
  }
}

describe("a runbook's Slack channel", () => {
  it('when a runbook names a channel by ID or #name, then the plan carries it', () => {
    for (const channel of ['C0123ABCD', '#payments-oncall']) {
      const parsed = parseRunbook('runbooks/checkout.yaml', runbook(`slack: { channel: '${channel}' }`));
      expect(planFromRunbook(parsed, FACTS, DEFAULTS).slack).toEqual({ channel });
    }
  });

  it('when a runbook names no channel, then the plan has none and SLACK_CHANNEL applies', () => {
    const parsed = parseRunbook('runbooks/checkout.yaml', runbook(''));
    expect(planFromRunbook(parsed, FACTS, DEFAULTS)).not.toHaveProperty('slack');
  });

  it('when the channel is neither an ID nor a #name, then the problem names slack.channel and its line', () => {
    const problems = problemsOf(runbook('slack:\n  channel: payments'));
    expect(problems).toEqual([
      {
        file: 'runbooks/checkout.yaml',
        line: 5,
        field: 'slack.channel',
        message: 'a Slack channel ID such as C0123ABCD, or a #channel-name in lower case',
      },
    ]);
  });

  it('when slack has another key, then it is refused', () => {
    const problems = problemsOf(runbook(`slack: { channel: '#payments', usergroup: S0123ABCD }`));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe('slack');
    expect(problems[0]?.message).toContain('usergroup');
  });
});
