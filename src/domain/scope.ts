import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

/**
 * What a runbook may touch, and the check of a resolved object against it. An alert's labels choose a
 * target; the scope, written by the runbook's author, decides whether that target may be acted on. The
 * check runs on what the engine or API server says the object is (its ID, UID and labels), never on the
 * label text, which Docker alone reads four ways (a name, a full ID, any ID prefix, `/name`).
 */

const labelKey = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.\-/]{0,252}$/, 'a label key such as com.docker.compose.project');
const selector = z
  .record(labelKey, z.string().max(253))
  .refine((s) => Object.keys(s).length > 0, { message: 'at least one label' });
const namePattern = z
  .string()
  .regex(/^[a-zA-Z0-9*][a-zA-Z0-9_.*-]{0,253}$/, 'a name, where * stands for any run of characters');
const dnsLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const hostPattern = z
  .string()
  .regex(
    /^(?:\*\.)?[a-zA-Z0-9](?:[a-zA-Z0-9.-]{0,252})(?::\d{1,5})?$|^\[[0-9a-fA-F:.]+\](?::\d{1,5})?$/,
    'a host[:port] such as cache.shop.internal:8080, 127.0.0.1:9000 or *.cache.shop.internal',
  );

export const scopeSchema = z
  .object({
    docker: z
      .object({
        /** Every one of these labels, with these values, must be on the container. */
        labels: selector.optional(),
        /** The container's name must match one of these (`*` for any run of characters). */
        names: z.array(namePattern).min(1).max(100).optional(),
        /** Networks a container may be connected to or cut from (network actions need this). */
        networks: z.array(namePattern).min(1).max(100).optional(),
      })
      .strict()
      .refine((d) => d.labels !== undefined || d.names !== undefined, {
        message: 'say which containers: labels, names or both',
      })
      .optional(),
    kubernetes: z
      .object({
        namespaces: z.array(z.string().regex(dnsLabel, 'a namespace name')).min(1).max(100).optional(),
        /** Labels every deployment acted on must carry. */
        labels: selector.optional(),
        /** Labels every node acted on (cordon, uncordon) must carry. */
        nodes: selector.optional(),
      })
      .strict()
      .optional(),
    http: z
      .object({
        /** host[:port] the calls may go to; the port defaults to the scheme's. `*.` allows subdomains. */
        hosts: z.array(hostPattern).min(1).max(100),
      })
      .strict()
      .optional(),
  })
  .strict();

export type RunbookScope = z.infer<typeof scopeSchema>;

export interface ContainerIdentity {
  id: string;
  name: string;
  labels: Record<string, string>;
}

/** What an action's target turned out to be, as its engine, API server or resolver reports it. */
export type TargetIdentity =
  /** `network`: for network actions, the network as the engine resolves its name, ID or ID prefix. */
  | { kind: 'docker-container'; container: ContainerIdentity; network?: { id: string; name: string } }
  /** The replicas of a Docker service, found by `label=service` alone, so that none is left unchecked. */
  | { kind: 'docker-service'; selector: string; replicas: ContainerIdentity[] }
  | {
      kind: 'k8s-deployment';
      namespace: string;
      name: string;
      uid: string;
      labels: Record<string, string>;
    }
  | { kind: 'k8s-node'; name: string; uid: string; labels: Record<string, string> }
  /**
   * `port` is explicit (the scheme's default filled in), and `schemePort` is that default, for host
   * patterns written without a port; `addresses` are what the host resolved to.
   */
  | { kind: 'http'; hostname: string; port: string; schemePort: string; addresses: string[] }
  | { kind: 'none' };

/** What Steadfast never acts on, whatever a runbook's scope says. */
export interface ProtectedTargets {
  /** IDs (or ID prefixes, as a container's hostname gives it) of the containers Steadfast runs in. */
  containerIds: string[];
  /** host:port of Steadfast's own services: its API, its Temporal frontend, its metrics. */
  hostPorts: string[];
  /**
   * This machine's own addresses (its interfaces'): a service of Steadfast's listening on every address
   * (`0.0.0.0`) answers on each of them.
   */
  localAddresses?: string[];
  /** What the host names among `hostPorts` resolve to (by name), filled in as targets are checked. */
  resolved?: Record<string, string[]>;
}

/** The label that marks an object Steadfast must never touch (its own containers, its database). */
export const PROTECTED_LABEL = 'steadfast.protected';
/** Kubernetes objects that say they are part of Steadfast are never acted on either. */
const SELF_LABELS: Record<string, string> = {
  'app.kubernetes.io/part-of': 'steadfast',
  'app.kubernetes.io/name': 'steadfast',
};

