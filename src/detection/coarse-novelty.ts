import { ContextNovelty, type ContextOptions } from './context.js';

/**
 * Novelty of the series seen at a coarser grain: the mean of every `scale` consecutive values becomes
 * one value of a slower series, quantised with levels of its own, and a block mean at a level never seen
 * before is new. A change spread over many rows (a shift, a new mix of highs and lows) moves the block
 * mean to a new level, while at the finest grain each row still looks ordinary.
 *
 * Only the level counts, not a sequence of levels. A sequence of block means never seen before decided no
 * alarm at the 4-row grain on the NAB subset or the synthetic series, and at 16 and 64 rows it raised false
 * alarms: the sequences a long series can make grow as levels to the power of their length, so new ones
 * keep coming. Asking the level alone raised every held-out figure on all three profiles and lost no
 * synthetic detection (bench/README.md, seventh round).
 */
export class CoarseNovelty {
  private readonly novelty: ContextNovelty;
  private sum = 0;
  private count = 0;

  constructor(
    private readonly scale: number,
    context: Omit<ContextOptions, 'lengths'>,
  ) {
    // The calibration covers the same stretch of rows as at the finest grain, so fewer block means.
    this.novelty = new ContextNovelty({
      levels: context.levels,
      lengths: [1],
      calibrationRows: Math.max(1, Math.ceil(context.calibrationRows / scale)),
    });
  }

  /** 1 when the block this value completes has its mean at a level never seen, else 0 (and 0 inside a block). */
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
