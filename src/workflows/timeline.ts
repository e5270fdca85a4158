import type { IncidentState, TimelineEntry } from '../domain/incident.js';
import { cutUtf8 } from '../domain/utf8.js';

/**
 * The timeline is carried with the state, so it too is bounded. Most entries come from the workflow's
 * own steps, a few per stage; the ones that outsiders can multiply (alert arrivals, refused decisions,
 * failed Slack updates) keep their first and latest entries, with one line saying how many were left out.
 */
export const TIMELINE_BOUNDS = {
  /** Bytes of one entry's message (error texts, reasons, summaries). */
  messageBytes: 2048,
  /** Entries of one noisy kind kept from the start, and kept as the latest. */
  first: 20,
  latest: 20,
} as const;

/** Kinds of entry that outsiders can multiply, by event; each kind is bounded on its own. */
const NOISY: Record<string, string> = {
  'alert-firing': 'alert',
  'alert-resolved': 'alert',
  'decision-refused': 'refused decision',
  'announcement-failed': 'Slack failure',
  'continued-as-new': 'continue-as-new',
  // No run noted it before malformed signals were dropped (SIGNAL_CHECK_PATCH), so no patch of its own.
  'signal-dropped': 'dropped signal',
  // A calendar that fails every other read, or a freeze switched on and off, notes a block and its end
  // each time. Bounding them changes no command, only which notes a run keeps.
  'change-freeze': 'calendar',
  'change-freeze-over': 'calendar',
};

/**
 * Kinds bounded only in runs that have the patch TIMELINE_CAPS_PATCH: a person's acts, each needing a
 * token or a Slack user, but not bounded by the incident: every merge into it adds an entry (about 7,000
 * passed the state's 2 MB), every Slack user may acknowledge.
 */
export const NOISY_SINCE_PATCH: Record<string, string> = {
  absorbed: 'merge',
  'merge-failed': 'merge',
  acknowledged: 'acknowledgement',
  // Each alerts signal that reaches a merged incident before it closes is forwarded with a note. Bounding
  // them changes no command, only which notes a run keeps, so runs that have the patch take them too.
  'alerts-forwarded': 'forward',
  'forward-failed': 'forward',
};

const NOISY_CAPPED: Record<string, string> = { ...NOISY, ...NOISY_SINCE_PATCH };

/** Patch: the kinds in NOISY_SINCE_PATCH are bounded like the others. */
export const TIMELINE_CAPS_PATCH = 'timeline-caps-merges';

const droppedEvent = (kind: string): string => `${kind.replace(/ /g, '-')}-notes-dropped`;

/**
 * Adds an entry to the incident's timeline within the bounds above; `capsMore` bounds the kinds of
 * NOISY_SINCE_PATCH too (the workflow says whether its run has the patch).
 */
export function appendNote(state: IncidentState, entry: TimelineEntry, capsMore = false): void {
  const bounded = { ...entry, message: cutUtf8(entry.message, TIMELINE_BOUNDS.messageBytes) };
  const noisy = capsMore ? NOISY_CAPPED : NOISY;
  const kind = noisy[entry.event];
  const timeline = state.timeline;
  timeline.push(bounded);
  if (!kind) return;
  const same = timeline.flatMap((t, i) => (noisy[t.event] === kind ? [i] : []));
  if (same.length <= TIMELINE_BOUNDS.first + TIMELINE_BOUNDS.latest) return;
  // The oldest entry past the first ones leaves; the line in its place (or before it) counts them.
  const leaving = same[TIMELINE_BOUNDS.first];
  if (leaving === undefined) return;
  const counts = (state.notesDropped ??= {});
  const dropped = (counts[kind] ?? 0) + 1;
  counts[kind] = dropped;
  const marker = droppedEvent(kind);
  const message = `${dropped} ${kind} ${dropped === 1 ? 'entry' : 'entries'} left out from here on; the first ${TIMELINE_BOUNDS.first} and the latest ${TIMELINE_BOUNDS.latest} are kept`;
  const existing = timeline.find((t) => t.event === marker);
  const gone = timeline[leaving];
  if (existing) {
    existing.message = message;
    timeline.splice(leaving, 1);
  } else if (gone) {
    timeline[leaving] = { at: gone.at, stage: gone.stage, event: marker, message };
  }
}
