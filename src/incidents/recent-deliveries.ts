import type { Alert } from '../domain/alert.js';
import { namesOneFiring } from '../domain/dedupe-key.js';

export interface RecentDeliveriesLimits {
  /** How long what was delivered to an incident is remembered, from its first delivery. */
  ttlMs: number;
  /** Incidents remembered; past it the least recently delivered to is forgotten. */
  incidents: number;
  /** Alerts remembered per incident, as many as an incident's own ledger tracks. */
  alertsPerIncident: number;
  /**
   * Alerts remembered in all: the two bounds above multiply to 50 million, which a sender with an ingest
   * token could fill over hours (an entry past its minute is only dropped when asked about again).
   */
  alerts: number;
  /** How long a resolution that reached no incident is remembered (see resolvedNowhere). */
  unopenedTtlMs: number;
  /** Such resolutions remembered; past it the oldest is forgotten. */
  unopened: number;
}

/**
 * A minute: longer than a storm's group_interval, so a storm's re-sent groups mostly stay in this process,
 * and far shorter than Alertmanager's usual repeat_interval (hours), so a group re-sent after its incident
 * closed reaches Temporal and opens a new one as it always did.
 */
export const RECENT_DELIVERIES: RecentDeliveriesLimits = {
  ttlMs: 60_000,
  incidents: 10_000,
  alertsPerIncident: 5_000,
  alerts: 200_000,
  // Longer than Alertmanager spends retrying one notification, or than its peers lag each other.
  unopenedTtlMs: 15 * 60_000,
  unopened: 100_000,
};

type Status = Alert['status'];
/**
 * What was delivered to one incident lately, where it went when the incident had been merged, and the
 * run that took it, when Temporal named it (signalWithStart answers the run it signalled).
 */
type Entry = { since: number; alerts: Map<string, Status>; reached?: string; run?: string };

/**
 * What this API process delivered to each incident lately, so a notification that repeats it is not sent
 * to Temporal again. Alertmanager notifies a group with every alert it holds, each group_interval, so in a
 * storm most alerts in a webhook are ones the incident already has: the workflow would drop them (its
 * ledger is the authority, see absorbAlerts), but only after they were written to its history and read
 * back. Only an accepted signal is remembered, so a delivery that failed is sent whole next time; a
 * process restarting or another replica simply sends what it does not know.
 */
export class RecentDeliveries {
  private readonly byIncident = new Map<string, Entry>();
  /** Resolutions that reached no open incident: when each came, by dedupeKey, oldest first. */
  private readonly unopened = new Map<string, number>();
  /** Alerts remembered over every incident. */
  private remembered = 0;

  constructor(
    /** Told how many alerts of a delivery were recognised as delivered already (for a metric). */
    private readonly onRecognised: (count: number) => void = () => undefined,
    private readonly limits: RecentDeliveriesLimits = RECENT_DELIVERIES,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The alerts the incident may not have: the rule of the workflow's ledger, here from memory. One it was
   * given resolved, or given with the same status, is left out.
   */
  unsent(incidentId: string, alerts: readonly Alert[]): Alert[] {
    const known = this.entry(incidentId)?.alerts;
    if (!known) return [...alerts];
    const unsent = alerts.filter((a) => {
      const status = known.get(a.dedupeKey);
      // An alert sent without its start may fire again after it resolved (namesOneFiring).
      const refires = status === 'resolved' && a.status === 'firing' && !namesOneFiring(a);
      return status === undefined || (status === 'firing' && a.status === 'resolved') || refires;
    });
    if (unsent.length < alerts.length) this.onRecognised(alerts.length - unsent.length);
    return unsent;
  }

  /**
   * Notes resolved alerts that found no open incident. Their firing may still come after them: an
   * Alertmanager peer's notification, or one retried after a 503, can arrive after another's "resolved",
   * and an incident opened by it would wait for a resolution already spent.
   */
  resolvedNowhere(alerts: readonly Alert[]): void {
    for (const a of alerts) {
      if (a.status !== 'resolved' || !namesOneFiring(a)) continue;
      this.unopened.delete(a.dedupeKey);
      this.unopened.set(a.dedupeKey, this.now());
    }
    for (const key of this.unopened.keys()) {
      if (this.unopened.size <= this.limits.unopened) break;
      this.unopened.delete(key);
    }
  }

  /** The alerts but the firing ones this process saw resolved, with no incident open, moments ago. */
  notResolvedNowhere(alerts: readonly Alert[]): Alert[] {
    if (this.unopened.size === 0) return [...alerts];
    return alerts.filter((a) => {
      if (a.status !== 'firing') return true;
      const at = this.unopened.get(a.dedupeKey);
      if (at === undefined) return true;
      if (this.now() - at < this.limits.unopenedTtlMs) return false;
      this.unopened.delete(a.dedupeKey);
      return true;
    });
  }

  /** The incident the latest delivery for this one reached, when it followed a merge there. */
  reached(incidentId: string): string | undefined {
    return this.entry(incidentId)?.reached;
  }

  /**
   * The run that took what is remembered for this incident, when Temporal named it. A run opened after it
   * closed never had those alerts; one it continued as carries them (see ingest's sameChain).
   */
  run(incidentId: string): string | undefined {
    return this.entry(incidentId)?.run;
  }

  /** Run `from`, which took what is remembered, continued as `to`: `to` holds it all now. */
  continued(incidentId: string, from: string, to: string): void {
    const entry = this.entry(incidentId);
    if (entry?.run === from) entry.run = to;
  }

  /**
   * Notes alerts Temporal accepted for the incident; `reached` names the incident that took them when it
   * was not this one (it had been merged), so a repeat is answered as the first delivery was. `run` is the
   * run of this incident that took them, when known: the caller has settled, before, that it is the
   * remembered run's chain (continued) or that the memory is forgotten.
   */
  delivered(incidentId: string, alerts: readonly Alert[], reached?: string, run?: string): void {
    let entry = this.entry(incidentId);
    if (!entry) {
      entry = { since: this.now(), alerts: new Map() };
      this.byIncident.set(incidentId, entry);
    } else {
      // Most recently delivered to last: the first in the map is the first to forget.
      this.byIncident.delete(incidentId);
      this.byIncident.set(incidentId, entry);
    }
    if (reached === undefined) delete entry.reached;
    else entry.reached = reached;
    // A delivery that followed a merge went to the target's run, not to one of this incident's.
    if (run !== undefined) entry.run = run;
    else if (reached !== undefined) delete entry.run;
    for (const a of alerts) {
      const known = entry.alerts.has(a.dedupeKey);
      if (entry.alerts.size >= this.limits.alertsPerIncident && !known) break;
      entry.alerts.set(a.dedupeKey, a.status);
      if (!known) this.remembered++;
    }
    this.evict();
  }

  private entry(incidentId: string): Entry | undefined {
    const entry = this.byIncident.get(incidentId);
    if (entry && this.now() - entry.since >= this.limits.ttlMs) {
      this.forget(incidentId);
      return undefined;
    }
    return entry;
  }

  /** Forgets the least recently delivered to first, until both bounds hold. */
  private evict(): void {
    for (const id of this.byIncident.keys()) {
      if (this.byIncident.size <= this.limits.incidents && this.remembered <= this.limits.alerts) return;
      this.forget(id);
    }
  }

  /** Forgets what was delivered to the incident: its run closed, and the next run never had it. */
  forget(incidentId: string): void {
    this.remembered -= this.byIncident.get(incidentId)?.alerts.size ?? 0;
    this.byIncident.delete(incidentId);
  }
}
