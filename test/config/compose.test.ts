/**
 * docker-compose.yml, checked without a Docker engine: against the Compose Specification's JSON schema,
 * and for what Compose itself would only find out at `docker compose up`: files that are not there,
 * unpinned images, variables the product does not read, and Prometheus and Alertmanager configurations
 * that the binaries refuse (promtool, amtool) or that address the wrong services.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROLES, TokenStore } from '../../src/api/auth.js';
import { envShape } from '../../src/config/env.js';
import { loadSettings } from '../../src/config/settings.js';

const root = join(import.meta.dirname, '..', '..');

type Scalar = string | number | boolean | null;
interface LongVolume {
  type: string;
  source?: string;
  target?: string;
}
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, Scalar> | string[];
  volumes?: (string | LongVolume)[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  secrets?: (string | { source: string; target?: string })[];
  configs?: (string | { source: string; target?: string })[];
  labels?: Record<string, Scalar> | string[];
  ports?: (string | number | Record<string, unknown>)[];
}
interface ComposeFile {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { environment?: string; file?: string }>;
  configs?: Record<string, { content?: string; environment?: string; file?: string }>;
}

// Compose reads YAML merge keys (`<<: *steadfast-env`), which YAML 1.2 leaves off by default.
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as ComposeFile;
const services = Object.entries(compose.services);
const service = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

/** A list-or-dict (environment, labels) as a dict, as Compose reads both forms. */
function asDict(value: Record<string, Scalar> | string[] | undefined): Record<string, string> {
  if (!value) return {};
  if (Array.isArray(value))
    return Object.fromEntries(value.map((kv) => [kv.split('=')[0] ?? kv, kv.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

interface Mount {
  source: string;
  target: string;
  bind: boolean;
}
/** Short (`src:dst[:mode]`) and long volume syntax; a bind mount's source starts with . / or ~. */
function mounts(s: Service): Mount[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string')
      return { source: v.source ?? '', target: v.target ?? '', bind: v.type === 'bind' };
    const [source = '', target = ''] = v.split(':');
    return { source, target, bind: /^[./~]/.test(source) };
  });
}

/** The repository path a container path of a service comes from, through its bind mounts. */
function hostPath(s: Service, containerPath: string): string | undefined {
  const binds = mounts(s)
    .filter((m) => m.bind && !posix.isAbsolute(m.source))
    .sort((a, b) => b.target.length - a.target.length);
  for (const m of binds) {
    if (containerPath === m.target || containerPath.startsWith(`${m.target}/`))
      return resolve(root, m.source, posix.relative(m.target, containerPath));
  }
  return undefined;
}

/** The value of `--flag=value` in a service's command. */
function flag(s: Service, name: string): string | undefined {
  const args = typeof s.command === 'string' ? s.command.split(/\s+/) : (s.command ?? []);
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

function buildOf(s: Service): { context: string; dockerfile: string } | undefined {
  if (s.build === undefined) return undefined;
  if (typeof s.build === 'string') return { context: s.build, dockerfile: 'Dockerfile' };
  return { context: s.build.context ?? '.', dockerfile: s.build.dockerfile ?? 'Dockerfile' };
}

/** Services built from the repository's own Dockerfile: the product (API + worker, or worker alone). */
const productServices = services.filter(([, s]) => {
  const b = buildOf(s);
  return b !== undefined && resolve(root, b.context) === root && b.dockerfile === 'Dockerfile';
});

/** The variables src/config/settings.ts validates: the keys of its envSchema object. */
function settingsKeys(): Set<string> {
  return new Set(Object.keys(envShape));
}

/** Compose's variable interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g,
    (_whole, name: string, op?: string, arg?: string) => {
      const v = vars[name];
      if (op?.endsWith('?')) {
        if (v === undefined || (op === ':?' && v === '')) throw new Error(`${name}: ${arg ?? ''}`);
        return v;
      }
      if (v === undefined || (op === ':-' && v === '')) return op ? (arg ?? '') : '';
      return v;
    },
  );
}

/** `host:port` of an address or URL. */
function hostPort(address: string): { host: string; port: string } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname, port: url.port };
}

const run = (command: string, args: string[]): string =>
  execFileSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const schema = JSON.parse(
      readFileSync(join(import.meta.dirname, 'compose-spec', 'compose-spec.json'), 'utf8'),
    ) as Record<string, unknown>;
    // The schema names its draft by an https URL Ajv does not know as a meta-schema; its keywords
    // are draft-07's, which is Ajv's default, so the name is not needed to read it.
    delete schema['$schema'];
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('has the services the product needs, with healthchecks where others wait for them', () => {
    for (const name of [
      'postgresql',
      'temporal',
      'temporal-ui',
      'steadfast-api',
      'steadfast-worker',
      'prometheus',
      'alertmanager',
      'grafana',
    ])
      expect(compose.services, name).toHaveProperty(name);
    for (const [name, s] of services) {
      const deps = Array.isArray(s.depends_on)
        ? Object.fromEntries(s.depends_on.map((d) => [d, { condition: 'service_started' }]))
        : (s.depends_on ?? {});
      for (const [dep, { condition }] of Object.entries(deps)) {
        expect(compose.services, `${name} depends on ${dep}`).toHaveProperty(dep);
        if (condition === 'service_healthy')
          expect(service(dep).healthcheck?.test, `${name} waits for ${dep} to be healthy`).toBeDefined();
      }
    }
    expect(service('steadfast-api').depends_on).toMatchObject({ temporal: { condition: 'service_healthy' } });
    expect(service('temporal').depends_on).toMatchObject({ postgresql: { condition: 'service_healthy' } });
  });

  it('pins every image it pulls, and every base image it builds from, to a version', () => {
    const images = services.flatMap(([name, s]): [string, string][] => {
      const b = buildOf(s);
      if (!b) return [[name, s.image ?? '']];
      const dockerfile = join(root, b.context, b.dockerfile);
      if (!existsSync(dockerfile)) return [];
      return [...readFileSync(dockerfile, 'utf8').matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim)].map(
        (m): [string, string] => [`${name} (${relative(root, dockerfile)})`, m[1] ?? ''],
      );
    });
    expect(images.length).toBeGreaterThan(services.length / 2);
    for (const [name, image] of images) {
      const digest = /@sha256:[0-9a-f]{64}$/.test(image);
      const tag = /:([^:/@]+)$/.exec(image)?.[1] ?? '';
      // A major-only tag such as postgres:16 moves with every minor release; ask for at least x.y.
      expect(digest || /^v?\d+\.\d+/.test(tag), `${name}: ${image}`).toBe(true);
    }
  });

  it('mounts only files and directories that exist in the repository, or the Docker socket', () => {
    for (const [name, s] of services) {
      for (const m of mounts(s).filter((x) => x.bind)) {
        if (posix.isAbsolute(m.source)) {
          // The one host path: the engine's socket, for remediation and service discovery.
          expect(m.source, name).toBe('/var/run/docker.sock');
          continue;
        }
        expect(existsSync(resolve(root, m.source)), `${name} mounts ${m.source}`).toBe(true);
      }
      for (const m of mounts(s).filter((x) => !x.bind))
        expect(compose.volumes ?? {}, `${name}: volume ${m.source}`).toHaveProperty(m.source);
      for (const secret of s.secrets ?? []) {
        const source = typeof secret === 'string' ? secret : secret.source;
        expect(compose.secrets ?? {}, `${name}: secret ${source}`).toHaveProperty(source);
      }
    }
    for (const [name, secret] of Object.entries(compose.secrets ?? {}))
      if (secret.file) expect(existsSync(resolve(root, secret.file)), `secret ${name}`).toBe(true);
  });

  it('builds from contexts and Dockerfiles that exist, copying files the context has', () => {
    const built = services.filter(([, s]) => s.build !== undefined);
    expect(built.map(([name]) => name)).toEqual(
      expect.arrayContaining(['steadfast-api', 'steadfast-worker', 'checkout', 'payments']),
    );
    for (const [name, s] of built) {
      const b = buildOf(s);
      if (!b) continue;
      const context = resolve(root, b.context);
      expect(existsSync(context) && statSync(context).isDirectory(), `${name}: context ${b.context}`).toBe(
        true,
      );
      const dockerfile = join(context, b.dockerfile);
      expect(existsSync(dockerfile), `${name}: ${relative(root, dockerfile)}`).toBe(true);
      if (!existsSync(dockerfile)) continue;
      const ignorePath = join(context, '.dockerignore');
      const ignored = existsSync(ignorePath)
        ? readFileSync(ignorePath, 'utf8')
            .split('\n')
            .map((l) => l.trim().replace(/^\/|\/$/g, ''))
            .filter((l) => l !== '' && !l.startsWith('#'))
        : [];
      // COPY/ADD sources (not from other stages) must be in the context and not left out of it.
      for (const line of readFileSync(dockerfile, 'utf8').split('\n')) {
        const m = /^\s*(?:COPY|ADD)\s+(.*)$/i.exec(line);
        if (!m?.[1] || /--from=/.test(m[1])) continue;
        const words = m[1].split(/\s+/).filter((w) => w !== '' && !w.startsWith('--'));
        for (const source of words.slice(0, -1)) {
          if (/[*?[]/.test(source) || /^https?:/.test(source)) continue;
          const clean = source.replace(/^\.\/|\/$/g, '');
          expect(existsSync(join(context, clean)), `${name}: COPY ${source}`).toBe(true);
          expect(ignored, `${name}: COPY ${source} is in .dockerignore`).not.toContain(clean);
        }
      }
    }
  });

  it('sets only environment variables the product reads (src/config/env.ts)', () => {
    const known = settingsKeys();
    expect(known.has('TEMPORAL_ADDRESS') && known.has('STEADFAST_DOCKER_SOCKET')).toBe(true);
    expect(productServices.map(([name]) => name).sort()).toEqual(['steadfast-api', 'steadfast-worker']);
    for (const [name, s] of productServices) {
      const env = asDict(s.environment);
      for (const key of Object.keys(env))
        expect(known.has(key), `${name} sets ${key}, which src/config/env.ts does not define`).toBe(true);
      // With .env holding only the required token, the values (defaults included) pass validation.
      const interpolated = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, interpolate(v, { STEADFAST_API_TOKEN: 'a-token' })]),
      );
      expect(() => loadSettings(interpolated), name).not.toThrow();
    }
  });

  it('points the product at Temporal, Prometheus and the Docker socket of this file', () => {
    for (const [name, s] of productServices) {
      const env = asDict(s.environment);
      const temporal = hostPort(env['TEMPORAL_ADDRESS'] ?? '');
      expect(compose.services, name).toHaveProperty(temporal.host);
      expect(temporal.port).toBe('7233');
      const prometheus = hostPort(env['PROMETHEUS_URL'] ?? '');
      expect(compose.services, name).toHaveProperty(prometheus.host);
      const socket = env['STEADFAST_DOCKER_SOCKET'] ?? '';
      expect(
        mounts(s).some((m) => m.target === socket && m.source === '/var/run/docker.sock'),
        name,
      ).toBe(true);
      // The token is required, not defaulted: the product never runs without authentication.
      expect(env['STEADFAST_API_TOKEN'], name).toMatch(/^\$\{STEADFAST_API_TOKEN:\?/);
    }
    expect(asDict(service('steadfast-api').environment)['STEADFAST_API_HOST']).toBe('0.0.0.0');
    expect(service('steadfast-worker').command).toEqual(['node', 'dist/worker.js']);
  });

  it('runs a Prometheus configuration that promtool accepts, scraping the product, itself and the demo services', () => {
    const prometheus = service('prometheus');
    const containerConfig = flag(prometheus, '--config.file') ?? '/etc/prometheus/prometheus.yml';
    const config = hostPath(prometheus, containerConfig);
    expect(config && relative(root, config)).toBe(join('prometheus', 'compose', 'prometheus.yml'));
    if (!config) return;
    expect(run('promtool', ['check', 'config', config])).toMatch(/SUCCESS: 7 rules found/);

    interface StaticConfig {
      targets: string[];
      labels?: Record<string, string>;
    }
    const parsed = parse(readFileSync(config, 'utf8')) as {
      rule_files: string[];
      alerting: { alertmanagers: { static_configs: StaticConfig[] }[] };
      scrape_configs: { job_name: string; static_configs?: StaticConfig[] }[];
    };
    // The rules are the ones `npm start` uses, not a copy that could drift.
    expect(parsed.rule_files.map((f) => relative(root, resolve(dirname(config), f)))).toEqual([
      join('prometheus', 'alert.rules.yml'),
    ]);
    const targets = parsed.scrape_configs.flatMap((c) => c.static_configs ?? []);
    const addresses = targets.flatMap((t) => t.targets);
    expect(addresses).toContain('steadfast-api:8080');
    expect(addresses).toContain('127.0.0.1:9090');
    expect(parsed.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets))).toEqual([
      'alertmanager:9093',
    ]);

    // Each demo service's first container, by the name Compose gives it in this project; its labels
    // are what the runbooks read (container for docker.restart, service for docker.scale, job for up).
    const demo = services.filter(([, s]) => asDict(s.labels)['steadfast.scrape'] === 'true');
    expect(demo.map(([name]) => name).sort()).toEqual(['checkout', 'payments']);
    for (const [name] of demo) {
      const container = `${compose.name}-${name}-1`;
      const target = targets.find((t) => t.targets.includes(`${container}:8080`));
      expect(target?.labels, name).toEqual({ job: name, service: name, container });
    }
  });

  it('runs an Alertmanager configuration that amtool accepts, sending to the product with its own token', () => {
    const alertmanager = service('alertmanager');
    const containerConfig = flag(alertmanager, '--config.file') ?? '/etc/alertmanager/alertmanager.yml';
    const config = hostPath(alertmanager, containerConfig);
    expect(config && relative(root, config)).toBe(join('alertmanager', 'compose', 'alertmanager.yml'));
    if (!config) return;
    expect(run('amtool', ['check-config', config])).toMatch(/SUCCESS[\s\S]*1 receivers/);

    interface AlertmanagerConfig {
      route: unknown;
      inhibit_rules: unknown;
      receivers: {
        name: string;
        webhook_configs: {
          url: string;
          http_config: { authorization: { type: string; credentials_file: string } };
        }[];
      }[];
    }
    const composed = parse(readFileSync(config, 'utf8')) as AlertmanagerConfig;
    const local = parse(
      readFileSync(join(root, 'alertmanager', 'alertmanager.yml'), 'utf8'),
    ) as AlertmanagerConfig;
    // Only the addresses may differ from the configuration `npm start` uses.
    expect(composed.route).toEqual(local.route);
    expect(composed.inhibit_rules).toEqual(local.inhibit_rules);

    const webhook = composed.receivers[0]?.webhook_configs[0];
    const url = new URL(webhook?.url ?? '');
    expect(compose.services).toHaveProperty(url.hostname);
    expect(url.port).toBe(asDict(service(url.hostname).environment)['STEADFAST_API_PORT']);
    expect(url.pathname).toBe('/api/v1/alertmanager');

    // The token file is a compose secret made from a variable of .env; which token that is, and what
    // it may do, the next test checks.
    expect(webhook?.http_config.authorization.type).toBe('Bearer');
    const file = webhook?.http_config.authorization.credentials_file ?? '';
    const secretName = (alertmanager.secrets ?? [])
      .map((s) => (typeof s === 'string' ? { source: s, target: `/run/secrets/${s}` } : s))
      .find(
        (s) => (s.target?.startsWith('/') ? s.target : `/run/secrets/${s.target ?? s.source}`) === file,
      )?.source;
    expect(secretName, `a secret mounted at ${file}`).toBeDefined();
    expect(compose.secrets?.[secretName ?? '']?.environment).toBe('STEADFAST_ALERTMANAGER_TOKEN');
  });

  it("gives Alertmanager a token that may only ingest, and the operator's token to nobody else", async () => {
    // Alertmanager's secret comes from its own variable, never from the operator's all-roles token.
    const amSecrets = (service('alertmanager').secrets ?? []).map((s) =>
      typeof s === 'string' ? s : s.source,
    );
    const amVariables = amSecrets.map((name) => compose.secrets?.[name]?.environment);
    expect(amVariables).toEqual(['STEADFAST_ALERTMANAGER_TOKEN']);
    for (const [name, s] of services) {
      if (productServices.some(([product]) => product === name)) continue;
      const env = JSON.stringify(s.environment ?? {});
      expect(env, `${name} is given the operator's token`).not.toContain('STEADFAST_API_TOKEN');
    }

    // The API reads the tokens file compose writes from .env: interpolated as compose would, with two
    // different tokens, it must give Alertmanager's exactly the ingest role.
    const api = service('steadfast-api');
    const tokensPath = asDict(api.environment)['STEADFAST_TOKENS_FILE'] ?? '';
    const mounted = (api.configs ?? [])
      .map((c) => (typeof c === 'string' ? { source: c, target: `/${c}` } : c))
      .find((c) => (c.target ?? `/${c.source}`) === tokensPath);
    expect(mounted, `a config mounted at ${tokensPath}`).toBeDefined();
    const content = compose.configs?.[mounted?.source ?? '']?.content ?? '';
    expect(content).toContain('${STEADFAST_ALERTMANAGER_TOKEN:?');
    // Alertmanager's is digits, an e and digits: YAML reads it as a number unless the file quotes it.
    const vars = {
      STEADFAST_API_TOKEN: 'operator-token-0123456789abcdef',
      STEADFAST_ALERTMANAGER_TOKEN: '0123456789e1234567890123456789012345678901234567',
    };
    expect(() => interpolate(content, { STEADFAST_API_TOKEN: vars.STEADFAST_API_TOKEN })).toThrow(
      /STEADFAST_ALERTMANAGER_TOKEN/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'steadfast-compose-'));
    try {
      const file = join(dir, 'tokens.yaml');
      writeFileSync(file, interpolate(content, vars));
      const settings = loadSettings(
        Object.fromEntries(
          Object.entries(asDict(api.environment)).map(([k, v]) => [k, interpolate(v, vars)]),
        ),
      );
      const store = await TokenStore.load({ ...settings.auth, tokensFile: file });
      expect(store.authenticate(vars.STEADFAST_ALERTMANAGER_TOKEN)).toEqual({
        identity: 'alertmanager',
        roles: ['ingest'],
      });
      expect(store.authenticate(vars.STEADFAST_API_TOKEN)?.roles).toEqual([...ROLES]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('provisions Grafana from grafana/ with the dashboard as its home', () => {
    const grafana = service('grafana');
    expect(relative(root, hostPath(grafana, '/etc/grafana/provisioning') ?? '')).toBe(
      join('grafana', 'provisioning'),
    );
    const provider = parse(
      readFileSync(join(root, 'grafana', 'provisioning', 'dashboards', 'steadfast.yml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    for (const p of provider.providers) {
      const dir = hostPath(grafana, p.options.path);
      expect(dir && existsSync(join(dir, 'steadfast.json')), p.options.path).toBe(true);
    }
    const home = asDict(grafana.environment)['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'] ?? '';
    expect(relative(root, hostPath(grafana, home) ?? '')).toBe(
      join('grafana', 'dashboards', 'steadfast.json'),
    );
  });

  it('publishes ports on the loopback interface only', () => {
    for (const [name, s] of services)
      for (const port of s.ports ?? []) {
        const hostIp = typeof port === 'object' ? port['host_ip'] : String(port).split(':')[0];
        expect(hostIp, `${name}: ${JSON.stringify(port)}`).toBe('127.0.0.1');
      }
  });
});
