import { describe, expect, it } from 'vitest';
import { actionTarget, describeAction, isReversible, previewAction } from '../../src/actions/registry.js';
import { replicasWanted } from '../../src/actions/steps.js';
import { fillStep, stepSchema, type RunbookStep } from '../../src/actions/registry.js';
import { PlaceholderError } from '../../src/domain/placeholder.js';

const step = (raw: Record<string, unknown>): RunbookStep => stepSchema.parse(raw);
const fill = (raw: Record<string, unknown>, labels: Record<string, string>) =>
  fillStep(step(raw), labels, 'steps.0');

describe('fillStep', () => {
  it('fills a Kubernetes scale step from labels, with a relative count kept within its bounds', () => {
    const filled = fill(
      {
        action: 'k8s.scale',
        namespace: '{{ labels.namespace }}',
        deployment: '{{ labels.deployment }}',
        replicas: '+2',
        max: 4,
      },
      { namespace: 'shop', deployment: 'checkout-v2' },
    );
    expect(filled).toEqual({
      action: 'k8s.scale',
      namespace: 'shop',
      deployment: 'checkout-v2',
      replicas: { delta: 2, min: 1, max: 4 },
    });
    if (filled.action !== 'k8s.scale') return;
    expect(replicasWanted(filled.replicas, 1)).toBe(3);
    expect(replicasWanted(filled.replicas, 3)).toBe(4);
    expect(replicasWanted({ delta: -5, min: 1, max: 4 }, 3)).toBe(1);
  });

  it('reads a replica count from a label only when it is a plain number', () => {
    const raw = { action: 'docker.scale', service: 'web', replicas: '{{ labels.want }}' };
    const filled = fill(raw, { want: '3' });
    expect(filled).toMatchObject({
      action: 'docker.scale',
      label: 'com.docker.compose.service',
      replicas: { absolute: 3 },
    });
    for (const bad of ['3; rm -rf /', '-1', '1e9', '0x10', '']) {
      expect(() => fill(raw, { want: bad }), bad).toThrow(PlaceholderError);
    }
  });

  it.each([
    ['namespace', { namespace: 'Shop' }],
    ['namespace', { namespace: 'shop;kubectl delete ns' }],
    ['namespace', { namespace: 'a'.repeat(64) }],
    ['deployment', { deployment: '../secrets' }],
    ['deployment', { deployment: 'web/../../x' }],
    ['deployment', { deployment: 'web\nmalicious' }],
  ])('refuses a %s label that is not a Kubernetes name', (_field, bad) => {
    const labels = { namespace: 'shop', deployment: 'web', ...bad };
    expect(() =>
      fill(
        {
          action: 'k8s.rollback',
          namespace: '{{ labels.namespace }}',
          deployment: '{{ labels.deployment }}',
        },
        labels,
      ),
    ).toThrow(PlaceholderError);
  });

  it('refuses container and network labels that could carry anything but a name', () => {
    const raw = {
      action: 'docker.network-disconnect',
      container: '{{ labels.c }}',
      network: '{{ labels.n }}',
    };
    expect(fill(raw, { c: 'web-1', n: 'frontend' })).toMatchObject({
      container: 'web-1',
      network: 'frontend',
    });
    expect(() => fill(raw, { c: 'web-1 && reboot', n: 'frontend' })).toThrow(/steps\.0\.container/);
    expect(() => fill(raw, { c: 'web-1', n: '$(id)' })).toThrow(/steps\.0\.network/);
  });

  it('fills a maintenance URL from a host:port label, and refuses labels that would change where it goes', () => {
    const raw = { action: 'http.call', url: 'http://{{ labels.instance }}/maintenance/flush' };
    expect(fill(raw, { instance: 'cache-1:9100' })).toMatchObject({
      action: 'http.call',
      method: 'POST',
      url: 'http://cache-1:9100/maintenance/flush',
      expectStatus: [200, 201, 202, 204],
      timeoutMs: 30_000,
    });
    for (const bad of [
      'evil.example/x?',
      'user@evil.example',
      'cache-1:9100/../admin',
      'cache%2F1',
      'cache-1#frag',
    ]) {
      expect(() => fill(raw, { instance: bad }), bad).toThrow(PlaceholderError);
    }
  });

  it('refuses a URL template that is not http(s) or carries credentials', () => {
    expect(() => fill({ action: 'http.call', url: 'file:///etc/{{ labels.x }}' }, { x: 'passwd' })).toThrow(
      /only http and https/,
    );
    for (const url of [
      'http://u:p@{{ labels.x }}/',
      'http://u@{{ labels.x }}/',
      'http://:p@{{ labels.x }}/',
    ]) {
      expect(() => fill({ action: 'http.call', url }, { x: 'h' }), url).toThrow(/credentials go in headers/);
    }
  });

  it('refuses bad literals when the runbook is read, before any alert arrives', () => {
    expect(() =>
      step({ action: 'k8s.patch-resources', deployment: 'web', container: 'app', limits: { cpu: 'lots' } }),
    ).toThrow();
    expect(() => step({ action: 'k8s.scale', deployment: 'web', replicas: 2, min: 5, max: 3 })).toThrow(
      /min must not exceed max/,
    );
    expect(() => step({ action: 'docker.scale', service: 'web', replicas: 2, label: 'bad label' })).toThrow();
  });
});

describe('describing actions', () => {
  it('previews the exact API calls, with names encoded as they are sent', () => {
    expect(previewAction({ action: 'k8s.cordon', node: 'node-1' })).toEqual([
      'GET /api/v1/nodes/node-1',
      'PATCH /api/v1/nodes/node-1 {"spec":{"unschedulable":true}}',
    ]);
    expect(previewAction({ action: 'docker.restart', container: 'web-1', stopTimeoutSeconds: 10 })).toEqual([
      'GET /containers/web-1/json',
      'POST /containers/web-1/restart?t=10',
    ]);
    expect(
      previewAction({
        action: 'k8s.patch-resources',
        namespace: 'shop',
        deployment: 'web',
        container: 'app',
        limits: { memory: '1Gi' },
      })[1],
    ).toBe(
      'PATCH /apis/apps/v1/namespaces/shop/deployments/web {"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"limits":{"memory":"1Gi"}}}]}}}}',
    );
  });

  it('counts actions on one container, service, deployment or node as one target, and a wait as none', () => {
    expect(actionTarget({ action: 'docker.stop', container: 'web', stopTimeoutSeconds: 1 })).toBe(
      actionTarget({ action: 'docker.update-resources', container: 'web', memoryBytes: 1 }),
    );
    expect(actionTarget({ action: 'k8s.rollback', namespace: 'a', deployment: 'web' })).toBe(
      'k8s/deployment/a/web',
    );
    expect(actionTarget({ action: 'wait', ms: 1000 })).toBeUndefined();
  });

  it('knows which actions can be undone', () => {
    expect(
      isReversible({
        action: 'k8s.scale',
        namespace: 'a',
        deployment: 'b',
        replicas: { delta: 1, min: 1, max: 3 },
      }),
    ).toBe(true);
    expect(isReversible({ action: 'docker.restart', container: 'a', stopTimeoutSeconds: 1 })).toBe(false);
    expect(
      describeAction({
        action: 'k8s.scale',
        namespace: 'a',
        deployment: 'b',
        replicas: { delta: 1, min: 1, max: 3 },
      }),
    ).toBe('scale deployment a/b to +1 replicas (kept within 1–3)');
  });
});
