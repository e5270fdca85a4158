import { describe, expect, it } from 'vitest';
import { labelBudget, MAX_LABEL_CHARS } from '../../src/lib/metrics.js';

describe('label values from outside', () => {
  it('are cut, and past the budget of distinct values counted as other, while known ones stay', () => {
    const label = labelBudget(2);
    expect(label('a')).toBe('a');
    expect(label('x'.repeat(500))).toBe('x'.repeat(MAX_LABEL_CHARS));
    expect(label('b')).toBe('other');
    expect(label('a')).toBe('a');
    // A value cut to one already seen is that one.
    expect(label('x'.repeat(MAX_LABEL_CHARS + 1))).toBe('x'.repeat(MAX_LABEL_CHARS));
  });
});
