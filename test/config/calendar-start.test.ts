import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { CalendarError } from '../../src/domain/calendar.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics, startWorker } from '../../src/system.js';

describe('a change calendar with a mistake', () => {
  it('fails the worker at start, naming file, line and field, before anything connects', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'steadfast-calendar-')), 'calendar.yaml');
    writeFileSync(
      file,
      'freezes:\n  - name: launch\n    reason: launch week\n    start: tomorrow\n    end: 2027-01-01T00:00:00Z\n',
    );
    // Nothing listens on port 1: reaching Temporal would fail differently.
    const settings = loadSettings({ STEADFAST_CALENDAR_FILE: file, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    const started = startWorker(settings, createLogger('silent'), createMetrics());
    await expect(started).rejects.toBeInstanceOf(CalendarError);
    await expect(started).rejects.toThrow(`${file}:4: freezes.0.start: an RFC 3339 time with its offset`);
  });
});
