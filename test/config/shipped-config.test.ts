import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbooks } from '../../src/activities/recommend.js';
import { readFileSync } from 'node:fs';
import { matchRunbooks } from '../../src/domain/runbook.js';
import { parseWatchFile } from '../../src/domain/watch.js';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const check = (command: string, args: string[]): string =>
  execFileSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the configuration the repo ships', () => {
  it('is a valid Prometheus configuration with valid alert rules (promtool)', () => {
    expect(check('promtool', ['check', 'config', 'prometheus/prometheus.yml'])).toMatch(
      /SUCCESS: 7 rules found/,
    );
  });

  it('is a valid Alertmanager configuration routing to the Steadfast webhook (amtool)', () => {
    const out = check('amtool', ['check-config', 'alertmanager/alertmanager.yml']);
    expect(out).toContain('SUCCESS');
    expect(out).toMatch(/1 receivers/);
  });

  it('has a valid runbook for every alert rule it ships', async () => {
    const { runbooks, problems } = await loadRunbooks(join(root, 'runbooks'));
    expect(problems).toEqual([]);
    const rules = check('promtool', ['check', 'rules', '--lint=none', 'prometheus/alert.rules.yml']);
    expect(rules).toMatch(/SUCCESS/);
    for (const alertName of ['ServiceDown', 'MemoryLeak', 'HighCPU', 'HighLatency']) {
      const [best] = matchRunbooks(runbooks, { alertName, labels: { container: 'web-1', job: 'web' } });
      expect(best, alertName).toBeDefined();
    }
  });

  it('ships the rule for every alert name a shipped runbook matches', async () => {
    const { runbooks } = await loadRunbooks(join(root, 'runbooks'));
    const rules = parse(readFileSync(join(root, 'prometheus', 'alert.rules.yml'), 'utf8')) as {
      groups: { rules: { alert?: string }[] }[];
    };
    const shipped = new Set(rules.groups.flatMap((g) => g.rules.map((r) => r.alert)));
    const matched = [...new Set(runbooks.flatMap((r) => r.match.alertnames ?? []))];
    expect(matched).toEqual(expect.arrayContaining(['DiskPressure', 'CachePressure']));
    expect(matched.filter((name) => !shipped.has(name))).toEqual([]);
  });

  it('has capacity rules that fire with the label the clean-up runbook calls, past their threshold only (promtool test rules)', () => {
    expect(check('promtool', ['test', 'rules', 'prometheus/tests/capacity.test.yml'])).toContain('SUCCESS');
  });

  it('ships a valid watch file', () => {
    const file = join(root, 'prometheus', 'watches.yml');
    expect(parseWatchFile(file, readFileSync(file, 'utf8')).map((w) => w.name)).toEqual([
      'MemoryLeak',
      'HighCPU',
      'SteadfastMemoryHigh',
      'ContainerMemoryPressure',
    ]);
  });
});
