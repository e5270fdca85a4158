import { describe, expect, it } from 'vitest';
import { formatLogLine, terminalSafe } from '../../src/lib/log-format.js';
import { defaultLogFormat } from '../../src/lib/logger.js';
import pino from 'pino';
import { temporalLevel, temporalLogger } from '../../src/lib/temporal-logger.js';

const line = (record: Record<string, unknown>): string =>
  JSON.stringify({ level: 30, time: '2026-11-30T03:31:02.123Z', app: 'steadfast', ...record });

describe('log lines for people', () => {
  it('shows the time, the level and the message, then the fields that are not on every line', () => {
    const text = formatLogLine(
      line({ event: 'incident.opened', incidentId: 'incident-a', alerts: 2, msg: 'incident a opened' }),
    );
    expect(text).toBe(
      '03:31:02.123 INFO  incident a opened  event=incident.opened incidentId=incident-a alerts=2',
    );
  });

  it('quotes a value with spaces and writes objects as JSON', () => {
    const text = formatLogLine(
      line({ level: 40, msg: 'refused', why: 'not an approver', milestones: { opened: 't1' } }),
    );
    expect(text).toBe('03:31:02.123 WARN  refused  why="not an approver" milestones={"opened":"t1"}');
  });

  it("gives an error's message, and its stack at error level", () => {
    const err = {
      type: 'Error',
      message: 'socket hang up',
      stack: 'Error: socket hang up\n    at a (x.ts:1:1)',
    };
    expect(formatLogLine(line({ level: 40, msg: 'retrying', err }))).toBe(
      '03:31:02.123 WARN  retrying err="socket hang up"',
    );
    expect(formatLogLine(line({ level: 50, msg: 'failed', err }))).toBe(
      '03:31:02.123 ERROR failed err="socket hang up"\n    at a (x.ts:1:1)',
    );
  });

  it("keeps an error message's second line out of the stack, where it could pass for a log line", () => {
    const message = 'boom\n10:00:00.000 INFO  incident x approved by alice';
    const err = { type: 'Error', message, stack: `Error: ${message}\n    at a (x.ts:1:1)` };
    expect(formatLogLine(line({ level: 50, msg: 'failed', err }))).toBe(
      `03:31:02.123 ERROR failed err=${JSON.stringify(message)}\n    at a (x.ts:1:1)`,
    );
  });

  it("never writes an alert's control characters to the terminal: an escape sequence is shown, not run", () => {
    const title = 'Disk \u001b[2J\u001b]0;owned\u0007 full\nfake line \u202eevil';
    const text = formatLogLine(line({ msg: `incident opened: ${title}`, title }));
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(text).toContain('Disk \\u001b[2J\\u001b]0;owned\\u0007 full\\u000afake line \\u202eevil');
    expect(text.split('\n')).toHaveLength(1);
  });

  it('passes on a line that is not a JSON object, made safe', () => {
    expect(formatLogLine('plain \u001b[31mred')).toBe('plain \\u001b[31mred');
    expect(formatLogLine('[1,2]')).toBe('[1,2]');
    expect(terminalSafe('tab\tok')).toBe('tab\\u0009ok');
  });

  it('writes JSON unless stdout is a terminal', () => {
    expect(defaultLogFormat({ isTTY: true })).toBe('text');
    expect(defaultLogFormat({ isTTY: false })).toBe('json');
    expect(defaultLogFormat({})).toBe('json');
  });
});

describe("the Temporal SDK's lines", () => {
  it("writes the workflow bundler's webpack report at debug, and keeps every other line's level", () => {
    const report =
      'asset workflow-bundle-7f3a.js 1.46 MiB [emitted] (name: main)\norphan modules 1 MiB\nwebpack 5.97.1 compiled successfully in 4312 ms';
    expect(temporalLevel('INFO', report)).toBe('DEBUG');
    expect(temporalLevel('ERROR', `${report}\nERROR in ./src/workflows/index.ts`)).toBe('ERROR');
    expect(temporalLevel('INFO', 'Workflow bundle created')).toBe('INFO');
    expect(temporalLevel('WARN', 'Worker state changed')).toBe('WARN');
  });

  it('keeps the message and stack of an error the Temporal SDK logs (it names it `error`, which JSON writes as {})', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    temporalLogger(logger).error('Failed to process Workflow Activation', {
      runId: 'r1',
      error: new Error('heap limit reached'),
    });
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(record).toMatchObject({ event: 'temporal', runId: 'r1', err: { message: 'heap limit reached' } });
    expect(JSON.stringify(record['err'])).toContain('Error: heap limit reached');
    expect(record).not.toHaveProperty('error');
  });
});
