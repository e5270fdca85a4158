import { DEFAULT_FORECAST_OPTIONS, forecastThreshold } from '../domain/forecast.js';
import type { FleetSample } from './history.js';

/**
 * The risk the fleet view shows for a container: the forecast's chance that its memory passes
 * RISK.memoryShare of its limit within RISK.horizonSeconds, where the kernel starts reclaiming hard and
 * then kills. Memory is what ends a container on its own; CPU only slows it, so it is not a failure here.
 */
export const RISK = { memoryShare: 0.9, horizonSeconds: 1800, minSamples: 8 } as const;

export interface FleetRisk {
  level: 'high' | 'medium' | 'low' | 'unknown';
  /** Chance of passing the memory threshold within the horizon, 0–1; null when unknown. */
  probability: number | null;
  /** When the forecast crosses it, in seconds from the last sample; null when not within its look-ahead. */
  secondsToThreshold: number | null;
  /** What the level rests on, in one sentence. */
  basis: string;
}

/** High from 0.8, the probability at which a watch warns by default; medium from an even chance. */
export function riskLevel(probability: number): FleetRisk['level'] {
  return probability >= 0.8 ? 'high' : probability >= 0.5 ? 'medium' : 'low';
}

export function fleetRisk(samples: readonly FleetSample[], memoryLimited: boolean): FleetRisk {
  const unknown = (basis: string): FleetRisk => ({
    level: 'unknown',
    probability: null,
    secondsToThreshold: null,
    basis,
  });
  if (!memoryLimited) return unknown('no memory limit of its own: nothing to run out of but the host');
  const points = samples.filter((s) => s.memoryShare !== null);
  if (points.length < RISK.minSamples)
    return unknown(`${points.length} of the ${RISK.minSamples} memory samples a forecast needs`);
  const forecast = forecastThreshold(
    {
      query: 'memory share',
      labels: {},
      times: points.map((s) => s.atMs / 1000),
      values: points.map((s) => s.memoryShare ?? 0),
    },
    { value: RISK.memoryShare, direction: 'above' },
    { ...DEFAULT_FORECAST_OPTIONS, probabilityWindowSeconds: RISK.horizonSeconds },
  );
  if (!forecast || forecast.probability === undefined) return unknown('no forecast from these samples');
  const minutes = Math.round(RISK.horizonSeconds / 60);
  return {
    level: riskLevel(forecast.probability),
    probability: Math.round(forecast.probability * 1000) / 1000,
    secondsToThreshold: forecast.secondsToThreshold ?? null,
    basis: `${Math.round(forecast.probability * 100)}% chance memory passes ${RISK.memoryShare * 100}% of its limit within ${minutes} min (${points.length} samples): ${forecast.summary}`,
  };
}
