import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  MAX_SILENCES,
  sameMatchers,
  SILENCE_CREATOR,
  silenceComment,
  silenceMarker,
  silenceMatchers,
  type SilenceMatcher,
} from '../domain/silence.js';
import { readBodyCapped } from '../lib/body.js';
import type { Logger } from '../lib/logger.js';

/** Where Alertmanager is (STEADFAST_ALERTMANAGER_URL); without it nothing is silenced. */
export interface SilenceConfig {
  alertmanagerUrl?: string;
  /** Bound on each call, so a hanging Alertmanager costs seconds, never the remediation. */
  timeoutMs?: number;
  now?: () => number;
}

export interface SilenceRequest {
  incidentId: string;
  runbookId: string;
  /** Who approved the remediation (a person, or the auto-approval policy). */
  approvedBy: string;
  /**
   * The incident's firing alerts from Alertmanager: one silence each. With `startsAt`, Alertmanager must
   * hold the alert with that start too (to the millisecond), not only with its labels.
   */
  alerts: { labels: Record<string, string>; startsAt?: string }[];
  /** How long the silences last at most: the remediation and its verification, with a margin. */
  durationMs: number;
}

export type SilenceResult =
  | { status: 'off' }
  | {
      status: 'silenced';
      silences: { id: string; alert: string; reused: boolean }[];
      /** Alerts that got no silence, and why. */
      skipped: string[];
      endsAt: string;
    };

/**
 * Alertmanager names a silence by a UUID. An ID is kept in the incident's state and put in a later URL,
 * so an answer that is not one (a proxy's page, a misbehaving server) is refused here, not stored.
 */
const silenceIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'not a silence ID');

const silenceSchema = z.object({
  id: silenceIdSchema,
  status: z.object({ state: z.string() }),
  comment: z.string().default(''),
  createdBy: z.string().default(''),
  matchers: z.array(
    z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean().optional() }),
  ),
});
type Silence = z.infer<typeof silenceSchema>;

/** Alertmanager's silences are small; a body past this is not an answer from Alertmanager. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** The label set's identity, for the marker: the same labels give the same key, in any order. */
const alertKey = (matchers: SilenceMatcher[]): string =>
  createHash('sha256')
    .update(JSON.stringify(matchers.map((m) => [m.name, m.value])))
    .digest('hex')
    .slice(0, 16);

/** What the timeline calls an alert: its name and a few labels, cut. */
function alertLabel(labels: Record<string, string>): string {
  const shown = Object.entries(labels)
    .filter(([name]) => name !== 'alertname')
    .slice(0, 4)
    .map(([name, value]) => `${name}=${value.slice(0, 60)}`);
  return `${(labels['alertname'] ?? '?').slice(0, 100)}{${shown.join(', ')}}`;
}

const live = (s: Silence): boolean => s.status.state === 'active' || s.status.state === 'pending';

