import { describe, expect, it } from 'vitest';
import { parseRunbook, RunbookError } from '../../src/domain/runbook.js';
import { scopeRefusal, type RunbookScope, type TargetIdentity } from '../../src/domain/scope.js';
import { httpRunner } from '../../src/remediation/http.js';
import { createTargetResolver } from '../../src/remediation/resolve.js';

const NOTHING_PROTECTED = { containerIds: [], hostPorts: [] };
const ID = 'a'.repeat(64);

const container = (name: string, labels: Record<string, string> = {}, id = ID): TargetIdentity => ({
  kind: 'docker-container',
  container: { id, name, labels },
});
const deployment = (namespace: string, labels: Record<string, string> = {}): TargetIdentity => ({
  kind: 'k8s-deployment',
  namespace,
  name: 'web',
  uid: 'uid-1',
  labels,
});
const http = (hostname: string, port: string, addresses = ['10.1.2.3']): TargetIdentity => ({
  kind: 'http',
  hostname,
  port,
  schemePort: '80',
  addresses,
});

describe('a resolved target against its runbook scope', () => {
  const shop: RunbookScope = {
    docker: { labels: { 'com.docker.compose.project': 'shop' }, names: ['shop-*'] },
    kubernetes: { namespaces: ['shop'], labels: { team: 'shop' }, nodes: { pool: 'spare' } },
    http: { hosts: ['cache.shop.internal:8080', '*.svc.shop.internal', '[fd00::5]:8080'] },
  };
  const shopLabels = { 'com.docker.compose.project': 'shop' };

  it.each([
    ['a container with the labels and a matching name', container('shop-web-1', shopLabels), undefined],
    [
      'a container missing a scope label',
      container('shop-web-1', {}),
      'lacks com.docker.compose.project=shop',
    ],
    [
      'a container with the label but another value',
      container('shop-web-1', { 'com.docker.compose.project': 'steadfast' }),
      'lacks com.docker.compose.project=shop',
    ],
    ['a container whose name matches no pattern', container('db-1', shopLabels), 'its name matches none'],
    [
      'a protected container, even inside the scope',
      container('shop-web-1', { ...shopLabels, 'steadfast.protected': 'true' }),
      'is protected',
    ],
    ['a deployment in a listed namespace with the labels', deployment('shop', { team: 'shop' }), undefined],
    ['a deployment in another namespace', deployment('kube-system', { team: 'shop' }), 'namespaces shop'],
    ['a deployment without the labels', deployment('shop'), 'lacks team=shop'],
    [
      'a deployment that is part of Steadfast',
      deployment('shop', { team: 'shop', 'app.kubernetes.io/part-of': 'steadfast' }),
      'part of Steadfast itself',
    ],
    [
      'a node with the node labels',
      { kind: 'k8s-node', name: 'n1', uid: 'u', labels: { pool: 'spare' } } as const,
      undefined,
    ],
    [
      'a node without them',
      { kind: 'k8s-node', name: 'n1', uid: 'u', labels: { pool: 'core' } } as const,
      'lacks pool=spare',
    ],
    ['a listed host and port', http('cache.shop.internal', '8080'), undefined],
    ['a listed IPv6 address and port', http('fd00::5', '8080', ['fd00::5']), undefined],
    ['another IPv6 address', http('fd00::6', '8080', ['fd00::6']), 'outside the runbook'],
    ['a listed host on another port', http('cache.shop.internal', '80'), 'outside the runbook'],
    ['a subdomain of a wildcard host', http('a.svc.shop.internal', '80'), undefined],
    ['the bare domain of a wildcard host', http('svc.shop.internal', '80'), 'outside the runbook'],
    ['a look-alike suffix', http('evilsvc.shop.internal', '80'), 'outside the runbook'],
    ['an attacker host', http('evil.example', '80'), 'outside the runbook'],
    [
      'a listed host that resolves to the metadata address',
      http('cache.shop.internal', '8080', ['169.254.169.254']),
      'link-local, metadata or unspecified',
    ],
    [
      'a listed host that resolves to an IPv6 link-local address',
      http('cache.shop.internal', '8080', ['fe80::1']),
      'link-local, metadata or unspecified',
    ],
  ])('%s', (_, target, refusal) => {
    const why = scopeRefusal(target, shop, NOTHING_PROTECTED);
    if (refusal === undefined) expect(why).toBeUndefined();
    else expect(why).toContain(refusal);
  });

  it('refuses every target of a family the scope does not name', () => {
    expect(scopeRefusal(container('web'), {}, NOTHING_PROTECTED)).toContain('names no Docker containers');
    expect(scopeRefusal(deployment('shop'), {}, NOTHING_PROTECTED)).toContain('names no Kubernetes');
    expect(scopeRefusal(http('cache.shop.internal', '80'), {}, NOTHING_PROTECTED)).toContain(
      'names no HTTP hosts',
    );
  });

  it("refuses Steadfast's own container and its own services, whatever the scope says", () => {
    const everything: RunbookScope = { docker: { names: ['*'] }, http: { hosts: ['127.0.0.1:7233'] } };
    const self = { containerIds: [ID.slice(0, 12)], hostPorts: ['127.0.0.1:7233'] };
    expect(scopeRefusal(container('steadfast-api-1'), everything, self)).toContain(
      'the container Steadfast itself runs in',
    );
    expect(scopeRefusal(http('127.0.0.1', '7233', ['127.0.0.1']), everything, self)).toContain(
      "Steadfast's own services",
    );
    // localhost:7233 is the same service under another name.
    expect(scopeRefusal(http('localhost', '7233', ['127.0.0.1']), everything, self)).toContain(
      "Steadfast's own services",
    );
  });

  it.each([
    ['another loopback address', '127.0.0.2'],
    ['loopback as IPv4-mapped IPv6', '::ffff:127.0.0.1'],
    ['loopback through NAT64', '64:ff9b::7f00:1'],
    ["one of this machine's own addresses", '172.18.0.5'],
  ])(
    "refuses a name in scope that reaches a service of Steadfast's listening on every address through %s",
    (_what, address) => {
      const everything: RunbookScope = { http: { hosts: ['*.svc.shop.internal:8080'] } };
      const self = { containerIds: [], hostPorts: ['0.0.0.0:8080'], localAddresses: ['172.18.0.5'] };
      expect(scopeRefusal(http('api.svc.shop.internal', '8080', [address]), everything, self)).toContain(
        "Steadfast's own services (0.0.0.0:8080)",
      );
    },
  );

  it("refuses a name in scope that resolves to where a service of Steadfast's own name does", () => {
    const everything: RunbookScope = { http: { hosts: ['*.svc.shop.internal:7233'] } };
    const self = { containerIds: [], hostPorts: ['temporal:7233'], resolved: { temporal: ['172.18.0.9'] } };
    expect(
      scopeRefusal(http('temporal.svc.shop.internal', '7233', ['172.18.0.9']), everything, self),
    ).toContain("Steadfast's own services (temporal:7233)");
    expect(
      scopeRefusal(http('cache.svc.shop.internal', '7233', ['172.18.0.10']), everything, self),
    ).toBeUndefined();
  });

  it.each([
    ["Alibaba Cloud's metadata address", '100.100.100.200'],
    ['the metadata address through NAT64', '64:ff9b::a9fe:a9fe'],
    ['the metadata address as IPv4-mapped IPv6', '::ffff:169.254.169.254'],
    ['the unspecified IPv4 address, which reaches this machine', '0.0.0.0'],
    ['the unspecified IPv6 address, which reaches this machine', '::'],
  ])('refuses a listed host that resolves to %s', (_what, address) => {
    expect(scopeRefusal(http('cache.shop.internal', '8080', [address]), shop, NOTHING_PROTECTED)).toContain(
      'link-local, metadata or unspecified',
    );
  });

  it('checks every replica of a service: one outside the scope refuses the whole step', () => {
    const replicas = [
      { id: ID, name: 'shop-web-1', labels: shopLabels },
      { id: 'b'.repeat(64), name: 'shop-web-2', labels: {} },
    ];
    const service: TargetIdentity = { kind: 'docker-service', selector: 'svc=web', replicas };
    expect(scopeRefusal(service, shop, NOTHING_PROTECTED)).toContain('shop-web-2');
    const none: TargetIdentity = { kind: 'docker-service', selector: 'svc=web', replicas: [] };
    expect(scopeRefusal(none, shop, NOTHING_PROTECTED)).toContain('no container carries svc=web');
  });
});

