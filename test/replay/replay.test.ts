import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import * as workflows from '../../src/workflows/index.js';
import { recordedCommands, replayIssuingCommands, type Command, type Issued } from './commands.js';

const dir = join(import.meta.dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const read = (file: string): History => historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
const workflowType = (history: History): string | null | undefined =>
  history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

/**
 * Histories recorded from real runs of the scenario tests (STEADFAST_RECORD_HISTORIES=1; see
 * docs/testing.md). Replaying them against today's workflow code catches any change that would break
 * workflows already running.
 *
 * The rule from here on: every change to workflow code (src/workflows/) is patched (`patched()`) or
 * versioned (a new workflow type), and this suite proves it: the old histories still replay, and a
 * new history records the new branch beside them. A history is never re-recorded to make a change
 * pass. The one exception is a change seen only by the argument check below, made on purpose and
 * harmless to running workflows (the wording of a message an activity receives): re-record the
 * histories it names in the same commit, and say why.
 */
describe('recorded histories replay against the current workflow code', () => {
  it('covers every workflow the worker runs, and holds activities, timers and a continue-as-new to compare', () => {
    const histories = files.map(read);
    const types = new Set(histories.map(workflowType));
    expect([...types].sort()).toEqual(Object.keys(workflows).sort());
    const kinds = new Set(histories.flatMap((h) => recordedCommands(h).map((c) => c.kind)));
    expect([...kinds].sort()).toEqual(['activity', 'continue-as-new', 'timer']);
  });

  // Replay compares the kinds and order of commands only. The interceptor (issued-commands.ts) shows
  // what the code issues, so each activity's arguments and options and each timer's duration must
  // also be the ones recorded. In replay Date.now() is the recorded task's time, so durations computed
  // from the clock (escalation deadlines) reproduce exactly.
  it.each(files)(
    '%s replays, issuing the recorded activities (arguments, options), timers and continue-as-new',
    async (file) => {
      const history = read(file);
      const issued = await replayIssuingCommands(history, file.replace(/\.json$/, ''));
      const recorded = recordedCommands(history);
      expect(matching(recorded, issued)).toEqual(recorded);
    },
  );
});

const key = (c: Command): string => `${c.kind}:${c.id}`;

/**
 * For each recorded command, the one the code issued with the same ID (activity and timer IDs are
 * sequence numbers), then any the code issued that the history does not hold but should: all but
 * timers cancelled in the task that started them, which never reach the server.
 */
function matching(recorded: Command[], issued: Issued): (Command | { missing: string })[] {
  const byKey = new Map(issued.commands.map((c) => [key(c), c]));
  const recordedKeys = new Set(recorded.map(key));
  const unseen = (c: Command): boolean =>
    !recordedKeys.has(key(c)) && !(c.kind === 'timer' && issued.cancelledTimers.has(c.id));
  return [
    ...recorded.map((r) => byKey.get(key(r)) ?? { missing: key(r) }),
    ...issued.commands.filter(unseen),
  ];
}
