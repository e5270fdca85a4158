import { hostname, networkInterfaces } from 'node:os';
import type { ProtectedTargets } from '../domain/scope.js';

/**
 * Steadfast's own parts, which no runbook may act on: a restart of its worker, its API or its Temporal
 * server would end the remediation that ordered it, and its database holds every incident.
 * Containers that run Steadfast's parts also carry the label steadfast.protected (docker-compose.yml).
 */
export function ownTargets(parts: {
  temporalAddress: string;
  apiHost: string;
  apiPort: number;
  metricsPort: number;
}): ProtectedTargets {
  const local = (port: number): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];
  // Docker names a container's host after its short ID unless told otherwise.
  const host = hostname();
  // A service listening on every address answers on each of this machine's (its container's) too.
  const localAddresses = Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((i) => i.address),
  );
  return {
    localAddresses,
    containerIds: /^[a-f0-9]{12}$/.test(host) ? [host] : [],
    hostPorts: [
      parts.temporalAddress,
      `${parts.apiHost}:${parts.apiPort}`,
      ...local(parts.apiPort),
      ...local(parts.metricsPort),
    ],
  };
}
