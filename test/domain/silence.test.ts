import { describe, expect, it } from 'vitest';
import { sameMatchers, silenceComment, silenceMarker, silenceMatchers } from '../../src/domain/silence.js';
import {
  markdownText,
  webUiCurrentDetails,
  webUiDetails,
  webUiSummary,
} from '../../src/domain/incident-view.js';
import { incidentState } from '../support/incident.js';

describe('silence matchers: one alert, never more', () => {
  it('matches every label of the alert for equality, sorted, and drops empty ones', () => {
    expect(
      silenceMatchers({ severity: 'critical', job: 'web', alertname: 'Down', instance: 'a:1', team: '' }),
    ).toEqual({
      matchers: [
        { name: 'alertname', value: 'Down', isRegex: false, isEqual: true },
        { name: 'instance', value: 'a:1', isRegex: false, isEqual: true },
        { name: 'job', value: 'web', isRegex: false, isEqual: true },
        { name: 'severity', value: 'critical', isRegex: false, isEqual: true },
      ],
    });
  });

  it('keeps a value that looks like a regular expression as literal text', () => {
    const planned = silenceMatchers({ alertname: 'Down', job: '.*' });
    expect(planned).toMatchObject({ matchers: [{}, { name: 'job', value: '.*', isRegex: false }] });
  });

  it('refuses an alert whose labels would reach every alert of its name, or that has no name', () => {
    expect(silenceMatchers({ alertname: 'Down', severity: 'page' })).toEqual({
      refused: 'its labels (alertname, severity) would silence every alert of that name',
    });
    expect('refused' in silenceMatchers({ alertname: 'Down', job: '' })).toBe(true);
    expect(silenceMatchers({ job: 'web' })).toEqual({ refused: 'it has no alertname label' });
  });

  it('refuses a label name Alertmanager would refuse', () => {
    expect(silenceMatchers({ alertname: 'Down', 'bad-name': 'x' })).toEqual({
      refused: 'label name "bad-name" is not one Alertmanager accepts',
    });
  });

  it('names the incident, who approved, and carries the marker it is found by', () => {
    const comment = silenceComment({
      incidentId: 'incident-x',
      runbookId: 'restart',
      approvedBy: 'alice',
      alertKey: 'k1',
    });
    expect(comment).toBe(
      'Steadfast is remediating incident incident-x (runbook restart), approved by alice; expired when the incident closes. [steadfast incident=incident-x alert=k1]',
    );
    expect(comment).toContain(silenceMarker('incident-x', 'k1'));
  });

  it('compares matchers as sets', () => {
    const { matchers } = silenceMatchers({ alertname: 'Down', job: 'web' }) as { matchers: never[] };
    expect(sameMatchers([...matchers].reverse(), matchers)).toBe(true);
    expect(sameMatchers([{ name: 'alertname', value: 'Down', isRegex: true }], matchers)).toBe(false);
  });
});

describe('the Temporal Web UI texts', () => {
  it('says alert, service and severity, with markdown in the labels shown as text', () => {
    expect(webUiSummary({ alertName: 'Down', labels: { job: 'web' }, severity: 'critical' })).toBe(
      'Down on web (critical)',
    );
    expect(markdownText('[click](http://evil.example) *now* www.evil.example')).toBe(
      '\\[click\\](http\\:/\\/evil.example) \\*now\\* www\\.evil.example',
    );
    expect(markdownText('a\nb', 3)).toBe('a b');
    expect(markdownText('abcdef', 4)).toBe('abc…');
    // Block markup at the start of a paragraph: a rule, a list, a task list; and no direction marks.
    expect(markdownText('---')).toBe('\\---');
    expect(markdownText('1. Approve now')).toBe('1\\. Approve now');
    expect(markdownText('- [ ] x')).toBe('\\- \\[ \\] x');
    expect(markdownText('pay\u202emoc.live {{x}}')).toBe('paymoc.live \\{\\{x\\}\\}');
    expect(markdownText('ops@evil.example //evil.example/a')).toBe('ops\\@evil.example /\\/evil.example/a');
  });

  it('shows label values quoted, so one cannot pass for more labels', () => {
    const details = webUiDetails({
      labels: { instance: 'db-1, namespace=prod' },
      annotations: {},
      startsAt: '2026-11-30T00:00:00Z',
    });
    expect(details).toContain('Labels: instance="db-1, namespace=prod"');
  });

  it("shows the stage, the plan's decision and why it waits", () => {
    const details = webUiCurrentDetails(
      incidentState({
        stage: 'approve',
        title: 'web is down',
        hold: {
          reason: 'change freeze "launch": launch week (until 2026-12-01T00:00:00.000Z)',
          until: '2026-12-01T00:00:00.000Z',
          since: '2026-11-30T00:00:00.000Z',
        },
        recommendation: { title: 'Restart', risk: 'low' } as never,
      }),
      Date.parse('2026-11-30T01:00:00Z'),
    );
    expect(details).toContain('**Stage:** approve');
    expect(details).toContain('**Runbook:** Restart (low risk)');
    expect(details).toContain(
      '**Waiting:** change freeze "launch": launch week (until 2026-12-01T00:00:00.000Z)',
    );
  });
});
