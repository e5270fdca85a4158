import { ContextNovelty, type ContextOptions } from './context.js';

/**
 * Contextual novelty of the series seen at a coarser grain: the mean of every `scale` consecutive values
 * becomes one value of a slower series, with its own levels and contexts. A change in rhythm that is
 * spread over many rows (a new oscillation, a day shaped unlike the others) makes a short context of
 * block means new, while at the finest grain each row still looks ordinary.
 */
export class CoarseNovelty {
  private readonly novelty: ContextNovelty;
  private sum = 0;
  private count = 0;

  constructor(
    private readonly scale: number,
    context: ContextOptions,
  ) {
    // The calibration covers the same stretch of rows as at the finest grain, so fewer block means.
    this.novelty = new ContextNovelty({
      ...context,
      calibrationRows: Math.max(1, Math.ceil(context.calibrationRows / scale)),
    });
  }

  /** The novelty of the block this value completes, in [0, 1]; 0 for the rows inside a block. */
  update(value: number): number {
    this.sum += value;
    this.count++;
    if (this.count < this.scale) return 0;
    const mean = this.sum / this.count;
    this.sum = 0;
    this.count = 0;
    return this.novelty.update(mean);
  }
}
