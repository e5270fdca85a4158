import { z } from 'zod';
import { temporalUrl, timestamp } from './common.js';

/** Similar-alert clusters, as GET /api/v1/clusters answers them (src/api/routes/clusters.ts, src/clusters/). */

export const clusterMemberSchema = z
  .object({
    incidentId: z.string(),
    title: z.string(),
    service: z.string(),
    alertName: z.string(),
    severity: z.string(),
    status: z.enum(['open', 'closed']),
    stage: z.string(),
    openedAt: timestamp,
    alerts: z
      .number()
      .int()
      .nonnegative()
      .meta({ description: 'Alerts the incident holds (its latest 50 at most).' }),
    temporalUrl,
  })
  .meta({ id: 'ClusterMember' });

export const clusterSchema = z
  .object({
    id: z.string().meta({ description: "The ID of the cluster's first-opened incident." }),
    size: z.number().int().min(2),
    services: z.array(z.string()),
    diameter: z.number().min(0).max(1).meta({ description: 'Largest distance between two members.' }),
    meanDistance: z.number().min(0).max(1),
    incidents: z.array(clusterMemberSchema).meta({ description: 'Members, first opened first.' }),
  })
  .meta({ id: 'Cluster' });

export const clusterListResponseSchema = z.object({
  clusters: z.array(clusterSchema).meta({ description: 'Largest first.' }),
  considered: z.number().int().nonnegative().meta({
    description:
      'Incidents clustered: open ones and those closed in the last 24 hours, newest first, up to `limit`; incidents already merged into another are left out.',
  }),
  unclustered: z.number().int().nonnegative().meta({ description: 'Of those, incidents in no cluster.' }),
  unanswered: z.array(z.string()).meta({
    description:
      'Incidents whose state could not be read (no worker answered in time): what the answer could not see.',
  }),
  method: z
    .object({
      eps: z.number(),
      minPts: z.number().int(),
      weights: z.object({ labels: z.number(), text: z.number(), time: z.number() }),
      timeScaleMinutes: z.number(),
    })
    .meta({ description: 'The distance and DBSCAN settings used (docs/clusters.md).' }),
});

export const mergeResponseSchema = z.object({
  merged: z.string().meta({ description: 'The incident merged, which closes.' }),
  into: z.string(),
  alertsSent: z.number().int().nonnegative(),
  actor: z.string(),
  at: timestamp,
});
