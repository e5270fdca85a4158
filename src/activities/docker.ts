import { heartbeat, sleep as activitySleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type Docker from 'dockerode';
import {
  describeAction,
  describeLimits,
  type ActionEffect,
  type ActionRequest,
  type ActionStep,
  type TargetSnapshot,
} from '../domain/action.js';

interface DockerError {
  statusCode?: number;
  message: string;
}
const isDockerError = (err: unknown): err is DockerError =>
  typeof err === 'object' && err !== null && 'statusCode' in err;

function notFound(container: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'ContainerNotFound',
    message: `container ${container} does not exist`,
    nonRetryable: true,
  });
}

/**
 * Remediation actions on a Docker Engine API (Docker, or podman's compatible service). Each action is
 * split in two activities: a snapshot recorded in history before anything changes, and an apply that
 * compares against it, so a retried apply never acts twice and the compensation knows what to restore.
 */
export function createDockerActivities(docker: Docker) {
  const inspect = async (container: string): Promise<Docker.ContainerInspectInfo> => {
    try {
      return await docker.getContainer(container).inspect();
    } catch (err) {
      if (isDockerError(err) && err.statusCode === 404) throw notFound(container);
      throw err;
    }
  };

  // podman before 5 has no Docker-compatible update endpoint; its own API applies the same limits.
  const updateResources = async (
    containerId: string,
    limits: { memory: number; memorySwap: number; nanoCpus: number },
  ): Promise<void> => {
    try {
      await docker
        .getContainer(containerId)
        .update({ Memory: limits.memory, MemorySwap: limits.memorySwap, NanoCpus: limits.nanoCpus });
      return;
    } catch (err) {
      if (!isDockerError(err) || err.statusCode !== 404) throw err;
    }
    const period = 100_000;
    await new Promise<void>((resolve, reject) => {
      docker.modem.dial(
        {
          path: `/v4.0.0/libpod/containers/${encodeURIComponent(containerId)}/update?`,
          method: 'POST',
          options: {
            memory: {
              limit: limits.memory > 0 ? limits.memory : -1,
              swap: limits.memorySwap !== 0 ? limits.memorySwap : -1,
            },
            cpu:
              limits.nanoCpus > 0
                ? { quota: Math.round((limits.nanoCpus / 1e9) * period), period }
                : { quota: -1, period },
          },
          statusCodes: { 200: true, 201: true, 204: true, 404: 'no such container', 500: 'server error' },
        },
        (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
      );
    });
  };

  return {
    /** Records the target's state before an action: its identity, start time and limits. */
    async snapshotTarget(step: ActionStep): Promise<TargetSnapshot> {
      switch (step.action) {
        case 'docker.restart': {
          const info = await inspect(step.container);
          return { action: step.action, containerId: info.Id, startedAt: info.State.StartedAt };
        }
        case 'docker.update-resources': {
          const info = await inspect(step.container);
          return {
            action: step.action,
            containerId: info.Id,
            memoryBytes: info.HostConfig.Memory ?? 0,
            memorySwapBytes: info.HostConfig.MemorySwap ?? 0,
            nanoCpus: info.HostConfig.NanoCpus ?? 0,
          };
        }
        case 'wait':
          return { action: 'wait' };
      }
    },

    async applyAction({ step, snapshot }: ActionRequest): Promise<ActionEffect> {
      heartbeat();
      if (step.action === 'docker.restart' && snapshot.action === 'docker.restart') {
        const before = await inspect(snapshot.containerId);
        if (before.State.StartedAt !== snapshot.startedAt && before.State.Running) {
          return {
            acted: false,
            summary: `container ${step.container} was already restarted (up since ${before.State.StartedAt})`,
          };
        }
        const container = docker.getContainer(snapshot.containerId);
        try {
          await container.restart({ t: step.stopTimeoutSeconds });
        } catch (err) {
          // A process that exits just as the stop timeout ends can make the engine's kill fail; the
          // container is then merely stopped, and starting it finishes the restart.
          const now = await inspect(snapshot.containerId);
          if (now.State.Running) throw err;
          await container.start();
        }
        const after = await inspect(snapshot.containerId);
        return {
          acted: true,
          summary: `restarted container ${step.container} (up since ${after.State.StartedAt})`,
        };
      }
      if (step.action === 'docker.update-resources' && snapshot.action === 'docker.update-resources') {
        const memory = step.memoryBytes ?? snapshot.memoryBytes;
        // Swap is a total of memory plus swap: keep the same headroom as before, or none if unset.
        const swapHeadroom =
          snapshot.memorySwapBytes > 0 ? snapshot.memorySwapBytes - snapshot.memoryBytes : 0;
        const memorySwap =
          step.memoryBytes !== undefined
            ? snapshot.memorySwapBytes === -1
              ? -1
              : memory + Math.max(swapHeadroom, 0)
            : snapshot.memorySwapBytes;
        await updateResources(snapshot.containerId, {
          memory,
          memorySwap,
          nanoCpus: step.nanoCpus ?? snapshot.nanoCpus,
        });
        return {
          acted: true,
          summary: `${describeAction(step)} (was ${describeLimits(snapshot.memoryBytes, snapshot.nanoCpus)})`,
        };
      }
      if (step.action === 'wait') {
        const until = Date.now() + step.ms;
        while (Date.now() < until) {
          heartbeat();
          await activitySleep(Math.min(5000, until - Date.now()));
        }
        return { acted: true, summary: `waited ${Math.round(step.ms / 1000)}s` };
      }
      throw ApplicationFailure.create({
        type: 'InvalidAction',
        message: `snapshot ${snapshot.action} does not fit action ${step.action}`,
        nonRetryable: true,
      });
    },

    /** Restores what the snapshot recorded; only reversible actions are ever compensated. */
    async compensateAction({ step, snapshot }: ActionRequest): Promise<ActionEffect> {
      heartbeat();
      if (snapshot.action !== 'docker.update-resources') {
        throw ApplicationFailure.create({
          type: 'InvalidAction',
          message: `${describeAction(step)} cannot be undone`,
          nonRetryable: true,
        });
      }
      await updateResources(snapshot.containerId, {
        memory: snapshot.memoryBytes,
        memorySwap: snapshot.memorySwapBytes,
        nanoCpus: snapshot.nanoCpus,
      });
      return {
        acted: true,
        summary: `restored container ${snapshot.containerId.slice(0, 12)} to ${describeLimits(snapshot.memoryBytes, snapshot.nanoCpus)}`,
      };
    },
  };
}
