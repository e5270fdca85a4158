/**
 * The shipped on-call example (oncall/oncall.example.yaml and its iCalendar file) is valid and says what
 * its comments say, and `npm run runbooks:check` checks the rotations runbooks page against the on-call
 * file it is given.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOncall } from '../../src/oncall/load.js';
import { whoIsOnCall } from '../../src/oncall/resolve.js';

const root = join(import.meta.dirname, '..', '..');
const EXAMPLE = join(root, 'oncall', 'oncall.example.yaml');

const runbook = (rotation: string): string => `title: Page the on-call
match: { alertnames: [OncallExample] }
risk: low
approval:
  escalation:
    - notify: [{ type: log }, { type: rotation, rotation: ${rotation} }]
      wait: 5m
steps:
  - action: wait
    duration: 1s
`;

/** runbooks:check on a folder holding one runbook that pages `rotation`. */
function check(rotation: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'steadfast-oncall-check-'));
  mkdirSync(join(dir, 'runbooks'));
  writeFileSync(join(dir, 'runbooks', 'page.yaml'), runbook(rotation));
  const inherited = { ...process.env };
  delete inherited['STEADFAST_ONCALL_FILE'];
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/runbooks-check.ts'), join(dir, 'runbooks')],
    { cwd: root, encoding: 'utf8', env: { ...inherited, ...env } },
  );
  return { status: run.status, stderr: run.stderr };
}

describe('the shipped on-call example', () => {
  it('is valid, and each rotation has someone on call through December 2026', () => {
    const oncall = loadOncall(EXAMPLE);
    expect(oncall.rotations.map((r) => r.definition.name)).toEqual(['primary', 'secondary']);
    for (const rotation of oncall.rotations) {
      for (let day = 2; day <= 31; day++) {
        const at = Date.parse(`2026-12-${String(day).padStart(2, '0')}T12:00:00Z`);
        expect(
          whoIsOnCall(oncall, rotation, at).current,
          `${rotation.definition.name} on the ${day}th`,
        ).not.toBeNull();
      }
    }
  });

  it('says what its comments say: Dan covers the holidays, weekly handoffs at 09:00 Berlin time', () => {
    const oncall = loadOncall(EXAMPLE);
    const [primary, secondary] = oncall.rotations;
    if (!primary || !secondary) throw new Error('the example has two rotations');
    const christmas = whoIsOnCall(oncall, primary, Date.parse('2026-12-25T12:00:00Z'));
    expect(christmas.current).toMatchObject({
      person: { name: 'Dan' },
      override: 'covers the holidays for Bob',
    });
    // 09:00 CEST on Monday 2027-03-29, the day after the clocks go forward.
    const spring = whoIsOnCall(oncall, secondary, Date.parse('2027-03-29T06:00:00Z'));
    expect(spring.current?.until).toBe(Date.parse('2027-03-29T07:00:00Z'));
  });
});

describe('npm run runbooks:check with STEADFAST_ONCALL_FILE', () => {
  it('when a runbook pages a rotation the file defines, then it passes', () => {
    const run = check('primary', { STEADFAST_ONCALL_FILE: EXAMPLE });
    expect(run.stderr).not.toContain('rotation');
    expect(run.status).toBe(0);
  });

  it('when a runbook pages a rotation the file does not define, then it fails naming both', () => {
    const run = check('tertiary', { STEADFAST_ONCALL_FILE: EXAMPLE });
    expect(run.stderr).toContain(
      `page.yaml: error: escalation level 1 pages rotation "tertiary", which ${EXAMPLE} does not define`,
    );
    expect(run.status).toBe(1);
  });

  it('when no on-call file is set, then it only warns', () => {
    const run = check('tertiary', {});
    expect(run.stderr).toContain(
      'warning: escalation level 1 pages rotation "tertiary", and STEADFAST_ONCALL_FILE is not set',
    );
    expect(run.status).toBe(0);
  });

  it('when the on-call file has a mistake, then it fails with the file and line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-oncall-bad-'));
    const bad = join(dir, 'oncall.yaml');
    writeFileSync(
      bad,
      'people: []\nrotations:\n  - name: primary\n    timezone: Europe/Nowhere\n    ical: x.ics\n',
    );
    const run = check('primary', { STEADFAST_ONCALL_FILE: bad });
    expect(run.stderr).toContain(`${bad}:4: rotations.0.timezone: an IANA time zone`);
    expect(run.status).toBe(1);
  });
});
