import { seededRandom } from '../../src/lib/random.js';

/** Deterministic pseudo-random numbers for the forecasting tests (mulberry32 + Box–Muller). */
export function gaussianNoise(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
