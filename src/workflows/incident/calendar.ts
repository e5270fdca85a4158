import { patched, proxyActivities } from '@temporalio/workflow';
import type { IncidentActivities } from '../../activities/index.js';
import type { Recommendation, TimelineEntry } from '../../domain/incident.js';
import {
  blockAt,
  describeBlock,
  readAgainAtMs,
  type Block,
  type CalendarOutlook,
} from '../../domain/outlook.js';
import { TRIAGE } from './activities.js';
import { errorMessage, note, nowIso, type Incident } from './context.js';

/** Patch: the change calendar is read when approval opens and before every automatic approval. */
export const CALENDAR_PATCH = 'change-calendar';

/**
 * Patch: while a plan waits for a decision the calendar is read again whenever its outlook says
 * (`readAgainAt`). People's approvals were checked against the read made when approval opened, so a
 * freeze declared while the plan waited was not seen, and past the outlook's horizon none was.
 */
export const CALENDAR_REREAD_PATCH = 'calendar-reread-while-waiting';

const calendar = proxyActivities<Pick<IncidentActivities, 'checkCalendar'>>(TRIAGE);

/** A calendar that cannot be read holds automatic approval this long, then is read again. */
const UNREADABLE_HOLD_MS = 5 * 60_000;

/**
 * Reads the change calendar for the plan (an activity: the file may change while the incident waits,
 * and the answer must be in history) and keeps the outlook in the state, where the approval validator
 * and the incident's summary read it with the workflow's clock. A calendar that cannot be read blocks
 * automatic approval for a while rather than let a freeze pass unseen.
 */
export async function readCalendar(incident: Incident, plan: Recommendation): Promise<Block | undefined> {
  const { state } = incident;
  const early = ahead.get(incident);
  ahead.delete(incident);
  if (early && plan.hours === undefined) {
    state.calendar = await early;
  } else {
    state.calendar = await calendar
      .checkCalendar(plan.hours !== undefined ? { hours: plan.hours } : {})
      .catch((err: unknown) => unreadable(errorMessage(err)));
  }
  incident.calendarReadAt = Date.now();
  return blockAt(state.calendar, Date.now());
}

/** A read started before the plan was known (see readCalendarAhead), by incident. */
const ahead = new WeakMap<Incident, Promise<CalendarOutlook>>();

/**
 * Starts the calendar's read beside the runbook's recommendation (patch triage-fewer-trips), so the read
 * approval opens with costs no trip through the server of its own. It serves a plan without hours of its
 * own, most of them; a plan with hours reads again with them.
 */
export function readCalendarAhead(incident: Incident): void {
  ahead.set(
    incident,
    calendar.checkCalendar({}).catch((err: unknown) => unreadable(errorMessage(err))),
  );
}

function unreadable(why: string): CalendarOutlook {
  const from = nowIso();
  const until = new Date(Date.now() + UNREADABLE_HOLD_MS).toISOString();
  return {
    checkedAt: from,
    horizon: until,
    readAgainAt: until,
    periods: [
      {
        from,
        until,
        kind: 'freeze',
        name: 'calendar',
        reason: `the change calendar could not be read: ${why}`,
      },
    ],
  };
}

/**
 * When the waiting plan's calendar is to be read again (epoch ms), or undefined in runs that do not
 * (before the patch, or with no outlook). Notes on the incident whether this run reads it again, for
 * the approval validator, which cannot ask a patch itself.
 */
export function calendarReadDue(incident: Incident): number | undefined {
  const outlook = incident.state.calendar;
  incident.rereadsCalendar = outlook !== undefined && patched(CALENDAR_REREAD_PATCH);
  return incident.rereadsCalendar && outlook ? nextRead(incident, outlook) : undefined;
}

/**
 * When the outlook is due again, by the workflow's clock. The outlook's times are the worker's, whose
 * clock may be minutes off the server's: taken as they are, a worker behind would have the plan read the
 * calendar again as soon as it answered, for ever. So a read this run made is read again the outlook's
 * own interval (readAgainAt − checkedAt, both the worker's) after it came back; an outlook carried over
 * from the run before is taken at its word once, and one whose times are not times is read again now
 * (a hand-completed activity: NaN would fail every workflow task at its timer).
 */
function nextRead(incident: Incident, outlook: CalendarOutlook): number {
  const readAt = incident.calendarReadAt;
  if (readAt !== undefined) return readAt + intervalOf(outlook);
  const at = readAgainAtMs(outlook);
  return Number.isFinite(at) ? at : Date.now();
}

