import type { EscalationTarget } from '../domain/incident.js';
import { findRotation, whoIsOnCall, type Oncall } from '../oncall/resolve.js';
import type { NotifyChannels } from './settings.js';

/**
 * An escalation to a rotation: the person on call at the moment of escalation, and the channels they are
 * told through (a Slack direct message to their user ID, e-mail to their address).
 */

/** The failure type of a level naming a rotation the on-call file does not define: not retried. */
export const UNKNOWN_ROTATION = 'UnknownRotation';
/** The failure type of a rotation with nobody on call (before it starts, a gap in its calendar). */
export const NOBODY_ON_CALL = 'NobodyOnCall';

/** Who was paged for a rotation, as a retry must page them again (recorded in the heartbeat). */
export interface PagedPerson {
  rotation: string;
  name: string;
  slack?: string;
  email?: string;
}

/** One channel a paged person is told through, as an ordinary target. */
export interface PagedChannel {
  channel: 'slack' | 'email';
  label: string;
  target: EscalationTarget;
}

export type Resolution =
  | { status: 'paged'; person: PagedPerson }
  | { status: 'unconfigured' | 'refused'; reason: string; type?: string };

/** The person on call in `rotation` at `at`, or why nobody can be paged. */
export function resolveRotation(oncall: Oncall | undefined, rotation: string, at: number): Resolution {
  if (!oncall) {
    return {
      status: 'unconfigured',
      reason: 'on-call rotations are not configured: set STEADFAST_ONCALL_FILE',
    };
  }
  const found = findRotation(oncall, rotation);
  if (!found) {
    const known = oncall.rotations.map((r) => r.definition.name).join(', ');
    return {
      status: 'refused',
      type: UNKNOWN_ROTATION,
      reason: `${oncall.file} defines no rotation "${rotation}" (it has: ${known})`,
    };
  }
  const person = whoIsOnCall(oncall, found, at).current?.person;
  if (!person) {
    return {
      status: 'refused',
      type: NOBODY_ON_CALL,
      reason: `nobody is on call in rotation ${rotation} at ${new Date(at).toISOString()}`,
    };
  }
  return {
    status: 'paged',
    person: {
      rotation,
      name: person.name,
      ...(person.slack ? { slack: person.slack } : {}),
      ...(person.email ? { email: person.email } : {}),
    },
  };
}

/** `rotation primary → Alice (slack U0123ABCD)`: who was paged, and how. */
export function pagedLabel(person: PagedPerson, channel: 'slack' | 'email'): string {
  const address = channel === 'slack' ? person.slack : person.email;
  return `rotation ${person.rotation} → ${person.name} (${channel} ${address ?? ''})`;
}

/**
 * The channels the person is told through: those they have and Steadfast is configured for. A person with
 * none of those cannot be paged, and the answer says which setting is missing.
 */
export function pagedChannels(
  person: PagedPerson,
  channels: NotifyChannels | undefined,
): PagedChannel[] | { reason: string } {
  const out: PagedChannel[] = [];
  if (person.slack && channels?.slack) {
    // chat.postMessage to a user ID is a direct message from the bot.
    const target: EscalationTarget = { type: 'slack', channel: person.slack };
    out.push({ channel: 'slack', label: pagedLabel(person, 'slack'), target });
  }
  if (person.email && channels?.smtp) {
    const target: EscalationTarget = { type: 'email', to: [person.email] };
    out.push({ channel: 'email', label: pagedLabel(person, 'email'), target });
  }
  if (out.length > 0) return out;
  const missing = [
    person.slack ? 'Slack (set SLACK_BOT_TOKEN)' : '',
    person.email ? 'e-mail (set SMTP_HOST and SMTP_FROM)' : '',
  ].filter(Boolean);
  return {
    reason: `${person.name}, on call in rotation ${person.rotation}, is reached by ${missing.join(' or ')}, which is not configured`,
  };
}
