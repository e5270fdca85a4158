import type { EscalationTarget } from '../domain/incident.js';

/**
 * How a rule's `channels` and `recipients` (seed 001's shape) become the escalation targets runbooks
 * use (escalationTargetSchema in domain/runbook.ts). Pure and import-free: the rules workflow checks
 * rules with it too.
 *
 * A recipient goes to the one listed channel whose form it has: an e-mail address to `email`, a Slack
 * channel (C0123ABCD, #name) to `slack`, an http(s) URL or `env:NAME` (a URL read from the worker's
 * environment at the moment of sending) to `webhook`, `teams` or `discord`, a rotation name to
 * `rotation`. `channel:recipient` says it outright, e.g. `teams:https://…`. `log` needs no recipient.
 */
export const RULE_CHANNELS = ['log', 'webhook', 'slack', 'email', 'teams', 'discord', 'rotation'] as const;
export type RuleChannel = (typeof RULE_CHANNELS)[number];

const EMAIL =
  /^[^\s@"<>(),;:]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;
const SLACK_CHANNEL = /^(?:[CGD][A-Z0-9]{8,20}|#[a-z0-9][a-z0-9_-]{0,79})$/;
const ROTATION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]{0,127})$/;

// A regular expression, not `new URL`: the rules workflow's sandbox runs this too. The activity that
// posts parses the URL again before sending.
const HTTP_URL = /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?(?:[/?#][^\s]*)?$/i;
const isHttpUrl = (text: string): boolean => text.length <= 2048 && HTTP_URL.test(text);

const FITS: Record<RuleChannel, (r: string) => boolean> = {
  log: () => false,
  email: (r) => EMAIL.test(r),
  slack: (r) => SLACK_CHANNEL.test(r),
  webhook: (r) => isHttpUrl(r) || ENV_REF.test(r),
  teams: (r) => isHttpUrl(r) || ENV_REF.test(r),
  discord: (r) => isHttpUrl(r) || ENV_REF.test(r),
  rotation: (r) => ROTATION.test(r) && !SLACK_CHANNEL.test(r),
};

const FORMS: Record<RuleChannel, string> = {
  log: 'no recipient',
  email: 'an e-mail address',
  slack: 'a Slack channel such as C0123ABCD or #ops',
  webhook: 'an http(s) URL or env:NAME',
  teams: 'an http(s) URL or env:NAME',
  discord: 'an http(s) URL or env:NAME',
  rotation: 'a rotation name of the on-call file',
};

/** A problem with one recipient (its index) or with the channels as a whole. */
export interface TargetProblem {
  field: 'channels' | 'recipients';
  index?: number;
  message: string;
}

const isChannel = (c: string): c is RuleChannel => (RULE_CHANNELS as readonly string[]).includes(c);

/** The channel a recipient goes to, or a problem saying why it fits none or several. */
function channelOf(
  recipient: string,
  channels: RuleChannel[],
  index: number,
): [RuleChannel, string] | TargetProblem {
  const colon = recipient.indexOf(':');
  const prefix = colon > 0 ? recipient.slice(0, colon) : '';
  if (isChannel(prefix) && prefix !== 'log') {
    const rest = recipient.slice(colon + 1);
    if (!channels.includes(prefix))
      return { field: 'recipients', index, message: `names channel ${prefix}, which the rule does not list` };
    if (!FITS[prefix](rest))
      return { field: 'recipients', index, message: `${prefix} needs ${FORMS[prefix]}` };
    return [prefix, rest];
  }
  const fits = channels.filter((c) => FITS[c](recipient));
  if (fits.length === 1) return [fits[0] as RuleChannel, recipient];
  if (fits.length > 1)
    return {
      field: 'recipients',
      index,
      message: `fits ${fits.join(' and ')}: write it as ${fits[0]}:${recipient.slice(0, 40)}`,
    };
  const wanted = channels.filter((c) => c !== 'log').map((c) => `${c} (${FORMS[c]})`);
  return {
    field: 'recipients',
    index,
    message: wanted.length
      ? `fits none of the channels: ${wanted.join(', ')}`
      : 'the rule lists no channel that takes recipients',
  };
}

const urlOf = (r: string): EscalationTarget & { type: 'webhook' } => {
  const env = ENV_REF.exec(r)?.[1];
  return { type: 'webhook', url: env ? { secret: { env } } : r };
};

/** The escalation targets of a rule's channels and recipients, or every problem found. */
export function ruleTargets(
  channels: readonly string[],
  recipients: readonly string[],
): { targets: EscalationTarget[] } | { problems: TargetProblem[] } {
  const problems: TargetProblem[] = [];
  const listed: RuleChannel[] = [];
  for (const c of channels) {
    if (!isChannel(c))
      problems.push({
        field: 'channels',
        message: `unknown channel ${JSON.stringify(c.slice(0, 40))}: one of ${RULE_CHANNELS.join(', ')}`,
      });
    else if (listed.includes(c))
      problems.push({ field: 'channels', message: `channel ${c} is listed twice` });
    else listed.push(c);
  }
  if (problems.length > 0) return { problems };
  const byChannel = new Map<RuleChannel, string[]>();
  recipients.forEach((recipient, index) => {
    const found = channelOf(recipient, listed, index);
    if (!Array.isArray(found)) problems.push(found);
    else byChannel.set(found[0], [...(byChannel.get(found[0]) ?? []), found[1]]);
  });
  for (const c of listed) {
    if (c !== 'log' && !byChannel.has(c) && problems.length === 0)
      problems.push({ field: 'recipients', message: `channel ${c} has no recipient (${FORMS[c]})` });
  }
  if (problems.length > 0) return { problems };
  return { targets: listed.flatMap((c) => targetsOf(c, byChannel.get(c) ?? [])) };
}

function targetsOf(channel: RuleChannel, recipients: string[]): EscalationTarget[] {
  switch (channel) {
    case 'log':
      return [{ type: 'log' }];
    case 'email':
      return [{ type: 'email', to: recipients }];
    case 'slack':
      return recipients.map((channel) => ({ type: 'slack', channel }));
    case 'rotation':
      return recipients.map((rotation) => ({ type: 'rotation', rotation }));
    case 'webhook':
      return recipients.map(urlOf);
    case 'teams':
    case 'discord':
      return recipients.map((r) => ({ ...urlOf(r), type: channel }));
  }
}
