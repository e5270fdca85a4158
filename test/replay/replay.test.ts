import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../support/temporal.js';

const dir = join(import.meta.dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

/**
 * Histories recorded from real incidents of the scenario tests (STEADFAST_RECORD_HISTORIES=1). Replaying
 * them against today's workflow code catches any change that would break incidents already running.
 */
describe('recorded incident histories replay against the current workflow code', () => {
  it('has the recorded scenarios to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  it.each(files)('%s replays without non-determinism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    await Worker.runReplayHistory(
      { workflowBundle: await workflowBundle() },
      history,
      file.replace(/\.json$/, ''),
    );
  });
});
