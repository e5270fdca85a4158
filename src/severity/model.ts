/**
 * A naive Bayes model of severity, learned online from operators' corrections and incidents' outcomes.
 * Written here rather than taken from a library: it must live in a Temporal workflow's state (plain
 * JSON, bounded, changed only by pure functions), unlearn an example a person replaces, and say which
 * features made its choice; the classifiers on npm keep opaque state and explain nothing.
 */

/** One severity's evidence: how much it was taught, and how often each feature came with it. */
export interface SeverityClass {
  severity: string;
  /** Total weight of the examples taught as this severity. */
  weight: number;
  /** Total weight of all features of those examples. */
  featureWeight: number;
  counts: Record<string, number>;
}

export interface SeverityModel {
  classes: SeverityClass[];
}

export interface Example {
  features: string[];
  severity: string;
  weight: number;
}

/** Past this many distinct features the rarest are forgotten (down to 90% of it), so the state stays small. */
export const MAX_FEATURES = 4_000;
/** Fewer examples than this, in all, and the model says it is still learning. */
export const MIN_EXAMPLES = 5;
/** Below this probability the model does not suggest a severity different from the label. */
export const MIN_CONFIDENCE = 0.6;

export const emptyModel = (): SeverityModel => ({ classes: [] });

/** Adds an example (or, with a negative weight, takes back one taught before). */
export function teach(model: SeverityModel, example: Example): void {
  let cls = model.classes.find((c) => c.severity === example.severity);
  if (!cls) {
    if (example.weight <= 0) return;
    cls = { severity: example.severity, weight: 0, featureWeight: 0, counts: {} };
    model.classes.push(cls);
  }
  cls.weight = clean(cls.weight + example.weight);
  for (const f of example.features) {
    const next = clean((own(cls.counts, f) ?? 0) + example.weight);
    if (next > 0) cls.counts[f] = next;
    else delete cls.counts[f];
    cls.featureWeight = clean(cls.featureWeight + example.weight);
  }
  model.classes = model.classes.filter((c) => c.weight > 0);
  forgetRarest(model);
}

/** Floating sums of weights added and taken back must come back to exactly zero. */
const clean = (n: number): number => (Math.abs(n) < 1e-9 ? 0 : Math.round(n * 1e6) / 1e6);

/** Features are strangers' strings: only own properties count, never Object.prototype's. */
function own(counts: Record<string, number>, f: string): number | undefined {
  return Object.hasOwn(counts, f) ? counts[f] : undefined;
}

function forgetRarest(model: SeverityModel): void {
  // Cheap bound first: the classes' key counts added up are at least the distinct features.
  if (model.classes.reduce((n, c) => n + Object.keys(c.counts).length, 0) <= MAX_FEATURES) return;
  const totals = new Map<string, number>();
  for (const c of model.classes)
    for (const [f, n] of Object.entries(c.counts)) totals.set(f, (totals.get(f) ?? 0) + n);
  if (totals.size <= MAX_FEATURES) return;
  // Down to 90% at once, so that the sort runs once per few hundred new features, not per lesson.
  // Ties fall to the name, so every replay of the workflow forgets the same features.
  const ranked = [...totals].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  for (const [f] of ranked.slice(0, totals.size - Math.floor(MAX_FEATURES * 0.9))) {
    for (const c of model.classes) {
      const n = own(c.counts, f);
      if (n === undefined) continue;
      c.featureWeight = clean(c.featureWeight - n);
      delete c.counts[f];
    }
  }
}

export interface Suggestion {
  /** `suggested`: the model has a view; `learning`: too few examples to have one. */
  status: 'suggested' | 'learning';
  /** The severity the alert's label gave. */
  label: string;
  severity?: string;
  /** The model's probability for `severity`, 0..1. */
  confidence?: number;
  /** Features that pushed toward `severity` most, strongest first. */
  because?: string[];
  /** Total weight of the examples the model has learned from. */
  examples: number;
  message: string;
}

/**
 * The model's view of an alert's severity. It only proposes a different severity when it is fairly
 * sure; otherwise it agrees with the label, so a young or confused model never adds noise.
 */
export function suggest(model: SeverityModel, features: string[], label: string): Suggestion {
  const examples = clean(model.classes.reduce((n, c) => n + c.weight, 0));
  if (examples < MIN_EXAMPLES || model.classes.length === 0) {
    const message = `severity ${label} as labelled; the model has learned from ${examples} of the ${MIN_EXAMPLES} incidents it needs`;
    return { status: 'learning', label, examples, message };
  }
  const posterior = probabilities(model, features);
  const [best] = posterior;
  if (!best) return { status: 'learning', label, examples, message: `severity ${label} as labelled` };
  const proposed = best.severity !== label && best.p >= MIN_CONFIDENCE ? best : undefined;
  const chosen = proposed ?? posterior.find((p) => p.severity === label) ?? best;
  const rival = posterior.find((p) => p.severity !== chosen.severity);
  const because = rival ? strongest(model, features, chosen.severity, rival.severity) : [];
  const percent = `${Math.round(chosen.p * 100)}%`;
  const why = because.length > 0 ? `: ${because.map(quote).join(', ')}` : '';
  const message = proposed
    ? `suggests severity ${proposed.severity} instead of the label's ${label} (${percent}, from ${examples} past incidents)${why}`
    : `agrees with severity ${label} (${percent}, from ${examples} past incidents)${why}`;
  return {
    status: 'suggested',
    label,
    severity: chosen.severity,
    confidence: Math.round(chosen.p * 1000) / 1000,
    because,
    examples,
    message,
  };
}

const quote = (feature: string): string => (feature.startsWith('word:') ? `"${feature.slice(5)}"` : feature);

/** Posterior probability of each severity, most likely first (Laplace-smoothed multinomial). */
export function probabilities(model: SeverityModel, features: string[]): { severity: string; p: number }[] {
  const vocabulary = new Set(model.classes.flatMap((c) => Object.keys(c.counts))).size + 1;
  const total = model.classes.reduce((n, c) => n + c.weight, 0);
  const logs = model.classes.map((c) => {
    let log = Math.log(c.weight / total);
    for (const f of features) log += Math.log(((own(c.counts, f) ?? 0) + 1) / (c.featureWeight + vocabulary));
    return { severity: c.severity, log };
  });
  const top = Math.max(...logs.map((l) => l.log));
  const sum = logs.reduce((n, l) => n + Math.exp(l.log - top), 0);
  return logs
    .map((l) => ({ severity: l.severity, p: Math.exp(l.log - top) / sum }))
    .sort((a, b) => b.p - a.p || (a.severity < b.severity ? -1 : 1));
}

/** The features, seen in training, whose odds favour `chosen` over `rival` the most. */
function strongest(model: SeverityModel, features: string[], chosen: string, rival: string): string[] {
  const a = model.classes.find((c) => c.severity === chosen);
  const b = model.classes.find((c) => c.severity === rival);
  if (!a || !b) return [];
  const ratio = (f: string): number =>
    Math.log(((own(a.counts, f) ?? 0) + 1) / (a.featureWeight + 1)) -
    Math.log(((own(b.counts, f) ?? 0) + 1) / (b.featureWeight + 1));
  return features
    .filter((f) => (own(a.counts, f) ?? 0) > 0)
    .map((f) => ({ f, r: ratio(f) }))
    .filter((x) => x.r > 0)
    .sort((x, y) => y.r - x.r || (x.f < y.f ? -1 : 1))
    .slice(0, 3)
    .map((x) => x.f);
}
