import { shiftMs, type SimpleRotation } from './schema.js';
import type { Shift } from './timeline.js';
import { instantOf, offsetAt, wallMs, type WallTime } from '../domain/zone.js';

/** The most shifts one question lists: a year of one-hour shifts. */
const MAX_SHIFTS = 10_000;

const wallOf = (ms: number): WallTime => {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  };
};

/**
 * The shifts of a simple rotation that overlap [from, until). Handovers are counted on the wall clock of
 * the rotation's zone: the first at `handoff` on `start`, then every `shift` of local time, so a daily or
 * weekly rotation hands over at 09:00 on both sides of a DST change (and that day's shift is an hour
 * shorter or longer). The members take the shifts in turn; before `start` nobody is on call.
 */
export function simpleShifts(rotation: SimpleRotation, from: number, until: number): Shift[] {
  const length = shiftMs(rotation.shift) ?? 24 * 3_600_000;
  const [hour = 0, minute = 0] = rotation.handoff.split(':').map(Number);
  const [year = 1970, month = 1, day = 1] = rotation.start.split('-').map(Number);
  const first = wallMs({ year, month, day, hour, minute });
  const handover = (k: number): number => instantOf(wallOf(first + k * length), rotation.timezone);
  // Start from the shift the wall clock at `from` falls in, then settle on the one that holds it.
  let k = Math.max(0, Math.floor((from + offsetAt(from, rotation.timezone) - first) / length));
  while (k > 0 && handover(k) > from) k--;
  while (handover(k + 1) <= from) k++;
  const shifts: Shift[] = [];
  for (let start = handover(k); start < until && shifts.length < MAX_SHIFTS; k++) {
    const end = handover(k + 1);
    const person = rotation.members[k % rotation.members.length] ?? '';
    shifts.push({ person, from: start, until: end });
    start = end;
  }
  return shifts;
}
