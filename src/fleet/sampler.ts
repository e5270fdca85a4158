import type { Gauge } from 'prom-client';
import type { Logger } from '../lib/logger.js';
import { boundedLabel } from '../lib/metrics.js';
import type { FleetAnswer } from './collect.js';
import { recordPoll, type FleetHistory } from './history.js';
import type { InterventionCounts } from './interventions.js';
import type { FleetRow } from './row.js';
import { fleetRisk } from './risk.js';

/** The gauges each sample sets, by container and service (see src/lib/metrics.ts). */
export interface FleetGauges {
  memoryShare: Gauge<'container' | 'service'>;
  cpuCores: Gauge<'container' | 'service'>;
  risk: Gauge<'container' | 'service'>;
}

export interface FleetSamplerOptions {
  read: (counts: InterventionCounts) => Promise<FleetAnswer>;
  intervalMs: number;
  /** Samples kept a container: at 15 s, 240 are the last hour. */
  capacity: number;
  gauges: FleetGauges;
  logger: Logger;
}

export interface FleetSampler {
  history: FleetHistory;
  /** One poll now; what the interval runs. */
  sample(): Promise<void>;
  stop(): void;
}

const labelsOf = (row: FleetRow): { container: string; service: string } => ({
  container: boundedLabel(row.name),
  service: boundedLabel(row.service ?? ''),
});

/**
 * Polls the fleet on an interval, keeping each container's recent samples for its risk forecast and
 * exporting them as gauges, so that Prometheus keeps the series and a watch can forecast containers
 * no alert rule covers. A poll that fails is logged once until one succeeds again; it never stops the
 * sampler. Polls never overlap: a slow engine delays the next one.
 */
export function startFleetSampler(options: FleetSamplerOptions): FleetSampler {
  const history: FleetHistory = new Map();
  const exported = new Map<string, { container: string; service: string }>();
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const publish = (rows: FleetRow[]): void => {
    const present = new Set(rows.map((r) => r.id));
    for (const [id, labels] of exported) {
      if (present.has(id)) continue;
      const { memoryShare, cpuCores, risk } = options.gauges;
      for (const gauge of [memoryShare, cpuCores, risk]) gauge.remove(labels);
      exported.delete(id);
    }
    for (const row of rows) {
      const labels = labelsOf(row);
      exported.set(row.id, labels);
      const set = (gauge: Gauge<'container' | 'service'>, value: number | null): void => {
        if (value === null) gauge.remove(labels);
        else gauge.set(labels, value);
      };
      set(options.gauges.memoryShare, row.memoryShare);
      set(options.gauges.cpuCores, row.cpuCores);
      set(options.gauges.risk, fleetRisk(history.get(row.id) ?? [], row.memoryLimited).probability);
    }
  };

  const sample = async (): Promise<void> => {
    try {
      const answer = await options.read(new Map());
      recordPoll(history, answer.containers, Date.parse(answer.at), options.capacity);
      publish(answer.containers);
      if (failing) options.logger.info({ event: 'fleet.sampling-resumed' }, 'fleet sampling works again');
      failing = false;
    } catch (err) {
      if (!failing)
        options.logger.warn({ event: 'fleet.sampling-failed', err: String(err) }, 'fleet sampling failed');
      failing = true;
    }
  };

  const loop = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void sample().finally(loop), options.intervalMs);
    timer.unref();
  };
  loop();
  return {
    history,
    sample,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