// Link-local addresses carry cloud metadata services (169.254.169.254, fd00:ec2::254): the credentials
// of the machine itself. No scope can name them, nor Alibaba Cloud's (100.100.100.200), nor the
// link-local range through the well-known NAT64 prefix (64:ff9b::a9fe:a9fe reaches 169.254.169.254).
const FORBIDDEN_ADDRESSES = new BlockList();
FORBIDDEN_ADDRESSES.addSubnet('169.254.0.0', 16, 'ipv4');
FORBIDDEN_ADDRESSES.addSubnet('fe80::', 10, 'ipv6');
FORBIDDEN_ADDRESSES.addAddress('fd00:ec2::254', 'ipv6');
FORBIDDEN_ADDRESSES.addSubnet('0.0.0.0', 8, 'ipv4');
// The unspecified address names no host: connected to, Linux reaches this one, as with 0.0.0.0.
FORBIDDEN_ADDRESSES.addAddress('::', 'ipv6');
FORBIDDEN_ADDRESSES.addAddress('100.100.100.200', 'ipv4');
FORBIDDEN_ADDRESSES.addSubnet('64:ff9b::a9fe:0', 112, 'ipv6');

// Every address that reaches this machine's loopback: all of 127.0.0.0/8, not only 127.0.0.1, and the
// same through IPv4-mapped IPv6 and NAT64.
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('64:ff9b::7f00:0', 104, 'ipv6');

const familyOf = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 6 ? 'ipv6' : 'ipv4');
const isLoopback = (address: string): boolean =>
  isIP(address) !== 0 && LOOPBACK.check(address, familyOf(address));

// Only `*` is special: a glob library's braces, classes and extglobs would be surprises in a security
// boundary, where a pattern must mean exactly what it looks like.
function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

const protectedByLabel = (labels: Record<string, string>): boolean =>
  labels[PROTECTED_LABEL] !== undefined && labels[PROTECTED_LABEL] !== 'false';

function missingLabels(labels: Record<string, string>, wanted: Record<string, string>): string[] {
  return Object.entries(wanted)
    .filter(([k, v]) => labels[k] !== v)
    .map(([k, v]) => `${k}=${v}`);
}

function checkContainer(
  c: ContainerIdentity,
  scope: RunbookScope['docker'],
  protect: ProtectedTargets,
): string | undefined {
  const who = `container ${c.name} (${c.id.slice(0, 12)})`;
  if (protectedByLabel(c.labels)) return `${who} is protected (label ${PROTECTED_LABEL})`;
  if (protect.containerIds.some((id) => id.length >= 12 && c.id.startsWith(id))) {
    return `${who} is the container Steadfast itself runs in`;
  }
  if (!scope) return `${who}: the runbook's scope names no Docker containers`;
  const missing = missingLabels(c.labels, scope.labels ?? {});
  if (missing.length > 0) return `${who} is outside the runbook's scope: it lacks ${missing.join(', ')}`;
  if (scope.names && !scope.names.some((p) => globToRegExp(p).test(c.name))) {
    return `${who} is outside the runbook's scope: its name matches none of ${scope.names.join(', ')}`;
  }
  return undefined;
}

function checkKubernetes(
  what: string,
  labels: Record<string, string>,
  wanted: Record<string, string> | undefined,
): string | undefined {
  if (protectedByLabel(labels)) return `${what} is protected (label ${PROTECTED_LABEL})`;
  const self = Object.entries(SELF_LABELS).find(([k, v]) => labels[k] === v);
  if (self) return `${what} is part of Steadfast itself (${self[0]}=${self[1]})`;
  const missing = missingLabels(labels, wanted ?? {});
  if (missing.length > 0) return `${what} is outside the runbook's scope: it lacks ${missing.join(', ')}`;
  return undefined;
}

/** Whether `hostname:port` matches a scope host pattern (`*.` for any subdomain, never the bare domain). */
function hostMatches(pattern: string, hostname: string, port: string, defaultPort: string): boolean {
  const m = /^(.*?)(?::(\d+))?$/.exec(pattern.toLowerCase());
  const [written = '', wantedPort = defaultPort] = [m?.[1], m?.[2]];
  if (wantedPort !== port) return false;
  // An IPv6 address is written in brackets (`[fd00::5]:8080`); the URL's hostname has none.
  const host = written.replace(/^\[(.*)\]$/, '$1');
  const name = hostname.toLowerCase();
  if (host.startsWith('*.')) return name.endsWith(host.slice(1)) && name.length > host.length - 1;
  return host === name;
}