describe('a runbook that acts says what it may touch', () => {
  const runbook = (steps: string, scope = '') =>
    `title: T\nmatch: { alertnames: [A] }\nrisk: low\nsteps:\n${steps}\n${scope}`;
  const problems = (text: string): string[] => {
    try {
      parseRunbook('t.yaml', text);
      return [];
    } catch (err) {
      if (err instanceof RunbookError) return err.problems.map((p) => `${p.field}: ${p.message}`);
      throw err;
    }
  };

  it.each([
    ['docker', '  - { action: docker.restart, container: web }', 'scope.docker'],
    ['a deployment', '  - { action: k8s.rollback, deployment: web }', 'scope.kubernetes.namespaces'],
    ['a node', '  - { action: k8s.cordon, node: n1 }', 'scope.kubernetes.nodes'],
    ['http', "  - { action: http.call, url: 'http://a.example/x' }", 'scope.http'],
  ])('a runbook acting on %s without its scope is refused', (_, steps, field) => {
    expect(problems(runbook(steps))).toEqual([expect.stringContaining(field)]);
  });

  it('accepts each once its scope is given, and a wait needs none', () => {
    expect(
      problems(
        runbook('  - { action: docker.restart, container: web }', 'scope: { docker: { names: [web] } }'),
      ),
    ).toEqual([]);
    expect(problems(runbook('  - { action: wait, duration: 1s }'))).toEqual([]);
  });

  it('refuses an empty Docker scope and an empty label selector', () => {
    const steps = '  - { action: docker.restart, container: web }';
    expect(problems(runbook(steps, 'scope: { docker: {} }'))).toEqual([
      expect.stringContaining('say which containers'),
    ]);
    expect(problems(runbook(steps, 'scope: { docker: { labels: {} } }'))).toEqual([
      expect.stringContaining('at least one label'),
    ]);
  });
});