/** Alertmanager's API v2 at `base`: each call bounded by `timeoutMs`, each answer capped. */
function alertmanagerApi(base: string, timeoutMs: number) {
  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${base}${path}`, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      ...(body !== undefined
        ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
        : {}),
    });
    const { text } = await readBodyCapped(response, MAX_BODY_BYTES);
    if (!response.ok) {
      throw new Error(
        `Alertmanager answered ${method} ${path} with HTTP ${response.status}: ${text.slice(0, 300)}`,
      );
    }
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }

  /** Steadfast's live silences for the incident (all of them, or the one for `alertKey`). */
  async function ownSilences(incidentId: string): Promise<Silence[]> {
    const listed = z.array(silenceSchema).parse(await call('GET', '/api/v2/silences'));
    const mark = silenceMarker(incidentId, '').replace(/\]$/, '');
    return listed.filter((s) => s.createdBy === SILENCE_CREATOR && s.comment.includes(mark) && live(s));
  }

  /**
   * Whether Alertmanager holds an alert with exactly these labels (and, when given, this start). An
   * alert's sender may send Steadfast labels that no alert in Alertmanager has (`{alertname, service}`
   * alone): its silence would mute only other people's alerts, those whose labels include these. And any
   * ingest token may post to the Alertmanager webhook: with another team's labels copied whole, its
   * incident's silence muted that team's real alert. The start it cannot copy without having read
   * Alertmanager, where it could silence the alert itself.
   */
  async function holds(matchers: SilenceMatcher[], startsAt: string | undefined): Promise<boolean> {
    const filters = matchers.map(
      (m) => `filter=${encodeURIComponent(`${m.name}=${JSON.stringify(m.value)}`)}`,
    );
    const held = z
      .array(z.object({ labels: z.record(z.string(), z.string()), startsAt: z.string().optional() }))
      .parse(await call('GET', `/api/v2/alerts?${filters.join('&')}`));
    const start = startsAt === undefined ? undefined : Date.parse(startsAt);
    return held.some(
      (a) =>
        Object.keys(a.labels).length === matchers.length &&
        matchers.every((m) => a.labels[m.name] === m.value) &&
        (start === undefined || (a.startsAt !== undefined && Date.parse(a.startsAt) === start)),
    );
  }

  return { call, ownSilences, holds };
}

/**
 * Silences in Alertmanager (API v2) while Steadfast fixes an incident, so that the alerts its own fix
 * raises or keeps firing do not page people who already know. Each call first looks for the silences
 * it made before (by the marker in their comment), so a retried activity never makes two.
 */
export function createSilenceActivities(config: SilenceConfig, logger: Logger) {
  const base = config.alertmanagerUrl?.replace(/\/+$/, '');
  const api = base ? alertmanagerApi(base, config.timeoutMs ?? 5000) : undefined;
  const now = config.now ?? Date.now;

  return {
    /** Silences each of the incident's alerts (reusing its own silences); `off` when Alertmanager is not configured. */
    async silenceIncident(request: SilenceRequest): Promise<SilenceResult> {
      if (!api) return { status: 'off' };
      const existing = await api.ownSilences(request.incidentId);
      const startsAt = new Date(now());
      const endsAt = new Date(startsAt.getTime() + request.durationMs);
      const silences: { id: string; alert: string; reused: boolean }[] = [];
      const skipped: string[] = [];
      for (const alert of request.alerts) {
        const planned = silenceMatchers(alert.labels);
        if ('refused' in planned) {
          skipped.push(`${alertLabel(alert.labels)}: ${planned.refused}`);
          continue;
        }
        if (silences.length >= MAX_SILENCES) {
          skipped.push(`${alertLabel(alert.labels)}: the incident already has ${MAX_SILENCES} silences`);
          continue;
        }
        const key = alertKey(planned.matchers);
        const mine = existing.find(
          (s) =>
            s.comment.includes(silenceMarker(request.incidentId, key)) &&
            sameMatchers(s.matchers, planned.matchers),
        );
        if (mine) {
          silences.push({ id: mine.id, alert: alertLabel(alert.labels), reused: true });
          continue;
        }
        if (!(await api.holds(planned.matchers, alert.startsAt))) {
          const what =
            alert.startsAt === undefined ? 'these labels' : `these labels, started at ${alert.startsAt}`;
          skipped.push(`${alertLabel(alert.labels)}: Alertmanager holds no alert with exactly ${what}`);
          continue;
        }
        const created = z.object({ silenceID: silenceIdSchema }).parse(
          await api.call('POST', '/api/v2/silences', {
            matchers: planned.matchers,
            startsAt: startsAt.toISOString(),
            endsAt: endsAt.toISOString(),
            createdBy: SILENCE_CREATOR,
            comment: silenceComment({ ...request, alertKey: key }),
          }),
        );
        silences.push({ id: created.silenceID, alert: alertLabel(alert.labels), reused: false });
        logger.info(
          { event: 'silence.created', incidentId: request.incidentId, silenceId: created.silenceID },
          'silence created',
        );
      }
      return { status: 'silenced', silences, skipped, endsAt: endsAt.toISOString() };
    },

    /**
     * Expires every live silence Steadfast made for the incident, found by its marker, so that one made
     * by an attempt whose answer was lost is expired too. Answers the IDs it expired.
     */
    async expireSilences(request: { incidentId: string }): Promise<{ expired: string[] }> {
      if (!api) return { expired: [] };
      const expired: string[] = [];
      for (const silence of await api.ownSilences(request.incidentId)) {
        await api.call('DELETE', `/api/v2/silence/${encodeURIComponent(silence.id)}`);
        expired.push(silence.id);
        logger.info(
          { event: 'silence.expired', incidentId: request.incidentId, silenceId: silence.id },
          'silence expired',
        );
      }
      return { expired };
    },
  };
}
