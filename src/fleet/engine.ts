import { z } from 'zod';

/**
 * The parts of the Docker Engine API's answers the fleet reads, validated at the edge. Every field is
 * optional or defaulted: engines differ (podman's one-shot stats carry no `precpu_stats` sample, an
 * exited container has no stats at all), and a field missing makes a row's number unknown, never a crash.
 */

const count = z.number().finite().nonnegative();

const cpuSchema = z.object({
  cpu_usage: z.object({ total_usage: count.optional() }).optional(),
  system_cpu_usage: count.optional(),
  online_cpus: count.optional(),
});

export const statsSchema = z.object({
  read: z.string().optional(),
  preread: z.string().optional(),
  cpu_stats: cpuSchema.optional(),
  precpu_stats: cpuSchema.optional(),
  memory_stats: z
    .object({
      usage: count.optional(),
      limit: count.optional(),
      // cgroup v2 and v1 names of the page cache the kernel can drop (what `docker stats` leaves out).
      stats: z.record(z.string(), z.number()).optional(),
    })
    .optional(),
  networks: z
    .record(z.string(), z.object({ rx_bytes: count.optional(), tx_bytes: count.optional() }))
    .optional(),
});
export type EngineStats = z.infer<typeof statsSchema>;

export const inspectSchema = z.object({
  Id: z.string().min(1),
  Name: z.string().default(''),
  RestartCount: z.number().int().nonnegative().optional(),
  State: z
    .object({
      Status: z.string().optional(),
      Running: z.boolean().optional(),
      StartedAt: z.string().optional(),
      Health: z.object({ Status: z.string().optional() }).nullish(),
    })
    .optional(),
  Config: z.object({ Labels: z.record(z.string(), z.string()).nullish() }).optional(),
  HostConfig: z.object({ Memory: count.optional() }).optional(),
});
export type EngineInspect = z.infer<typeof inspectSchema>;
