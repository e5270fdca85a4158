import { wallMs, wallTimeAt } from '../domain/zone.js';
import type { LedgerEntry } from './ledger.js';
import { verdictOf, type EffectiveVerdict, type VerdictKind } from './verdict.js';

/**
 * The noise summary: verdicts over a window, the alert-fatigue score, and the rules and services that
 * keep paging for nothing. Pure: the API and the gauges give it the ledger and the pages they read.
 */

/** An incident opened: each one pages whoever is on call (every incident is announced). */
export interface Page {
  incidentId: string;
  at: string;
}

export interface SummaryOptions {
  /** How far back the summary looks. */
  windowMs: number;
  /** A rule or service with at least `minVerdicts` decided incidents, `noiseShare` of them noise, is flagged. */
  noisy: { minVerdicts: number; noiseShare: number };
  /** The time zone whose clock weighs pages (an IANA name). */
  timeZone: string;
}

export const DEFAULT_SUMMARY: SummaryOptions = {
  windowMs: 7 * 86_400_000,
  noisy: { minVerdicts: 5, noiseShare: 0.6 },
  timeZone: 'UTC',
};

/** How much a page weighs by the on-call person's local clock. */
export const PAGE_WEIGHTS = { working: 1, offHours: 2, night: 3 } as const;
export type PageBand = keyof typeof PAGE_WEIGHTS;

export interface Flagged {
  kind: 'alertname' | 'service';
  name: string;
  /** Incidents with a verdict of actionable or noise (duplicates say nothing of the rule). */
  decided: number;
  noise: number;
  share: number;
}

export interface Fatigue {
  /** Weighted pages per on-call hour: Σ weight(page) / hours in the window. */
  score: number;
  pages: number;
  weightedPages: number;
  onCallHours: number;
  byBand: Record<PageBand, number>;
  timeZone: string;
}

export interface JudgedIncident {
  incidentId: string;
  service: string;
  alertName: string;
  openedAt: string;
  closedAt?: string;
  alerts?: number;
  verdict: EffectiveVerdict;
}

export interface VerdictSummary {
  from: string;
  to: string;
  counts: Record<VerdictKind | 'none', number>;
  bySource: { person: number; evidence: number };
  /** noise / (actionable + noise); null without either. */
  noiseShare: number | null;
  /** Mean alerts of the closed incidents in the window; null without any. */
  alertsPerIncident: number | null;
  fatigue: Fatigue;
  flagged: Flagged[];
  /** The window's judged incidents, newest first. */
  incidents: JudgedIncident[];
}

/** The band a moment falls in on `timeZone`'s clock: night 22–07, working Mon–Fri 09–18, else off hours. */
export function pageBand(at: Date, timeZone: string): PageBand {
  const wall = wallTimeAt(at.getTime(), timeZone);
  const weekday = new Date(wallMs(wall)).getUTCDay();
  if (wall.hour >= 22 || wall.hour < 7) return 'night';
  if (wall.hour >= 9 && wall.hour < 18 && weekday !== 0 && weekday !== 6) return 'working';
  return 'offHours';
}

export function fatigueOf(pages: Page[], fromMs: number, toMs: number, timeZone: string): Fatigue {
  const byBand: Record<PageBand, number> = { working: 0, offHours: 0, night: 0 };
  for (const p of pages) {
    const at = Date.parse(p.at);
    if (at >= fromMs && at <= toMs) byBand[pageBand(new Date(at), timeZone)]++;
  }
  const count = byBand.working + byBand.offHours + byBand.night;
  const weighted =
    byBand.working * PAGE_WEIGHTS.working +
    byBand.offHours * PAGE_WEIGHTS.offHours +
    byBand.night * PAGE_WEIGHTS.night;
  const hours = Math.max((toMs - fromMs) / 3_600_000, 1 / 60);
  return {
    score: weighted / hours,
    pages: count,
    weightedPages: weighted,
    onCallHours: hours,
    byBand,
    timeZone,
  };
}

