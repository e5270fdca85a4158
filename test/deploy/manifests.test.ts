import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, type V1Container, type V1Deployment } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { envSchema, envShape } from '../../src/config/env.js';
import { render, root, type Rendered } from './render.js';

const SETTINGS = new Set(Object.keys(envShape));

/** Every variable a container gets: its env entries and the keys of the ConfigMaps it takes whole. */
function variables(rendered: Rendered, container: V1Container): Map<string, string | undefined> {
  const vars = new Map<string, string | undefined>();
  for (const source of container.envFrom ?? []) {
    // A Secret taken whole would bring names no test can see: secrets come one key at a time.
    expect(source.secretRef, `${container.name} takes a whole Secret`).toBeUndefined();
    const name = source.configMapRef?.name ?? '';
    const map = rendered.all('ConfigMap').find((m) => m.metadata?.name === name);
    expect(map, `${container.name} takes ConfigMap ${name}, which is not rendered`).toBeDefined();
    for (const [key, value] of Object.entries(map?.data ?? {})) vars.set(key, value);
  }
  for (const e of container.env ?? []) vars.set(e.name, e.value);
  return vars;
}

const containersOf = (d: V1Deployment): V1Container[] => d.spec?.template.spec?.containers ?? [];

function mountPath(d: V1Deployment, container: V1Container, configMap: string): string | undefined {
  const volume = d.spec?.template.spec?.volumes?.find((v) => v.configMap?.name?.startsWith(`${configMap}-`));
  return container.volumeMounts?.find((m) => m.name === volume?.name)?.mountPath;
}

