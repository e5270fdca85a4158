import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type Docker from 'dockerode';
import { describeAction, describeLimits } from '../actions/describe.js';
import type { ActionEffect, DockerStep, TargetSnapshot } from '../actions/steps.js';
import { invalidAction, mismatch, type ActionExecutor } from './executor.js';

interface DockerError {
  statusCode?: number;
  message: string;
}
export const isDockerError = (err: unknown): err is DockerError =>
  typeof err === 'object' && err !== null && 'statusCode' in err;

export function notFound(what: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'ContainerNotFound',
    message: `${what} does not exist`,
    nonRetryable: true,
  });
}

/** Remediation actions on a Docker Engine API (Docker, or podman's compatible service). */
export function createDockerExecutor(docker: Docker): ActionExecutor<DockerStep> {
  const inspect = async (container: string): Promise<Docker.ContainerInspectInfo> => {
    try {
      return await docker.getContainer(container).inspect();
    } catch (err) {
      if (isDockerError(err) && err.statusCode === 404) throw notFound(`container ${container}`);
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
    async snapshot(step: DockerStep): Promise<TargetSnapshot> {
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
        default:
          throw invalidAction(`${step.action} is not implemented yet`);
      }
    },

    async apply(step: DockerStep, snapshot: TargetSnapshot): Promise<ActionEffect> {
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
      throw mismatch(step, snapshot);
    },

    /** Restores what the snapshot recorded; only reversible actions are ever compensated. */
    async compensate(step: DockerStep, snapshot: TargetSnapshot): Promise<ActionEffect> {
      heartbeat();
      if (snapshot.action === 'docker.update-resources') {
        await updateResources(snapshot.containerId, {
          memory: snapshot.memoryBytes,
          memorySwap: snapshot.memorySwapBytes,
          nanoCpus: snapshot.nanoCpus,
        });
        return {
          acted: true,
          summary: `restored container ${snapshot.containerId.slice(0, 12)} to ${describeLimits(snapshot.memoryBytes, snapshot.nanoCpus)}`,
        };
      }
      throw invalidAction(`${describeAction(step)} cannot be undone`);
    },
  };
}