/** The outlook's own time between a read and the next (at least MIN_READ_GAP_MS). */
function intervalOf(outlook: CalendarOutlook): number {
  const interval = readAgainAtMs(outlook) - Date.parse(outlook.checkedAt);
  return Number.isFinite(interval) ? Math.max(interval, MIN_READ_GAP_MS) : MIN_READ_GAP_MS;
}

/** However an outlook is written, the calendar is not read again sooner than this after a read. */
const MIN_READ_GAP_MS = 1000;

/** The outlook's horizon by the workflow's clock, as nextRead reads its read-again time. */
function horizonOf(incident: Incident, outlook: CalendarOutlook): number {
  const horizon = Date.parse(outlook.horizon);
  const readAt = incident.calendarReadAt;
  return readAt === undefined ? horizon : readAt + (horizon - Date.parse(outlook.checkedAt));
}

/**
 * Reads the calendar again while the plan waits: a block not noted yet is noted for people, the end of
 * the one noted is noted too, and a plan the final policy holds for a block that has lifted is looked at
 * again now rather than at the block's old end, unless someone acknowledged it, which stopped the final
 * policy.
 */
export async function refreshCalendar(incident: Incident, plan: Recommendation): Promise<void> {
  const { state } = incident;
  const block = await readCalendar(incident, plan);
  if (block && !noted(incident, block)) noteBlockForPeople(incident, block);
  if (!block) noteBlockOver(incident);
  if (!block && state.hold && state.nextEscalationAt !== undefined) state.nextEscalationAt = nowIso();
}

/** The latest note of a block for people, or of its end. */
const lastBlockNote = ({ state }: Incident): TimelineEntry | undefined =>
  [...state.timeline].reverse().find((t) => t.event === 'change-freeze' || t.event === 'change-freeze-over');

/**
 * Whether the latest freeze note is this block's already. Asked of the timeline, not of the outlook
 * before: an unreadable calendar's stand-in outlook has ended by the next read, and each failed read
 * then looked like a new block, one note every 5 minutes for as long as the file stayed unreadable.
 */
function noted(incident: Incident, block: Block): boolean {
  const last = lastBlockNote(incident);
  return last?.event === 'change-freeze' && last.message.startsWith(`${block.reason} (until `);
}

/**
 * Notes that the block last noted for people is over, once, when a read finds none. Without it a block
 * for the same reason later (a nightly freeze, a runbook's hours the next evening) looked noted already,
 * and people waiting on the plan were told of the first only.
 */
function noteBlockOver(incident: Incident): void {
  const last = lastBlockNote(incident);
  if (last?.event !== 'change-freeze') return;
  const until = last.message.indexOf(' (until ');
  const what = until > 0 ? last.message.slice(0, until) : last.message;
  note(
    incident,
    'change-freeze-over',
    `the change calendar blocks nothing now (it noted: ${what}); a person's approval needs no override`,
  );
}

/**
 * Whether the outlook is too old to judge a person's approval by: this run reads the calendar again, and
 * the read due has not come back within another of the outlook's own intervals (5 minutes, far more than
 * a read's retries take), so none is happening: a worker is down. Past its horizon an outlook knows
 * nothing (an unreadable calendar's, 5 minutes), and an approval must not pass a freeze it cannot see.
 */
export function calendarOutdated(incident: Incident): boolean {
  const outlook = incident.state.calendar;
  if (!incident.rereadsCalendar || !outlook) return false;
  const now = Date.now();
  return now >= horizonOf(incident, outlook) || now >= nextRead(incident, outlook) + intervalOf(outlook);
}

/** The block in force now, from the outlook last read. */
export const calendarBlock = (incident: Incident): Block | undefined =>
  blockAt(incident.state.calendar, Date.now());

/** Notes, once per block, that people may still approve, with an override. */
export function noteBlockForPeople(incident: Incident, block: Block): void {
  note(
    incident,
    'change-freeze',
    `${describeBlock(block)}: no plan is approved automatically, and a person's approval needs an override with a reason`,
  );
}

/**
 * Holds an automatic approval while the calendar blocks it: records why and until when (the state's
 * `hold`, the timeline once per change) and sets the approval wait's clock to look again then.
 */
export function holdAutoApproval(incident: Incident, block: Block): void {
  const { state } = incident;
  const reason = describeBlock(block);
  if (state.hold?.reason !== reason) {
    note(incident, 'auto-approval-held', `automatic approval waits: ${reason}`);
  }
  state.hold = { reason, until: block.until, since: state.hold?.since ?? nowIso() };
  state.nextEscalationAt = block.until;
}