describe.each(['.', 'overlays/example'])('the manifests rendered from deploy/kubernetes/%s', (folder) => {
  let rendered: Rendered;
  beforeAll(async () => {
    rendered = await render(folder);
  });

  it('set in each container only settings that src/config/env.ts declares, with valid values', () => {
    for (const d of rendered.all('Deployment')) {
      for (const container of containersOf(d)) {
        const vars = variables(rendered, container);
        expect([...vars.keys()].filter((name) => !SETTINGS.has(name))).toEqual([]);
        // The values written in the manifests parse as the product parses them at start.
        const written = Object.fromEntries([...vars].filter(([, v]) => v !== undefined));
        const parsed = envSchema.safeParse(written);
        expect(parsed.error?.issues ?? []).toEqual([]);
        for (const e of container.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          // Secret keys are the settings' own names, so `kubectl create secret --from-literal` reads plainly.
          if (ref) expect(ref.key).toBe(e.name);
        }
      }
    }
  });

  it('mount the runbooks where the settings say in every container, and the kubeconfig in the workers only', () => {
    const deployments = rendered.all('Deployment');
    expect(deployments.map((d) => d.metadata?.name).sort()).toEqual(['steadfast-api', 'steadfast-worker']);
    for (const d of deployments) {
      for (const container of containersOf(d)) {
        const vars = variables(rendered, container);
        expect(vars.get('STEADFAST_RUNBOOKS_DIR')).toBe(mountPath(d, container, 'steadfast-runbooks'));
      }
    }
    const workers = rendered.one('Deployment', 'steadfast-worker');
    expect(workers.spec?.template.spec?.serviceAccountName).toBe('steadfast');
    for (const container of containersOf(workers)) {
      const kubeconfig = mountPath(workers, container, 'steadfast-kubeconfig');
      expect(variables(rendered, container).get('KUBECONFIG')).toBe(`${kubeconfig}/config`);
    }
    const api = rendered.one('Deployment', 'steadfast-api');
    expect(api.spec?.replicas).toBe(2);
    const [container] = containersOf(api);
    const tokens = container?.volumeMounts?.find((m) => m.name === 'tokens')?.mountPath;
    expect(container && variables(rendered, container).get('STEADFAST_TOKENS_FILE')).toBe(
      `${tokens}/tokens.yaml`,
    );
    // The worker holds no API token: neither the variables nor the Secret.
    const worker = rendered.one('Deployment', 'steadfast-worker');
    for (const c of containersOf(worker)) {
      const names = [...variables(rendered, c).keys()];
      expect(names.filter((n) => n === 'STEADFAST_API_TOKEN' || n === 'STEADFAST_TOKENS_FILE')).toEqual([]);
    }
    const secrets = worker.spec?.template.spec?.volumes?.map((v) => v.secret?.secretName).filter(Boolean);
    expect(secrets).toEqual([]);
  });

  it('run the API replicas without a worker, as an identity with no rights, with no token and no kubeconfig', () => {
    const api = rendered.one('Deployment', 'steadfast-api');
    const pod = api.spec?.template.spec;
    expect(pod?.serviceAccountName).toBe('steadfast-api');
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(rendered.one('ServiceAccount', 'steadfast-api', 'steadfast').automountServiceAccountToken).toBe(
      false,
    );
    // No projected token and no kubeconfig among its volumes, and nothing names it in a binding.
    expect(
      pod?.volumes?.filter((v) => v.projected || v.configMap?.name?.startsWith('steadfast-kubeconfig-')),
    ).toEqual([]);
    for (const binding of [...rendered.all('RoleBinding'), ...rendered.all('ClusterRoleBinding')]) {
      expect(binding.subjects?.map((s) => s.name)).not.toContain('steadfast-api');
    }
    for (const container of containersOf(api)) {
      const vars = variables(rendered, container);
      expect(vars.get('STEADFAST_ROLE')).toBe('api');
      expect(vars.has('KUBECONFIG')).toBe(false);
    }
  });

  it('probe the API on the health endpoints it serves: ready on /api/v1/health, alive on /metrics', () => {
    const [container] = containersOf(rendered.one('Deployment', 'steadfast-api'));
    expect(container?.readinessProbe?.httpGet?.path).toBe('/api/v1/health');
    expect(container?.livenessProbe?.httpGet?.path).toBe('/metrics');
  });

  it('carry the Kubernetes runbooks of runbooks/, unchanged', () => {
    const data = rendered.one('ConfigMap', 'steadfast-runbooks', 'steadfast').data ?? {};
    const kubernetesRunbooks = readdirSync(join(root, 'runbooks'))
      .filter((f) => f.endsWith('.yaml'))
      .filter((f) => /action: k8s\./.test(readFileSync(join(root, 'runbooks', f), 'utf8')));
    expect(Object.keys(data).sort()).toEqual(kubernetesRunbooks.sort());
    for (const [file, text] of Object.entries(data)) {
      expect(text, `deploy/kubernetes/base/app/runbooks/${file} differs from runbooks/${file}: copy it`).toBe(
        readFileSync(join(root, 'runbooks', file), 'utf8'),
      );
    }
  });

  it('give the actions a kubeconfig for the pod’s own ServiceAccount', () => {
    const data = rendered.one('ConfigMap', 'steadfast-kubeconfig', 'steadfast').data ?? {};
    const kc = new KubeConfig();
    kc.loadFromString(data.config ?? '');
    expect(kc.getCurrentCluster()).toMatchObject({
      server: 'https://kubernetes.default.svc',
      caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    });
    expect(kc.getCurrentUser()?.authProvider).toEqual({
      name: 'tokenFile',
      config: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' },
    });
  });
});

describe('the example overlay', () => {
  it('adds to the base only its namespace’s rights and the cordon component, and names its image', async () => {
    const base = await render('.');
    const overlay = await render('overlays/example');
    const unhashed = (ids: string[]) => ids.map((id) => id.replace(/-[a-z0-9]{10}$/, '')).sort();
    expect(unhashed(overlay.ids()).filter((id) => !unhashed(base.ids()).includes(id))).toEqual([
      'ClusterRole -/steadfast-cordon',
      'ClusterRoleBinding -/steadfast-cordon',
      'Role shop/steadfast-remediation',
      'RoleBinding shop/steadfast-remediation',
    ]);
    for (const d of overlay.all('Deployment')) {
      expect(containersOf(d).map((c) => c.image)).toEqual(['registry.example.com/platform/steadfast:0.1.0']);
    }
  });
});
