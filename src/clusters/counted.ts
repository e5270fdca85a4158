import type { Counter } from 'prom-client';

/**
 * steadfast_alerts_clustered_total: the alerts an incident holds (its latest 50 at most, as its state
 * keeps them) the first time this process finds it in a cluster of two or more incidents. Repeated
 * GETs of the same clusters count nothing more, and alerts reaching an incident after it was first
 * counted are not added. Per process: each API process counts what it has computed itself, and one
 * that restarts counts again; incidents remembered are bounded (the oldest are forgotten first).
 */
export class ClusteredAlerts {
  private readonly seen = new Set<string>();

  constructor(
    private readonly counter: Pick<Counter, 'inc'>,
    private readonly remember = 10_000,
  ) {}

  /** Counts the members of clusters of ≥ 2 incidents not counted before; returns how many alerts. */
  count(clusters: readonly { members: readonly { incidentId: string; alerts: number }[] }[]): number {
    let added = 0;
    for (const cluster of clusters) {
      if (cluster.members.length < 2) continue;
      for (const m of cluster.members) {
        if (this.seen.has(m.incidentId)) continue;
        this.seen.add(m.incidentId);
        added += m.alerts;
      }
    }
    while (this.seen.size > this.remember) {
      const oldest = this.seen.values().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
    if (added > 0) this.counter.inc(added);
    return added;
  }
}
