import { describe, expect, it } from 'vitest';
import { faultStartOf } from '../../src/domain/fault-start.js';

describe('faultStartOf', () => {
  it('reads RFC 3339 and Unix seconds', () => {
    expect(faultStartOf({ fault_started_at: '2026-11-24T06:20:00Z' })).toBe('2026-11-24T06:20:00.000Z');
    expect(faultStartOf({ fault_started_at: '1764000000' })).toBe('2025-11-24T16:00:00.000Z');
    expect(faultStartOf({ fault_started_at: '1764000000.5' })).toBe('2025-11-24T16:00:00.500Z');
    expect(faultStartOf({ fault_started_at: '2026-11-24T07:20:00+01:00' })).toBe('2026-11-24T06:20:00.000Z');
  });

  it('ignores what is absent, not a time, or beyond what a Date can hold', () => {
    for (const value of [
      '',
      'soon',
      '0',
      '-5',
      '1e300',
      '99999999999999',
      '8640000000000.001',
      'NaN',
      '2026-11-24',
      'Tue, 24 Nov 2026 06:20:00 GMT',
      '+275761-01-01T00:00:00Z',
    ]) {
      expect(faultStartOf({ fault_started_at: value })).toBeUndefined();
    }
    expect(faultStartOf({})).toBeUndefined();
    expect(faultStartOf({ fault_started_at: '8640000000000' })).toBe('+275760-09-13T00:00:00.000Z');
  });
});
