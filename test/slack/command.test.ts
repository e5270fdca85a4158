import { describe, expect, it } from 'vitest';
import { mayPauseRemediation, parseCommand, USAGE } from '../../src/slack/command.js';

const error = (text: string): string => {
  const parsed = parseCommand(text);
  if (parsed.ok) throw new Error(`${text} parsed: ${JSON.stringify(parsed.command)}`);
  return parsed.error;
};

describe('the /steadfast command text', () => {
  it('reads each command, its incident ID and its reason', () => {
    expect(parseCommand('status')).toEqual({ ok: true, command: { kind: 'status' } });
    expect(parseCommand('  STATUS ')).toEqual({ ok: true, command: { kind: 'status' } });
    expect(parseCommand('ack incident-ServiceDown.web-1a2b')).toEqual({
      ok: true,
      command: { kind: 'decide', verb: 'acknowledge', incidentId: 'incident-ServiceDown.web-1a2b' },
    });
    expect(parseCommand('approve incident-a   restart it, the leak is known ')).toEqual({
      ok: true,
      command: {
        kind: 'decide',
        verb: 'approve',
        incidentId: 'incident-a',
        reason: 'restart it, the leak is known',
      },
    });
    expect(parseCommand('Reject incident-a not during the sale')).toEqual({
      ok: true,
      command: { kind: 'decide', verb: 'reject', incidentId: 'incident-a', reason: 'not during the sale' },
    });
    expect(parseCommand('approve incident-a OVERRIDE the outage costs more than the freeze')).toEqual({
      ok: true,
      command: {
        kind: 'decide',
        verb: 'approve',
        incidentId: 'incident-a',
        reason: 'the outage costs more than the freeze',
        override: true,
      },
    });
    // Only an approval overrides a freeze: a rejection's reason may start with the word.
    expect(parseCommand('reject incident-a override nothing')).toEqual({
      ok: true,
      command: { kind: 'decide', verb: 'reject', incidentId: 'incident-a', reason: 'override nothing' },
    });
    expect(parseCommand('pause database migration\nuntil 14:00')).toEqual({
      ok: true,
      command: { kind: 'pause', reason: 'database migration until 14:00' },
    });
    expect(parseCommand('resume')).toEqual({ ok: true, command: { kind: 'resume' } });
    expect(parseCommand('')).toEqual({ ok: true, command: { kind: 'help' } });
    expect(parseCommand('help')).toEqual({ ok: true, command: { kind: 'help' } });
  });

  it('refuses bad input with a reason and the usage, and no command', () => {
    expect(error('restart web-1')).toBe(`\`restart\` is not a /steadfast command.\n${USAGE}`);
    expect(error('approve')).toMatch(/^Which incident\? `\/steadfast approve <incident ID> <reason>`/);
    expect(error('approve incident-a')).toMatch(/^Say why: `\/steadfast approve incident-a <reason>`/);
    expect(error('reject incident-a')).toMatch(/^Say why/);
    expect(error('approve incident-a override')).toMatch(
      /^Say why: `\/steadfast approve incident-a override <reason>`/,
    );
    expect(error('ack')).toMatch(/^Which incident\? `\/steadfast ack <incident ID>`/);
    expect(error('ack incident-a because')).toMatch(/^`\/steadfast ack` takes only an incident ID/);
    expect(error("approve incident';drop now")).toMatch(/is not an incident ID/);
    expect(error('approve <@U123> go')).toMatch(/is not an incident ID/);
    expect(error('pause')).toMatch(/^Say why: `\/steadfast pause <reason>`/);
    expect(error('resume now please')).toMatch(/takes nothing after it/);
    expect(error('status all')).toMatch(/takes nothing after it/);
    expect(error(`approve incident-a ${'x'.repeat(2001)}`)).toMatch(/longer than 2000 characters/);
    expect(error(`pause ${'x'.repeat(2001)}`)).toMatch(/longer than 2000 characters/);
    expect(error('x'.repeat(5000))).toMatch(/^`x{40}` is not/);
  });
});

describe('who may pause remediation from Slack', () => {
  it('is someone named in STEADFAST_APPROVERS, directly or through a user group', () => {
    const approvers = ['admin', 'slack:UALICE', 'slack-group:SONCALL'];
    expect(mayPauseRemediation(approvers, 'slack:UALICE', [])).toBe(true);
    expect(mayPauseRemediation(approvers, 'slack:UBOB', ['slack-group:SONCALL'])).toBe(true);
    expect(mayPauseRemediation(approvers, 'slack:UMALLORY', ['slack-group:SOTHER'])).toBe(false);
    expect(mayPauseRemediation([], 'slack:UALICE', [])).toBe(false);
  });
});
