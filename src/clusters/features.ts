/**
 * What clustering compares of an incident, cut to fixed sizes first: labels and annotations come from
 * strangers (any alert source), so no incident can make the comparison slow or large however odd its
 * alerts are.
 */

/** Labels whose values name one replica, process or request: they differ between alerts of one cause. */
export const VOLATILE_LABELS: ReadonlySet<string> = new Set([
  'instance',
  'pod',
  'pod_name',
  'pod_ip',
  'container_id',
  'id',
  'uid',
  'ip',
  'endpoint',
  'replica',
  'prometheus_replica',
  'fingerprint',
  'request_id',
  'trace_id',
]);

/** Bounds on what one incident contributes; past them the rest is ignored, never an error. */
export const LIMITS = {
  /** Distinct `name=value` label pairs kept per incident. */
  labelPairs: 128,
  /** Characters kept of a label name, and of a label value. */
  labelChars: 128,
  /** Characters of alert text read per incident (titles, summaries, descriptions together). */
  textChars: 8_000,
  /** Distinct text tokens kept per incident. */
  tokens: 256,
  /** Alerts of one incident read. */
  alerts: 50,
} as const;

/** Alert text fields compared: what people write about the problem, not where it ran. */
const TEXT_ANNOTATIONS = ['summary', 'description', 'message'] as const;

/** Words that say nothing about which problem it is. */
const STOPWORDS: ReadonlySet<string> = new Set(
  'a an and are as at be by for from has have in is it its of on or the this to was were with than that over under above below'.split(
    ' ',
  ),
);

/** An alert as clustering reads it: a structural subset of the domain Alert. */
export interface ClusterAlert {
  alertName: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** An incident as clustering reads it. */
export interface ClusterSubject {
  incidentId: string;
  title: string;
  openedAt: string;
  alerts: readonly ClusterAlert[];
}

/** The bounded features of one incident. */
export interface Features {
  /** Label pairs, `name=value`, volatile labels left out. */
  labels: ReadonlySet<string>;
  /** Token counts of the alert text. */
  tokens: ReadonlyMap<string, number>;
  /** Euclidean norm of `tokens`, for the cosine. */
  norm: number;
  /** Opening time, ms since the epoch (NaN when unreadable: then time is left out of the distance). */
  openedMs: number;
}

const cut = (s: unknown, n: number): string => (typeof s === 'string' ? s.slice(0, n) : '');

function labelPairs(alerts: readonly ClusterAlert[]): Set<string> {
  const pairs = new Set<string>();
  for (const alert of alerts.slice(0, LIMITS.alerts)) {
    const entries = Object.entries({ alertname: alert.alertName, ...alert.labels });
    for (const [name, value] of entries.slice(0, LIMITS.labelPairs)) {
      if (pairs.size >= LIMITS.labelPairs) return pairs;
      const key = cut(name, LIMITS.labelChars).toLowerCase();
      if (!key || VOLATILE_LABELS.has(key)) continue;
      pairs.add(`${key}=${cut(value, LIMITS.labelChars)}`);
    }
  }
  return pairs;
}

/** The alert text of an incident, at most LIMITS.textChars characters. */
function textOf(subject: ClusterSubject): string {
  const parts: string[] = [cut(subject.title, LIMITS.textChars)];
  let length = parts[0]?.length ?? 0;
  for (const alert of subject.alerts.slice(0, LIMITS.alerts)) {
    for (const field of [cut(alert.alertName, 256), ...TEXT_ANNOTATIONS.map((k) => alert.annotations[k])]) {
      if (length >= LIMITS.textChars) return parts.join(' ');
      const text = cut(field, LIMITS.textChars - length);
      parts.push(text);
      length += text.length + 1;
    }
  }
  return parts.join(' ');
}

/**
 * Word tokens of a text, lower case: camelCase and snake_case split into words; numbers, long tokens
 * with digits (ids, hashes) and one-letter words dropped, as they name instances and times, not
 * problems (`5xx` and `p99` stay); plurals made singular; each token at most 32 characters.
 */
export function tokenize(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const spaced = text.slice(0, LIMITS.textChars).replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2');
  for (const raw of spaced.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (raw.length < 2 || STOPWORDS.has(raw) || /^\p{N}+$/u.test(raw)) continue;
    if (raw.length > 5 && /\p{N}/u.test(raw)) continue;
    const token = singular(raw.slice(0, 32));
    if (!counts.has(token) && counts.size >= LIMITS.tokens) continue;
    counts.set(token, (counts.get(token) ?? 0) + 1);
  }
  return counts;
}

/** `errors` → `error`: a plural is the same word to a reader (no full stemmer: it would guess wrong). */
const singular = (t: string): string =>
  t.length > 3 && t.endsWith('s') && !t.endsWith('ss') ? t.slice(0, -1) : t;

/** An incident's bounded features. */
export function featuresOf(subject: ClusterSubject): Features {
  const tokens = tokenize(textOf(subject));
  let sum = 0;
  for (const n of tokens.values()) sum += n * n;
  return {
    labels: labelPairs(subject.alerts),
    tokens,
    norm: Math.sqrt(sum),
    openedMs: Date.parse(subject.openedAt),
  };
}
