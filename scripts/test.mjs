#!/usr/bin/env node
/**
 * `npm test`: installs what the suite needs (npm packages, the Temporal CLI and server, etcd,
 * kube-apiserver, kube-controller-manager and kustomize, Debian's prometheus, podman, runc, chromium and postgresql), then runs type checks, lint,
 * format check, the runbook check and every test.
 * Extra arguments go to vitest (e.g. `npm test -- test/domain`).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './lib/exec.mjs';
import { ensureDebianPackages, ensureNodeModules } from './lib/install.mjs';
import { root, say } from './lib/paths.mjs';
import { ensureKubernetesBinaries } from './lib/kubernetes.mjs';
import { ensureKustomize } from './lib/kustomize.mjs';
import { ensureTemporalCli } from './lib/temporal-cli.mjs';
import { ensureTemporalServer } from './lib/temporal-server.mjs';

// chromium: the console tests drive Debian's browser with playwright-core, which never downloads one.
const DEBIAN_PACKAGES = [
  'prometheus',
  'prometheus-alertmanager',
  'podman',
  'runc',
  'busybox-static',
  'chromium',
  // The cluster tests keep Temporal's history and visibility in Debian's PostgreSQL.
  'postgresql',
];
const bin = (name) => join(root, 'node_modules', '.bin', name);
const vitestArgs = process.argv.slice(2);

let failed = false;
const step = (name, command, args) => {
  say(name);
  try {
    run(command, args, { cwd: root });
  } catch (err) {
    failed = true;
    say(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
};

try {
  ensureNodeModules();
  process.env.STEADFAST_TEMPORAL_CLI = ensureTemporalCli();
  process.env.STEADFAST_KUBE_BIN_DIR = ensureKubernetesBinaries().dir;
  // test/deploy renders deploy/kubernetes with it.
  process.env.STEADFAST_KUSTOMIZE = ensureKustomize();
  ensureTemporalServer();
  ensureDebianPackages(DEBIAN_PACKAGES);
} catch (err) {
  say(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

if (vitestArgs.length === 0) {
  step('type check', bin('tsc'), ['--noEmit']);
  step('lint', bin('eslint'), ['.']);
  step('format check', bin('prettier'), ['--check', '.']);
  step('runbooks check', process.execPath, [
    '--import',
    'tsx',
    join(root, 'src', 'cli', 'runbooks-check.ts'),
  ]);
}

const report = join(root, '.vitest-results.json');
rmSync(report, { force: true });
step('tests', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...vitestArgs,
]);

let summary = 'tests: 0 passed, 0 failed';
try {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  summary = `tests: ${results.numPassedTests} passed, ${results.numFailedTests || results.numFailedTestSuites} failed, ${results.numPendingTests + results.numTodoTests} skipped`;
  if (results.numTotalTests === 0) failed = true;
} catch {
  failed = true;
}
process.stdout.write(
  `\n${failed ? 'FAILED' : 'OK'}: type check, lint, format, runbooks and tests\n${summary}\n`,
);
process.exit(failed ? 1 : 0);
