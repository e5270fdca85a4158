/**
 * The runbooks over the API: listed read-only with secrets by reference only, and a draft checked as
 * `npm run runbooks:check` checks a file, without anything being stored. These endpoints do not touch
 * Temporal, so the API runs against one that cannot be reached.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server.js';
import { RUNBOOK_DRAFT_MAX_BYTES } from '../../src/api/routes/runbooks.js';
import { startOfflineApi } from '../support/api-harness.js';

const root = join(import.meta.dirname, '..', '..');
const TOKEN = 'runbooks-token-0123456789abcdef';
const HOOK_SECRET = 'T000/B000/hook-secret-in-the-path';

const WITH_SECRETS = `
title: Flush the cache
match: { alertnames: [CachePressure] }
risk: medium
approvers: [alice]
approval:
  escalation:
    - notify:
        - { type: webhook, url: 'https://hooks.example.com/services/${HOOK_SECRET}' }
        - { type: discord, url: { secret: { env: DISCORD_HOOK } } }
      wait: 5m
steps:
  - action: http.call
    url: 'http://{{ labels.service }}:8080/maintenance/cache/flush'
    headers:
      Authorization: { prefix: 'Bearer ', secret: { file: /run/secrets/cache-token } }
scope:
  http: { hosts: ['checkout:8080'] }
`;

// Three mistakes on known lines: an unknown risk (4), a step without its container (7) and a bad duration (9).
const BROKEN = `title: Broken
match: { alertnames: [Nope] }
risk: extreme
approvers: []
steps:
  - action: docker.restart
    stopTimeout: 2s
verify:
  within: soon
scope: { docker: { labels: { steadfast.managed: 'true' } } }
`;

let server: RunningServer;
let dir: string;

const call = async (
  method: string,
  path: string,
  o: { token?: string; body?: string; type?: string } = {},
) => {
  const r = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      'content-type': o.type ?? 'application/yaml',
    },
    ...(o.body !== undefined ? { body: o.body } : {}),
  });
  const text = await r.text();
  return { status: r.status, text, json: JSON.parse(text || '{}') as Record<string, unknown> };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'steadfast-runbooks-api-'));
  mkdirSync(join(dir, 'runbooks'));
  writeFileSync(join(dir, 'runbooks', 'cache.yaml'), WITH_SECRETS);
  writeFileSync(join(dir, 'runbooks', 'broken.yaml'), BROKEN);
  server = await startOfflineApi({
    STEADFAST_API_TOKEN: TOKEN,
    STEADFAST_RUNBOOKS_DIR: join(dir, 'runbooks'),
  });
});

afterAll(async () => {
  await server?.close();
});

describe('GET /api/v1/runbooks', () => {
  it('lists the loaded runbooks with their defaults, and the problems of the files it skipped', async () => {
    const r = await call('GET', '/api/v1/runbooks', { token: TOKEN });
    expect(r.status).toBe(200);
    const runbooks = r.json['runbooks'] as {
      id: string;
      file: string;
      definition: Record<string, unknown>;
    }[];
    expect(runbooks.map((x) => [x.id, x.file])).toEqual([['cache', 'cache.yaml']]);
    expect(runbooks[0]?.definition).toMatchObject({
      title: 'Flush the cache',
      risk: 'medium',
      dryRun: false,
      verify: { within: '5m', interval: '10s' },
    });
    const invalid = r.json['invalid'] as { file: string; line: number; field: string }[];
    expect(invalid.map((p) => `${p.file}:${p.line}: ${p.field}`)).toEqual(
      expect.arrayContaining(['broken.yaml:3: risk', 'broken.yaml:9: verify.within']),
    );
    // Only file names: the server's folders are not the caller's business.
    expect(r.text).not.toContain(dir);
  });

  it('shows secrets by reference, and of a webhook URL written as text only its origin', async () => {
    const r = await call('GET', '/api/v1/runbooks', { token: TOKEN });
    expect(r.text).not.toContain(HOOK_SECRET);
    expect(r.text).toContain('"https://hooks.example.com/[redacted]"');
    expect(r.text).toContain('{"secret":{"env":"DISCORD_HOOK"}}');
    expect(r.text).toContain('{"secret":{"file":"/run/secrets/cache-token"},"prefix":"Bearer "}');
  });

  it('lists the shipped runbooks, all valid', async () => {
    const shipped = await startOfflineApi({
      STEADFAST_API_TOKEN: TOKEN,
      STEADFAST_RUNBOOKS_DIR: join(root, 'runbooks'),
    });
    try {
      const r = await fetch(`${shipped.url}/api/v1/runbooks`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const body = (await r.json()) as { runbooks: { file: string }[]; invalid: unknown[] };
      expect(body.invalid).toEqual([]);
      const files = readdirSync(join(root, 'runbooks')).filter((f) => f.endsWith('.yaml'));
      expect(body.runbooks.map((x) => x.file).sort()).toEqual(files.sort());
    } finally {
      await shipped.close();
    }
  });

  it('needs a token', async () => {
    expect((await call('GET', '/api/v1/runbooks')).status).toBe(401);
  });
});

describe('POST /api/v1/runbooks/validate', () => {
  it('when a draft has mistakes, then it answers 422 with the lines and fields runbooks:check prints', async () => {
    const r = await call('POST', '/api/v1/runbooks/validate', { token: TOKEN, body: BROKEN });
    expect(r.status).toBe(422);
    expect(r.json['valid']).toBe(false);
    const problems = r.json['problems'] as { file: string; line: number; field: string; message: string }[];
    const fromApi = problems.map((p) => `${p.line}: ${p.field}: ${p.message}`).sort();

    // The command-line check on the same text, as a file of its own.
    const cli = mkdtempSync(join(tmpdir(), 'steadfast-runbooks-cli-'));
    writeFileSync(join(cli, 'draft.yaml'), BROKEN);
    let stderr = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/runbooks-check.ts'), cli], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      stderr = (err as { stderr: string }).stderr;
    }
    const fromCli = stderr
      .split('\n')
      .filter((l) => l.startsWith(join(cli, 'draft.yaml')))
      .map((l) => l.slice(join(cli, 'draft.yaml:').length))
      .sort();
    expect(fromCli.length).toBeGreaterThanOrEqual(3);
    expect(fromApi).toEqual(fromCli);
    expect(problems.every((p) => p.file === 'draft.yaml')).toBe(true);
  });

  it('when a draft is valid, then it shows it as loaded, with warnings, and stores nothing', async () => {
    const draft = WITH_SECRETS.replace('title: Flush the cache', 'id: brand-new\ntitle: A new one').replace(
      'approvers: [alice]',
      'approvers: []',
    );
    const r = await call('POST', '/api/v1/runbooks/validate', {
      token: TOKEN,
      body: draft,
      type: 'text/plain',
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      valid: true,
      problems: [],
      runbook: { id: 'brand-new', file: 'draft.yaml' },
    });
    // Medium risk with nobody to approve it: the same warning runbooks:check gives.
    expect((r.json['warnings'] as string[]).join()).toMatch(/approver/);
    expect((r.json['warnings'] as string[]).join()).not.toMatch(/no step reads/);
    const apart = await call('POST', '/api/v1/runbooks/validate', {
      token: TOKEN,
      body: `${draft}verify: { promql: 'up{job="{{ labels.job }}"} == 1' }\n`,
      type: 'text/plain',
    });
    // A check reading a label the steps do not: the same warning runbooks:check and npm start give.
    expect(apart.json['warnings']).toContain(
      "runbook brand-new: verify.promql reads labels.job, which no step reads: an alert's sender can aim the " +
        'check at another object than the fix acts on; select the series by the labels the steps use',
    );
    expect(r.text).not.toContain(HOOK_SECRET);
    const list = await call('GET', '/api/v1/runbooks', { token: TOKEN });
    expect((list.json['runbooks'] as { id: string }[]).map((x) => x.id)).toEqual(['cache']);
  });

  it('when a draft nests deeper than any runbook does, then it is refused before it is parsed', async () => {
    const deep = 'title: ' + '['.repeat(120_000) + ']'.repeat(120_000) + '\n';
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        call('POST', '/api/v1/runbooks/validate', { token: TOKEN, body: deep, type: 'text/plain' }),
      ),
    );
    for (const r of answers) {
      expect(r.status).toBe(422);
      // Parsed, each held the event loop for over a second and ended in a stack overflow.
      const problems = r.json['problems'] as { line: number; field: string; message: string }[];
      expect(problems.map((p) => [p.line, p.field])).toEqual([[1, '(yaml)']]);
      expect(problems[0]?.message).toMatch(/nested more than 64/);
    }
  });

  it('reports YAML that does not parse at its line', async () => {
    const r = await call('POST', '/api/v1/runbooks/validate', { token: TOKEN, body: 'title: x\nmatch: [\n' });
    expect(r.status).toBe(422);
    const problems = r.json['problems'] as { field: string; line: number }[];
    expect(problems.map((p) => p.field)).toEqual(['(yaml)']);
    expect(problems[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it('refuses an empty body, one over the size limit, and a caller without a token', async () => {
    expect((await call('POST', '/api/v1/runbooks/validate', { token: TOKEN, body: '  ' })).status).toBe(400);
    const big = `title: x\ndescription: '${'a'.repeat(RUNBOOK_DRAFT_MAX_BYTES)}'\n`;
    const tooBig = await call('POST', '/api/v1/runbooks/validate', { token: TOKEN, body: big });
    expect(tooBig.status).toBe(413);
    expect(tooBig.json['error']).toBe('PayloadTooLarge');
    expect((await call('POST', '/api/v1/runbooks/validate', { body: BROKEN })).status).toBe(401);
  });
});