function checkHttp(
  t: Extract<TargetIdentity, { kind: 'http' }>,
  scope: RunbookScope['http'],
  protect: ProtectedTargets,
): string | undefined {
  const where = `${t.hostname}:${t.port}`;
  const forbidden = t.addresses.find((a) => FORBIDDEN_ADDRESSES.check(a, familyOf(a)));
  if (forbidden) return `${where} resolves to ${forbidden}, a link-local, metadata or unspecified address`;
  const own = protect.hostPorts.find((hp) => sameHostPort(hp, t, protect));
  if (own) return `${where} is one of Steadfast's own services (${own})`;
  if (!scope) return `${where}: the runbook's scope names no HTTP hosts`;
  if (!scope.hosts.some((p) => hostMatches(p, t.hostname, t.port, t.schemePort))) {
    return `${where} is outside the runbook's scope (hosts ${scope.hosts.join(', ')})`;
  }
  return undefined;
}

/**
 * Whether the target is the service at `hostPort`: the same name, or an address it has or resolves to
 * (`protect.resolved`), or, for a service listening on every address, loopback or one of this machine's.
 */
function sameHostPort(
  hostPort: string,
  t: { hostname: string; port: string; addresses: string[] },
  protect: ProtectedTargets,
): boolean {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(hostPort);
  if (!m) return false;
  const [, host = '', port = ''] = m;
  if (port !== t.port) return false;
  const name = host.toLowerCase();
  if (name === t.hostname.toLowerCase()) return true;
  const its = new Set([host, ...(protect.resolved?.[host] ?? [])].map(normalAddress));
  if (t.addresses.some((a) => its.has(normalAddress(a)))) return true;
  const everywhere = name === 'localhost' || name === '0.0.0.0' || name === '::' || isLoopback(host);
  const local = new Set((protect.localAddresses ?? []).map(normalAddress));
  return everywhere && t.addresses.some((a) => isLoopback(a) || local.has(normalAddress(a)));
}

/** An address as one spelling: `::ffff:10.0.0.5` is 10.0.0.5, and IPv6 in lower case. */
function normalAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address.toLowerCase();
}

/** Why the target may not be acted on, or undefined when it may. */
export function scopeRefusal(
  target: TargetIdentity,
  scope: RunbookScope,
  protect: ProtectedTargets,
): string | undefined {
  switch (target.kind) {
    case 'none':
      return undefined;
    case 'docker-container': {
      const network = target.network;
      if (network && !scope.docker?.networks?.some((p) => globToRegExp(p).test(network.name))) {
        return `network ${network.name} is outside the runbook's scope (networks ${scope.docker?.networks?.join(', ') ?? 'none named'})`;
      }
      return checkContainer(target.container, scope.docker, protect);
    }
    case 'docker-service': {
      if (target.replicas.length === 0) return `no container carries ${target.selector}`;
      for (const replica of target.replicas) {
        const why = checkContainer(replica, scope.docker, protect);
        if (why) return `service ${target.selector}: ${why}`;
      }
      return undefined;
    }
    case 'k8s-deployment': {
      const what = `deployment ${target.namespace}/${target.name}`;
      const k8s = scope.kubernetes;
      if (!k8s?.namespaces) return `${what}: the runbook's scope names no Kubernetes namespaces`;
      if (!k8s.namespaces.includes(target.namespace)) {
        return `${what} is outside the runbook's scope (namespaces ${k8s.namespaces.join(', ')})`;
      }
      return checkKubernetes(what, target.labels, k8s.labels);
    }
    case 'k8s-node': {
      const what = `node ${target.name}`;
      if (!scope.kubernetes?.nodes) return `${what}: the runbook's scope names no nodes`;
      return checkKubernetes(what, target.labels, scope.kubernetes.nodes);
    }
    case 'http':
      return checkHttp(target, scope.http, protect);
  }
}

/** One line for the approver: what the target resolved to. */
export function describeIdentity(target: TargetIdentity): string | undefined {
  switch (target.kind) {
    case 'none':
      return undefined;
    case 'docker-container':
      return `container ${target.container.name} (ID ${target.container.id.slice(0, 12)})`;
    case 'docker-service':
      return `service ${target.selector}: ${target.replicas.map((r) => `${r.name} (ID ${r.id.slice(0, 12)})`).join(', ')}`;
    case 'k8s-deployment':
      return `deployment ${target.namespace}/${target.name} (UID ${target.uid})`;
    case 'k8s-node':
      return `node ${target.name} (UID ${target.uid})`;
    case 'http':
      return `${target.hostname}:${target.port} (${target.addresses.join(', ')})`;
  }
}
