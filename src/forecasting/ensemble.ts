import { HorizonErrorTracker } from './errors.js';
import type { Forecaster } from './types.js';

export interface EnsembleOptions {
  /** The horizon, in steps, whose recent errors weight the members. Default 10. */
  horizon: number;
  /** Half-life, in steps, of the members' error averages. Default 100. */
  halfLife: number;
  /**
   * Weights are proportional to (best member's recent MAE / member's recent MAE)^power.
   * 1 is inverse-error weighting; a large power approaches picking the best member. Default 2.
   */
  power: number;
}

export const DEFAULT_ENSEMBLE_OPTIONS: EnsembleOptions = { horizon: 10, halfLife: 100, power: 2 };

/**
 * An online combination of forecasters. Every member is fed every value; each member's forecasts
 * `horizon` steps ahead are scored when their outcome arrives (exponentially weighted MAE), and
 * the combined forecast is the members' forecasts weighted by the inverse of that recent error.
 * Until the first errors are known, the members are weighted equally.
 *
 * Nothing is tuned per series: the weights adapt online, so a noisy series ends up weighted on the
 * smoothers and a smooth or trending one on the naive and trend members.
 */
export class EnsembleForecaster implements Forecaster {
  readonly name: string;
  readonly members: readonly HorizonErrorTracker[];
  private readonly power: number;
  private readonly weightsCache: number[];
  private weightsFresh = false;

  constructor(members: readonly Forecaster[], options: Partial<EnsembleOptions> = {}, name = 'ensemble') {
    if (members.length === 0) throw new RangeError('an ensemble needs at least one member');
    const { horizon, halfLife, power } = { ...DEFAULT_ENSEMBLE_OPTIONS, ...options };
    if (!(power >= 0)) throw new RangeError('power must be ≥ 0');
    this.name = name;
    this.power = power;
    this.members = members.map((m) => new HorizonErrorTracker(m, { horizon, halfLife }));
    this.weightsCache = new Array<number>(members.length).fill(1 / members.length);
  }

  update(value: number): void {
    for (const member of this.members) member.update(value);
    this.weightsFresh = false;
  }

  /** The members' current weights, in the members' order; they sum to 1. */
  weights(): readonly number[] {
    if (this.weightsFresh) return this.weightsCache;
    const { members, weightsCache: w } = this;
    let best = Number.POSITIVE_INFINITY;
    let scored = true;
    for (const member of members) {
      const mae = member.mae;
      if (!Number.isFinite(mae)) scored = false;
      else if (mae < best) best = mae;
    }
    let total = 0;
    for (let i = 0; i < members.length; i++) {
      const mae = members[i]?.mae ?? Number.NaN;
      // Not scored yet: equal weights. A perfect member (MAE 0) takes all the weight.
      const weight = !scored ? 1 : best === 0 ? (mae === 0 ? 1 : 0) : (best / mae) ** this.power;
      w[i] = weight;
      total += weight;
    }
    for (let i = 0; i < w.length; i++) w[i] = (w[i] ?? 0) / total;
    this.weightsFresh = true;
    return w;
  }

  forecast(h: number): number {
    const w = this.weights();
    let sum = 0;
    for (let i = 0; i < this.members.length; i++) {
      const weight = w[i] ?? 0;
      if (weight > 0) sum += weight * (this.members[i]?.forecast(h) ?? Number.NaN);
    }
    return sum;
  }
}
