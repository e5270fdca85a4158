import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runbookJsonSchemaText } from '../../src/domain/runbook-json-schema.js';
import { parseRunbook, RunbookError } from '../../src/domain/runbook.js';

const root = join(import.meta.dirname, '..', '..');
const runbooksDir = join(root, 'runbooks');
const published = readFileSync(join(runbooksDir, 'schema.json'), 'utf8');
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(published) as object);
const shipped = readdirSync(runbooksDir).filter((f) => f.endsWith('.yaml'));

const base = {
  title: 'Restart',
  match: { alertnames: ['ServiceDown'] },
  risk: 'low',
  steps: [{ action: 'docker.restart', container: '{{ labels.container }}' }],
};

describe('the published runbook schema', () => {
  it('is the schema the code generates (npm run runbooks:schema writes it)', () => {
    expect(published).toBe(runbookJsonSchemaText());
  });

  it.each(shipped)('accepts the shipped runbook %s, as the product does', (file) => {
    const text = readFileSync(join(runbooksDir, file), 'utf8');
    expect(() => parseRunbook(file, text)).not.toThrow();
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('names every action the product can run', () => {
    const actions = JSON.stringify(JSON.parse(published));
    for (const action of [
      'docker.restart',
      'docker.stop',
      'docker.start',
      'docker.update-resources',
      'docker.scale',
      'docker.network-disconnect',
      'docker.network-connect',
      'k8s.scale',
      'k8s.rollout-restart',
      'k8s.rollback',
      'k8s.patch-resources',
      'k8s.cordon',
      'k8s.uncordon',
      'http.call',
      'wait',
    ]) {
      expect(actions).toContain(`"const":"${action}"`);
    }
  });

  it.each([
    ['an unknown action', { steps: [{ action: 'shell.exec', command: 'rm -rf /' }] }],
    ['an unknown field on a step', { steps: [{ action: 'docker.restart', container: 'web', cmd: 'x' }] }],
    ['a misspelt top-level field', { stepz: [] }],
    ['an unknown risk', { risk: 'none' }],
    ['a bad replica count', { steps: [{ action: 'k8s.scale', deployment: 'web', replicas: 'lots' }] }],
  ])('refuses %s, as the product does', (_what, change) => {
    const runbook = { ...base, ...change };
    expect(validate(runbook)).toBe(false);
    expect(() => parseRunbook('bad.yaml', JSON.stringify(runbook))).toThrow(RunbookError);
  });
});

describe('npm run runbooks:check', () => {
  // Both streams: problems and warnings go to stderr, the summary to stdout.
  const run = (dir: string): { code: number; out: string } => {
    const r = spawnSync('npx', ['tsx', 'src/cli/runbooks-check.ts', dir], { cwd: root, encoding: 'utf8' });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  };

  it('passes on the shipped runbooks, whose checks read only the labels their steps act on', () => {
    const result = run('runbooks');
    expect(result.out).toContain(`${shipped.length} runbook(s) valid, 0 invalid`);
    expect(result.out).not.toContain('which no step reads');
    expect(result.code).toBe(0);
  });

  it('warns, and passes, when a check reads a label no step reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-runbooks-'));
    writeFileSync(
      join(dir, 'apart.yaml'),
      "title: Apart\nmatch: { alertnames: [X] }\nrisk: low\nsteps:\n  - action: docker.restart\n    container: '{{ labels.container }}'\n" +
        "scope: { docker: { names: ['web-*'] } }\nverify: { promql: 'up{job=\"{{ labels.job }}\"} == 1' }\n",
    );
    const result = run(dir);
    expect(result.out).toContain(
      `${join(dir, 'apart.yaml')}: warning: runbook apart: verify.promql reads labels.job, which no step reads`,
    );
    expect(result.code).toBe(0);
  });

  it('fails with file, line and field for a bad runbook, and on a stale schema', () => {
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-runbooks-'));
    cpSync(runbooksDir, dir, { recursive: true });
    writeFileSync(
      join(dir, 'broken.yaml'),
      'title: Broken\nmatch: { alertnames: [X] }\nrisk: low\nsteps:\n  - action: k8s.scale\n    deployment: web\n    replicas: many\n',
    );
    writeFileSync(join(dir, 'schema.json'), '{}\n');
    const result = run(dir);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/broken\.yaml:7: steps\.0\.replicas: /);
    expect(result.out).toContain('schema.json: out of date with the code; run npm run runbooks:schema');
  });
});
