import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type {
  KubernetesObject,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1Deployment,
  V1Role,
  V1RoleBinding,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { findKustomize } from '../../scripts/lib/kustomize.mjs';

export const root = join(import.meta.dirname, '..', '..');
export const deployDir = join(root, 'deploy', 'kubernetes');

/** A generated object's name: kustomize appends a hash of its content. */
const hashed = (name: string): RegExp => new RegExp(`^${name}-[a-z0-9]{10}$`);

interface Kinds {
  ClusterRole: V1ClusterRole;
  ClusterRoleBinding: V1ClusterRoleBinding;
  ConfigMap: V1ConfigMap;
  Deployment: V1Deployment;
  Role: V1Role;
  RoleBinding: V1RoleBinding;
  ServiceAccount: V1ServiceAccount;
}

/** The objects a kustomization renders to, as `kubectl apply -k` would send them. */
export class Rendered {
  constructor(readonly objects: KubernetesObject[]) {}

  /** Every object of a kind: the one place that trusts `kind` to say the object's shape. */
  all<K extends keyof Kinds>(kind: K): Kinds[K][] {
    return this.objects.filter((o) => o.kind === kind) as Kinds[K][];
  }

  /** The one object of a kind and name; names of generated ConfigMaps carry kustomize's hash suffix. */
  one<K extends keyof Kinds>(kind: K, name: string, namespace?: string): Kinds[K] {
    const found = this.all(kind).filter(
      (o) =>
        (o.metadata?.name === name || hashed(name).test(o.metadata?.name ?? '')) &&
        (namespace === undefined || o.metadata?.namespace === namespace),
    );
    if (found.length !== 1) throw new Error(`${found.length} ${kind} objects named ${name}, not one`);
    return found[0] as Kinds[K];
  }

  /** Kind, namespace and name of each object, for comparing sets. */
  ids(): string[] {
    return this.objects.map((o) => `${o.kind} ${o.metadata?.namespace ?? '-'}/${o.metadata?.name ?? ''}`);
  }
}

/** Renders a kustomization folder (relative to deploy/kubernetes) with the kustomize the suite builds. */
export async function render(folder = '.'): Promise<Rendered> {
  const kustomize = findKustomize();
  if (!kustomize) {
    throw new Error(
      'kustomize is missing: `npm test` builds it, or run `node scripts/lib/kustomize.mjs` once (into ~/.cache/steadfast).',
    );
  }
  const { stdout } = await promisify(execFile)(kustomize, ['build', join(deployDir, folder)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const objects = parseAllDocuments(stdout).map((doc) => {
    const [error] = doc.errors;
    if (error) throw new Error(`kustomize rendered YAML that does not parse: ${error.message}`);
    return doc.toJS() as KubernetesObject;
  });
  return new Rendered(objects);
}
