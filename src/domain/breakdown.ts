import type { IncidentState, Milestone } from './incident.js';

/** The phases of time to repair, each between two milestones (see IncidentState.milestones). */
export const PHASES = [
  { phase: 'open', from: 'alertFiring', to: 'opened' },
  { phase: 'triage', from: 'opened', to: 'recommended' },
  { phase: 'approval_wait', from: 'recommended', to: 'approved' },
  { phase: 'to_first_action', from: 'approved', to: 'firstAction' },
  { phase: 'to_verified', from: 'firstAction', to: 'verified' },
] as const satisfies readonly { phase: string; from: Milestone; to: Milestone }[];

export type Phase = (typeof PHASES)[number]['phase'];

export interface Breakdown {
  /** Seconds per phase, for the phases whose two milestones the incident reached. */
  phases: Partial<Record<Phase, number>>;
  /** From the alert firing (or the fault, when known) to a verified fix. */
  totalSeconds?: number;
  /** From the incident opening (Alertmanager's notification) to the first action, without the approval wait. */
  notificationToActionSeconds?: number;
}

const between = (from?: string, to?: string): number | undefined =>
  from && to ? Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000) : undefined;

/**
 * How long before the incident opened an alert may say its trouble began and still be believed. The
 * alert's startsAt and fault_started_at are the sender's words: Alertmanager's zero time (year 1) added 64
 * billion seconds to the time-to-repair histogram. Further back than this, the milestone is left out.
 */
export const SENDER_TIME_MAX_AGE_MS = 90 * 24 * 3600 * 1000;

/**
 * How long after the incident opened an alert may say its trouble began: clocks differ by seconds, not
 * more. A startsAt of year 9999 made a postmortem say the incident opened 69 million hours before its
 * alert fired, and a verdict call an incident that lasted hours self-resolving noise.
 */
export const SENDER_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Whether a time the sender gave can be believed of an incident opened at `opened`: a date, no further
 * back than SENDER_TIME_MAX_AGE_MS and no later than SENDER_CLOCK_SKEW_MS after it.
 */
export function believableSenderTime(t: string | undefined, opened: string | undefined): t is string {
  const ms = t === undefined ? Number.NaN : Date.parse(t);
  const at = opened === undefined ? Number.NaN : Date.parse(opened);
  return !Number.isNaN(ms) && !(ms < at - SENDER_TIME_MAX_AGE_MS) && !(ms > at + SENDER_CLOCK_SKEW_MS);
}

/**
 * The milestones without a time the sender gave that cannot be believed (see believableSenderTime): what
 * every surface reads (the breakdown, the postmortem, the verdict, the chart).
 */
export function believableMilestones(m: IncidentState['milestones']): IncidentState['milestones'] {
  const plausible = (t?: string): boolean => believableSenderTime(t, m.opened);
  const { fault, alertFiring, ...rest } = m;
  return {
    ...rest,
    ...(plausible(fault) ? { fault } : {}),
    ...(plausible(alertFiring) ? { alertFiring } : {}),
  };
}

export function breakdown(state: Pick<IncidentState, 'milestones'>): Breakdown {
  const m = believableMilestones(state.milestones);
  const phases: Partial<Record<Phase, number>> = {};
  for (const { phase, from, to } of PHASES) {
    const secs = between(m[from], m[to]);
    if (secs !== undefined) phases[phase] = secs;
  }
  const toAction = between(m.opened, m.firstAction);
  return {
    phases,
    ...(m.verified ? { totalSeconds: between(m.fault ?? m.alertFiring ?? m.opened, m.verified) } : {}),
    ...(toAction !== undefined
      ? { notificationToActionSeconds: Math.max(0, toAction - (phases.approval_wait ?? 0)) }
      : {}),
  };
}

/** One line per milestone with its offset from the first, for the demo and the logs. */
export function describeBreakdown(state: Pick<IncidentState, 'milestones'>): string[] {
  const entries = Object.entries(state.milestones)
    .filter((e): e is [Milestone, string] => typeof e[1] === 'string')
    .sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]));
  const start = entries[0] ? Date.parse(entries[0][1]) : 0;
  return entries.map(
    ([name, at]) => `${name.padEnd(12)} ${at}  +${((Date.parse(at) - start) / 1000).toFixed(3)}s`,
  );
}
