/**
 * What the change calendar says about the days ahead, as the workflow keeps it. The calendar itself
 * (calendar.ts) is evaluated by an activity, whose answer is recorded in history; the workflow then
 * reads this answer with its own clock, so a calendar file edited while an incident waits can never
 * make a replay take another branch. Pure data and pure functions, safe inside workflow code.
 */

/** A stretch of time in which no plan is approved automatically. */
export interface BlockedPeriod {
  /** ISO times, `from` inclusive, `until` exclusive. */
  from: string;
  until: string;
  /** `freeze`: a change freeze in the calendar; `hours`: outside the hours the runbook is limited to. */
  kind: 'freeze' | 'hours';
  /** The freeze's name, or the time interval the runbook names. */
  name: string;
  /** Why, in words for the timeline. */
  reason: string;
}

export interface CalendarOutlook {
  /** When the activity read the calendar. */
  checkedAt: string;
  /** How far ahead the periods are known; past it, the calendar must be read again. */
  horizon: string;
  /**
   * When the calendar must be read again for this outlook to stay current (at most the horizon): a
   * calendar file can change while a plan waits. Absent on outlooks read before it existed.
   */
  readAgainAt?: string;
  periods: BlockedPeriod[];
}

/** How long an outlook without `readAgainAt` counts as current after its read. */
export const READ_AGAIN_MS = 5 * 60_000;

/** When the outlook must be read again (epoch ms): its `readAgainAt`, and never past its horizon. */
export function readAgainAtMs(outlook: CalendarOutlook): number {
  const asked =
    outlook.readAgainAt !== undefined
      ? Date.parse(outlook.readAgainAt)
      : Date.parse(outlook.checkedAt) + READ_AGAIN_MS;
  return Math.min(asked, Date.parse(outlook.horizon));
}

/** Whether, and why, automatic approval is blocked at one moment. */
export interface Block {
  /** When the block ends as far as the outlook knows (at most its horizon). */
  until: string;
  kind: BlockedPeriod['kind'];
  /** The names of the freezes or hours in force. */
  names: string[];
  reason: string;
}

/**
 * The block in force at `atMs`, with the end of the whole blocked stretch (periods that touch or overlap
 * are one stretch), or undefined when nothing blocks then or the moment is past the outlook's horizon.
 */
export function blockAt(outlook: CalendarOutlook | undefined, atMs: number): Block | undefined {
  if (!outlook || atMs >= Date.parse(outlook.horizon)) return undefined;
  const covering = outlook.periods.filter((p) => Date.parse(p.from) <= atMs && atMs < Date.parse(p.until));
  if (covering.length === 0) return undefined;
  let untilMs = Math.max(...covering.map((p) => Date.parse(p.until)));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of outlook.periods) {
      const from = Date.parse(p.from);
      const until = Date.parse(p.until);
      if (from <= untilMs && until > untilMs) {
        untilMs = until;
        grew = true;
      }
    }
  }
  const first = covering.find((p) => p.kind === 'freeze') ?? covering[0];
  return {
    until: new Date(Math.min(untilMs, Date.parse(outlook.horizon))).toISOString(),
    kind: first?.kind ?? 'freeze',
    names: [...new Set(covering.map((p) => p.name))],
    reason: [...new Set(covering.map((p) => p.reason))].join('; '),
  };
}

/** One line for the timeline and the incident's summary: what blocks, and until when. */
export function describeBlock(block: Block): string {
  return `${block.reason} (until ${block.until})`;
}
