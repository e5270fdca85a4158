/**
 * Silences while Steadfast fixes an incident: what each one matches and what it says. Pure; the
 * Alertmanager calls are in src/activities/silences.ts.
 *
 * A silence mutes every alert whose labels include all of its matchers. So each alert gets its own
 * silence, matching every one of its labels for equality (never a regular expression, never the
 * labels the incident's alerts merely share): it mutes that alert and nothing with fewer labels. An
 * alert whose labels would still reach too far (only its name and severity) is not silenced at all.
 */

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: false;
  isEqual: true;
}

/** Who creates Steadfast's silences (Alertmanager's `createdBy`). */
export const SILENCE_CREATOR = 'steadfast';

/** At most this many silences for one incident; further alerts are named in the timeline as not silenced. */
export const MAX_SILENCES = 10;

// Alertmanager 0.25's label names (newer versions also take UTF-8 names; these are valid in both).
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Labels that say what kind of alert it is, not which one: they never identify an alert on their own. */
const NOT_IDENTIFYING = new Set(['alertname', 'severity']);

/** The matchers for one alert, or why it gets no silence. */
export function silenceMatchers(
  labels: Record<string, string>,
): { matchers: SilenceMatcher[] } | { refused: string } {
  // Alertmanager drops empty labels from alerts, and an empty matcher would match alerts without it.
  const set = Object.entries(labels).filter(([, value]) => value !== '');
  const invalid = set.find(([name]) => !LABEL_NAME.test(name));
  if (invalid) return { refused: `label name "${invalid[0].slice(0, 100)}" is not one Alertmanager accepts` };
  if (!set.some(([name]) => name === 'alertname')) return { refused: 'it has no alertname label' };
  if (!set.some(([name]) => !NOT_IDENTIFYING.has(name))) {
    return { refused: 'its labels (alertname, severity) would silence every alert of that name' };
  }
  const matchers = set
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]): SilenceMatcher => ({ name, value, isRegex: false, isEqual: true }));
  return { matchers };
}

/**
 * The mark in a silence's comment that lets Steadfast find its own silence again (after a retry, or a
 * restart), for one incident and one alert (`alertKey`: a hash of the alert's label set).
 */
export const silenceMarker = (incidentId: string, alertKey: string): string =>
  `[steadfast incident=${incidentId} alert=${alertKey}]`;

/** The comment people see in Alertmanager: which incident, who approved, and the marker. */
export function silenceComment(args: {
  incidentId: string;
  runbookId: string;
  approvedBy: string;
  alertKey: string;
}): string {
  const who = args.approvedBy.slice(0, 200);
  return (
    `Steadfast is remediating incident ${args.incidentId} (runbook ${args.runbookId}), approved by ${who}; ` +
    `expired when the incident closes. ${silenceMarker(args.incidentId, args.alertKey)}`
  );
}

/** Whether two sets of matchers are the same (order aside). */
export function sameMatchers(
  a: readonly { name: string; value: string; isRegex: boolean; isEqual?: boolean }[],
  b: readonly SilenceMatcher[],
): boolean {
  const key = (m: { name: string; value: string; isRegex: boolean; isEqual?: boolean }): string =>
    JSON.stringify([m.name, m.value, m.isRegex, m.isEqual ?? true]);
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}
