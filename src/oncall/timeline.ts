/**
 * Who holds a rotation over time, from its shifts and overrides: the pure core that both kinds of
 * rotation share. An override beats a shift; among overlapping ones of a kind, the one that started last
 * wins (a one-day event on top of a weekly one in a calendar), and on a tie the one written later.
 */

/** A stretch in which `person` is on call: [from, until), epoch milliseconds. */
export interface Shift {
  person: string;
  from: number;
  until: number;
  /** Why an override holds (from the file). */
  reason?: string;
}

/** A stretch with one holder, or nobody (before a rotation starts, or a gap in a calendar). */
export interface Segment {
  person: string | undefined;
  from: number;
  until: number;
  /** Set when an override holds the segment: its reason, or an empty string. */
  override?: string;
}

interface Ranked extends Shift {
  override: boolean;
  order: number;
}

/** Whether `a` wins over `b` when both cover an instant. */
function beats(a: Ranked, b: Ranked): boolean {
  if (a.override !== b.override) return a.override;
  if (a.from !== b.from) return a.from > b.from;
  return a.order > b.order;
}

/**
 * The holders of the rotation from `from` to `until`, as consecutive segments (adjacent stretches of one
 * person merged), covering the whole window. A sweep over the shifts' ends: O(n log n).
 */
export function timeline(shifts: Shift[], overrides: Shift[], from: number, until: number): Segment[] {
  const items: Ranked[] = [
    ...shifts.map((s, order) => ({ ...s, override: false, order })),
    ...overrides.map((s, order) => ({ ...s, override: true, order })),
  ]
    .map((s) => ({ ...s, from: Math.max(s.from, from), until: Math.min(s.until, until) }))
    .filter((s) => s.from < s.until);
  const times = [...new Set([from, until, ...items.flatMap((s) => [s.from, s.until])])].sort((a, b) => a - b);
  const starting = new Map<number, Ranked[]>();
  for (const s of items) starting.set(s.from, [...(starting.get(s.from) ?? []), s]);
  let active: Ranked[] = [];
  const segments: Segment[] = [];
  for (let i = 0; i < times.length - 1; i++) {
    const at = times[i] ?? from;
    const next = times[i + 1] ?? until;
    active = [...active.filter((s) => s.until > at), ...(starting.get(at) ?? [])];
    const winner = active.reduce<Ranked | undefined>((w, s) => (w && !beats(s, w) ? w : s), undefined);
    const person = winner?.person;
    const override = winner?.override ? (winner.reason ?? '') : undefined;
    const last = segments.at(-1);
    if (last && last.person === person && last.override === override) last.until = next;
    else segments.push({ person, from: at, until: next, ...(override !== undefined ? { override } : {}) });
  }
  return segments;
}
