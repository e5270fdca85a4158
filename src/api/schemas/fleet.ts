import { z } from 'zod';
import { timestamp } from './common.js';

/** The fleet view, as GET /api/v1/fleet answers it (src/api/routes/fleet.ts, src/fleet/). */

const bytes = z.number().nonnegative().nullable();

export const fleetRowSchema = z
  .object({
    id: z.string().meta({ description: "The container's ID, or the pod's UID." }),
    name: z.string().meta({ description: 'The container name, or `namespace/pod` for a pod.' }),
    source: z.enum(['docker', 'kubernetes']).meta({
      description:
        'docker: a container of the engine; kubernetes: a pod of the KUBECONFIG cluster (usage from metrics.k8s.io where metrics-server runs; no network, no interventions, no risk forecast).',
    }),
    status: z.string().meta({
      description:
        "The engine's state: running, exited, restarting, paused… or unknown; a pod's phase in lower case (pending, running…), or `restarting (CrashLoopBackOff)`.",
    }),
    health: z
      .string()
      .optional()
      .meta({ description: "The health check's verdict, when the container has one." }),
    cpuCores: z
      .number()
      .nonnegative()
      .nullable()
      .meta({ description: 'CPU cores in use (0.5: half a core).' }),
    cpuBasis: z.enum(['recent', 'since-start']).nullable().meta({
      description:
        "recent: between two samples (the engine's, or this poll and the API's previous one); since-start: the average since the container started.",
    }),
    memoryBytes: bytes.meta({ description: 'Memory in use without the page cache the kernel can drop.' }),
    memoryLimitBytes: bytes,
    memoryShare: z.number().min(0).max(1).nullable().meta({ description: 'memoryBytes / memoryLimitBytes.' }),
    memoryLimited: z.boolean().meta({
      description: "False when the container has no memory limit: the limit is then the host's memory.",
    }),
    restarts: z.number().int().nonnegative().nullable(),
    netInBytes: bytes.meta({ description: 'Bytes received on all interfaces since the container started.' }),
    netOutBytes: bytes.meta({ description: 'Bytes sent on all interfaces since the container started.' }),
    interventions: z.number().int().nonnegative().meta({
      description:
        'Remediation actions this API process counted on the container (steadfast_remediation_actions_total by target: per process; Prometheus sums across workers).',
    }),
    unknown: z
      .object({ fields: z.array(z.string()), reason: z.string() })
      .optional()
      .meta({ description: 'The fields that are null, and why.' }),
    service: z
      .string()
      .optional()
      .meta({ description: "The container's `service` label, else its Compose service name." }),
    risk: z
      .object({
        level: z.enum(['high', 'medium', 'low', 'unknown']),
        probability: z.number().min(0).max(1).nullable(),
        secondsToThreshold: z.number().nonnegative().nullable(),
        basis: z.string(),
      })
      .meta({
        description:
          "The forecast's chance that memory passes 90% of the limit within 30 minutes, from this API process's recent samples (STEADFAST_FLEET_SAMPLE_INTERVAL): high from 0.8, medium from 0.5; unknown (with why) without a limit or with fewer than 8 samples.",
      }),
  })
  .meta({ id: 'FleetRow' });

export const fleetResponseSchema = z
  .object({
    at: timestamp,
    selector: z
      .string()
      .meta({ description: 'STEADFAST_FLEET_LABEL: key=value, key, or * (every running container).' }),
    matched: z
      .number()
      .int()
      .nonnegative()
      .meta({ description: 'Containers and pods the selector matched.' }),
    truncated: z.boolean().meta({
      description:
        'True when more matched than the cap (200 per source) and only the first by name are shown.',
    }),
    containers: z.array(fleetRowSchema),
    unavailable: z
      .array(z.object({ source: z.enum(['docker', 'kubernetes']), reason: z.string() }))
      .optional()
      .meta({
        description:
          'The sources that did not answer (with KUBECONFIG set, an unreachable engine still gives the pods; 503 only when no source answers).',
      }),
  })
  .meta({ id: 'Fleet' });
