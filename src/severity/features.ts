import type { Alert } from '../domain/alert.js';

/**
 * What the severity model reads of an alert: its rule and service, its stable labels and the words of
 * its prose. Everything comes from the alert's sender, so every part is bounded: a label set or a
 * description of any size gives at most MAX_FEATURES short strings.
 */
export const FEATURE_LIMITS = { labels: 24, words: 48, valueChars: 64 } as const;

/**
 * Labels that name one instance of a thing rather than the kind of problem: they would make every
 * alert look new. `severity` is the answer the model is asked for, so it is never a feature.
 */
const IGNORED_LABELS = new Set([
  'severity',
  'alertname',
  'service',
  'instance',
  'pod',
  'pod_name',
  'container',
  'container_id',
  'id',
  'uid',
  'node',
  'host',
  'hostname',
  'ip',
  'address',
  'endpoint',
  'fingerprint',
  'prometheus',
  'prometheus_replica',
  'replica',
]);

/** Words too common in alert prose to tell anything. */
const STOPWORDS = new Set(
  'the and for with from that this than has have are was were been over under into its not but all any can'
    .split(' ')
    .concat('is on in of to at by be or an as it a'.split(' ')),
);

const PROSE = ['summary', 'description', 'message', 'title'];

export function severityFeatures(alert: Pick<Alert, 'alertName' | 'labels' | 'annotations'>): string[] {
  const out = new Set<string>();
  const cut = (s: string): string => s.slice(0, FEATURE_LIMITS.valueChars);
  out.add(`alertname=${cut(alert.alertName)}`);
  const service = alert.labels['service'];
  if (service) out.add(`service=${cut(service)}`);
  const labels = Object.keys(alert.labels)
    .filter((k) => !IGNORED_LABELS.has(k))
    .sort()
    .slice(0, FEATURE_LIMITS.labels);
  for (const key of labels) out.add(`${cut(key)}=${cut(alert.labels[key] ?? '')}`);
  for (const word of proseWords(alert.annotations)) out.add(`word:${word}`);
  return [...out];
}

function proseWords(annotations: Record<string, string>): string[] {
  const words = new Set<string>();
  for (const key of PROSE) {
    // Only the start of a long text is read: the words that name a problem come first.
    const text = (annotations[key] ?? '').slice(0, 2_000).toLowerCase();
    for (const word of text.split(/[^\p{L}\p{N}]+/u)) {
      if (words.size >= FEATURE_LIMITS.words) return [...words];
      if (word.length < 3 || word.length > 32 || STOPWORDS.has(word) || /^\d+$/.test(word)) continue;
      words.add(word);
    }
  }
  return [...words];
}