describe('network actions name the networks they may touch', () => {
  const scope: RunbookScope = { docker: { labels: { team: 'shop' }, networks: ['shop-*'] } };
  const onNetwork = (name: string): TargetIdentity => ({
    kind: 'docker-container',
    container: { id: ID, name: 'shop-web-1', labels: { team: 'shop' } },
    network: { id: 'n'.repeat(64), name },
  });

  it('lets a listed network through and refuses any other, such as the host network', () => {
    expect(scopeRefusal(onNetwork('shop-backend'), scope, NOTHING_PROTECTED)).toBeUndefined();
    expect(scopeRefusal(onNetwork('host'), scope, NOTHING_PROTECTED)).toContain(
      "network host is outside the runbook's scope (networks shop-*)",
    );
  });

  it('refuses a runbook with network steps and no networks in its scope', () => {
    expect(() =>
      parseRunbook(
        't.yaml',
        'title: T\nmatch: { alertnames: [A] }\nrisk: low\nsteps:\n  - { action: docker.network-disconnect, container: web, network: shop }\nscope: { docker: { names: [web] } }\n',
      ),
    ).toThrow('scope.docker.networks');
  });
});

describe('an HTTP target is looked up only once its name is in scope', () => {
  const lookups: string[] = [];
  const resolve = createTargetResolver({
    actions: httpRunner(),
    protect: NOTHING_PROTECTED,
    resolveHost: (name) => {
      lookups.push(name);
      return Promise.resolve(name === 'cache.shop.internal' ? ['169.254.169.254'] : ['10.0.0.7']);
    },
  });
  const call = (url: string) => [
    {
      action: 'http.call' as const,
      method: 'POST' as const,
      url,
      headers: {},
      expectStatus: [204],
      timeoutMs: 1000,
    },
  ];
  const scope: RunbookScope = { http: { hosts: ['cache.shop.internal:8080', 'ok.shop.internal'] } };

  it('never asks DNS about a name outside the scope', async () => {
    const result = await resolve(call('http://attacker-chosen.example/x'), scope);
    expect(result.ok ? '' : result.reason).toContain('outside the runbook');
    expect(lookups).toEqual([]);
  });

  it('looks up a listed name and still refuses it when it resolves to the metadata address', async () => {
    const result = await resolve(call('http://cache.shop.internal:8080/flush'), scope);
    expect(result.ok ? '' : result.reason).toContain('link-local, metadata or unspecified');
    expect(lookups).toEqual(['cache.shop.internal']);
  });

  it("refuses a listed name that resolves to the address of a service of Steadfast's, named otherwise", async () => {
    const guarded = createTargetResolver({
      actions: httpRunner(),
      protect: { containerIds: [], hostPorts: ['temporal:7233'] },
      resolveHost: (name) =>
        Promise.resolve(
          ['temporal', 'temporal.svc.shop.internal'].includes(name) ? ['10.9.9.9'] : ['10.0.0.7'],
        ),
    });
    const internal: RunbookScope = { http: { hosts: ['*.svc.shop.internal:7233'] } };

    const refused = await guarded(call('http://temporal.svc.shop.internal:7233/x'), internal);
    const allowed = await guarded(call('http://cache.svc.shop.internal:7233/x'), internal);

    expect(refused.ok ? '' : refused.reason).toContain("Steadfast's own services (temporal:7233)");
    expect(allowed.ok).toBe(true);
  });

  it('accepts a listed name on its scheme port', async () => {
    const result = await resolve(call('http://ok.shop.internal/flush'), scope);
    expect(result).toMatchObject({ ok: true, targets: ['ok.shop.internal:80 (10.0.0.7)'] });
    // The step is bound to the address checked: the call connects there, not where DNS answers later.
    expect(result.ok ? result.steps[0] : undefined).toMatchObject({ addresses: ['10.0.0.7'] });
  });
});
