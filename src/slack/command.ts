import { INCIDENT_ID } from '../workflows/messages.js';

/**
 * The `/steadfast` slash command's text, parsed. Pure: no I/O. Whatever a person types, the result is
 * either one typed command or an error to show them privately, and nothing is done on an error.
 */

export const SLASH_COMMAND = '/steadfast';

export type SlashCommand =
  | { kind: 'status' }
  | { kind: 'help' }
  | {
      kind: 'decide';
      verb: 'approve' | 'reject' | 'acknowledge';
      incidentId: string;
      reason?: string;
      /** `approve <id> override <reason>`: an approval that overrides a change freeze, recorded as such. */
      override?: boolean;
    }
  | { kind: 'pause'; reason: string }
  | { kind: 'resume' };

export type Parsed = { ok: true; command: SlashCommand } | { ok: false; error: string };

export const USAGE = [
  `\`${SLASH_COMMAND} status\`: open incidents and whether remediation is paused`,
  `\`${SLASH_COMMAND} ack <incident ID>\`: you own it; escalation stops`,
  `\`${SLASH_COMMAND} approve <incident ID> <reason>\`: run its remediation`,
  `\`${SLASH_COMMAND} approve <incident ID> override <reason>\`: run it during a change freeze`,
  `\`${SLASH_COMMAND} reject <incident ID> <reason>\`: do not run it`,
  `\`${SLASH_COMMAND} pause <reason>\`: no remediation starts anywhere until resumed`,
  `\`${SLASH_COMMAND} resume\`: remediation may start again`,
].join('\n');

/** A reason is at most 2000 characters, as the API takes it (src/api/routes); an ID is an INCIDENT_ID. */
const MAX_REASON = 2000;

const fail = (error: string): Parsed => ({ ok: false, error: `${error}\n${USAGE}` });
const ok = (command: SlashCommand): Parsed => ({ ok: true, command });

/** The words after the verb (`typed`): an incident ID, then the reason, wanted or refused. */
function decision(
  verb: 'approve' | 'reject' | 'acknowledge',
  typed: string,
  rest: string,
  needsReason: boolean,
): Parsed {
  const [id = '', ...all] = rest.split(' ').filter(Boolean);
  const override = verb === 'approve' && all[0]?.toLowerCase() === 'override';
  const words = override ? all.slice(1) : all;
  const reason = words.join(' ');
  const form = `${SLASH_COMMAND} ${typed} <incident ID>${needsReason ? ' <reason>' : ''}`;
  if (!id) return fail(`Which incident? \`${form}\`.`);
  if (!INCIDENT_ID.test(id))
    return fail(`\`${id.slice(0, 80)}\` is not an incident ID (letters, digits, . _ -).`);
  if (needsReason && !reason) {
    return fail(`Say why: \`${SLASH_COMMAND} ${typed} ${id}${override ? ' override' : ''} <reason>\`.`);
  }
  if (!needsReason && reason) return fail(`\`${SLASH_COMMAND} ${typed}\` takes only an incident ID.`);
  if (reason.length > MAX_REASON) return fail(`The reason is longer than ${MAX_REASON} characters.`);
  return ok({
    kind: 'decide',
    verb,
    incidentId: id,
    ...(reason ? { reason } : {}),
    ...(override ? { override: true } : {}),
  });
}

/** Parses the text after `/steadfast`; verbs are case-insensitive, the rest is kept as typed. */
export function parseCommand(text: string): Parsed {
  const trimmed = text.replace(/\s+/g, ' ').trim();
  const [first = '', ...others] = trimmed.split(' ');
  const verb = first.toLowerCase();
  const rest = others.join(' ');
  switch (verb) {
    case '':
    case 'help':
      return ok({ kind: 'help' });
    case 'status':
      return rest ? fail(`\`${SLASH_COMMAND} status\` takes nothing after it.`) : ok({ kind: 'status' });
    case 'ack':
    case 'acknowledge':
      return decision('acknowledge', verb, rest, false);
    case 'approve':
    case 'reject':
      return decision(verb, verb, rest, true);
    case 'pause':
      if (!rest) return fail(`Say why: \`${SLASH_COMMAND} pause <reason>\`.`);
      if (rest.length > MAX_REASON) return fail(`The reason is longer than ${MAX_REASON} characters.`);
      return ok({ kind: 'pause', reason: rest });
    case 'resume':
      return rest ? fail(`\`${SLASH_COMMAND} resume\` takes nothing after it.`) : ok({ kind: 'resume' });
    default:
      return fail(`\`${verb.slice(0, 40)}\` is not a ${SLASH_COMMAND} command.`);
  }
}

/**
 * Whether a Slack user may pause or resume every remediation: the API asks for the approve role; from
 * Slack, it takes someone named in STEADFAST_APPROVERS, as `slack:<user ID>` or through a user group
 * they belong to (`slack-group:<ID>`).
 */
export function mayPauseRemediation(
  approvers: readonly string[],
  actor: string,
  groups: readonly string[],
): boolean {
  return [actor, ...groups].some((who) => approvers.includes(who));
}