/** The rules (alertname) and services whose decided incidents are mostly noise. */
export function flaggedSources(judged: JudgedIncident[], noisy: SummaryOptions['noisy']): Flagged[] {
  const tally = new Map<string, Flagged>();
  for (const j of judged) {
    const v = j.verdict.verdict;
    if (v !== 'actionable' && v !== 'noise') continue;
    for (const [kind, name] of [
      ['alertname', j.alertName],
      ['service', j.service],
    ] as const) {
      if (!name) continue;
      const key = `${kind}\u0000${name}`;
      const t = tally.get(key) ?? { kind, name, decided: 0, noise: 0, share: 0 };
      t.decided++;
      if (v === 'noise') t.noise++;
      t.share = t.noise / t.decided;
      tally.set(key, t);
    }
  }
  return [...tally.values()]
    .filter((t) => t.decided >= noisy.minVerdicts && t.share >= noisy.noiseShare)
    .sort((a, b) => b.share - a.share || b.decided - a.decided || a.name.localeCompare(b.name));
}

/**
 * Whether an alert's rule or service is flagged as paging for nothing, from the ledger's entries: what
 * triage tells people about a new incident (the ledger workflow answers it as a query, so only the
 * flags travel, not the ledger).
 */
export function flaggedFor(
  entries: LedgerEntry[],
  source: { alertName: string; service: string },
  now: number,
  options: SummaryOptions = DEFAULT_SUMMARY,
): Flagged[] {
  const from = now - options.windowMs;
  const judged = entries
    .filter((e) => Date.parse(e.openedAt) >= from)
    .filter((e) => e.alertName === source.alertName || e.service === source.service)
    .map((e) => ({ ...e, verdict: verdictOf(e) }));
  return flaggedSources(judged, options.noisy).filter((f) =>
    f.kind === 'alertname' ? f.name === source.alertName : f.name === source.service,
  );
}

/** The sentence the timeline shows for flags (see flaggedFor); undefined without any. */
export function flaggedSentence(
  flags: Flagged[],
  options: SummaryOptions = DEFAULT_SUMMARY,
): string | undefined {
  if (flags.length === 0) return undefined;
  const days = Math.round(options.windowMs / 86_400_000);
  const parts = flags.map(
    (f) =>
      `${f.kind === 'alertname' ? 'rule' : 'service'} ${f.name} was judged noise in ${f.noise} of ${f.decided} incidents`,
  );
  return `Often noise: ${parts.join('; ')} over the last ${days} days (docs/verdicts.md)`;
}

export function summarizeVerdicts(
  entries: LedgerEntry[],
  pages: Page[],
  now: number,
  options: SummaryOptions = DEFAULT_SUMMARY,
): VerdictSummary {
  const from = now - options.windowMs;
  const judged: JudgedIncident[] = entries
    .filter((e) => Date.parse(e.openedAt) >= from)
    .sort((a, b) => Date.parse(b.openedAt) - Date.parse(a.openedAt))
    .map((e) => ({
      incidentId: e.incidentId,
      service: e.service,
      alertName: e.alertName,
      openedAt: e.openedAt,
      ...(e.closedAt ? { closedAt: e.closedAt } : {}),
      ...(e.alerts !== undefined ? { alerts: e.alerts } : {}),
      verdict: verdictOf(e),
    }));
  const counts = { actionable: 0, noise: 0, duplicate: 0, none: 0 };
  const bySource = { person: 0, evidence: 0 };
  for (const j of judged) {
    counts[j.verdict.verdict ?? 'none']++;
    if (j.verdict.source) bySource[j.verdict.source]++;
  }
  const decided = counts.actionable + counts.noise;
  const withAlerts = judged.flatMap((j) => (j.alerts !== undefined ? [j.alerts] : []));
  return {
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    counts,
    bySource,
    noiseShare: decided ? counts.noise / decided : null,
    alertsPerIncident: withAlerts.length ? withAlerts.reduce((s, n) => s + n, 0) / withAlerts.length : null,
    fatigue: fatigueOf(pages, from, now, options.timeZone),
    flagged: flaggedSources(judged, options.noisy),
    incidents: judged,
  };
}
