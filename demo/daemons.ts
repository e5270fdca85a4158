import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface RunningDaemon {
  url: string;
  close: () => Promise<void>;
}

/**
 * Starts a Prometheus-family server (prometheus, alertmanager) listening on 127.0.0.1:port, waits for
 * its /-/ready, and on close stops it and removes its working folder.
 */
export async function startDaemon(
  command: string,
  args: string[],
  port: number,
  workDir: string,
): Promise<RunningDaemon> {
  const child = spawn(command, args, { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`${command} was not ready after 30s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    close: async () => {
      // Ctrl-C reaches the daemon too, and it may have exited on it already: by a code or by the signal.
      const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
      if (!exited()) child.kill('SIGTERM');
      await new Promise((resolve) => (exited() ? resolve(null) : child.once('exit', resolve)));
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** A port on loopback that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** Debian's Prometheus on 127.0.0.1:port, reading `dir`/prometheus.yml and keeping its data in `dir`. */
export function startPrometheusServer(dir: string, port: number): Promise<RunningDaemon> {
  return startDaemon(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Alerts' generatorURLs carry this origin, which Steadfast reads only when it is a configured one.
      `--web.external-url=http://127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    port,
    dir,
  );
}

/** Debian's Alertmanager on 127.0.0.1:port, alone (no cluster), reading `dir`/alertmanager.yml. */
export function startAlertmanagerServer(dir: string, port: number): Promise<RunningDaemon> {
  return startDaemon(
    'prometheus-alertmanager',
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    port,
    dir,
  );
}

/**
 * Writes `dir`/alertmanager.yml routing every alert, grouped by alert name and service, to one webhook
 * with a bearer token read from `dir`/token (never in the config itself).
 */
export function writeAlertmanagerWebhookConfig(
  dir: string,
  webhook: { url: string; token: string; groupInterval: string; sendResolved: boolean },
): void {
  writeFileSync(join(dir, 'token'), webhook.token);
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: steadfast',
      '  group_by: [alertname, service]',
      '  group_wait: 1s',
      `  group_interval: ${webhook.groupInterval}`,
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: steadfast',
      '    webhook_configs:',
      `      - url: ${webhook.url}`,
      `        send_resolved: ${webhook.sendResolved}`,
      '        http_config:',
      '          authorization:',
      `            credentials_file: ${join(dir, 'token')}`,
    ].join('\n'),
  );
}
