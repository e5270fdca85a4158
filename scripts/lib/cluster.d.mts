import type { ChildProcess } from 'node:child_process';

export interface Child {
  child: ChildProcess;
  name: string;
  exited: boolean;
  code: number | string | null;
  done: Promise<number | string | null>;
}
export declare const SERVICES: readonly ('history' | 'matching' | 'frontend' | 'worker')[];
export interface RunningCluster {
  /** The frontend's host:port. */
  address: string;
  namespace: string;
  /** PostgreSQL and the four services, by name. */
  children: Record<string, Child>;
  /** Stops the services, then PostgreSQL. */
  stop: () => Promise<void>;
  /** The server's binary and its configuration folder, for startService. */
  server: string;
  configRoot: string;
  /** The cluster's folder (PostgreSQL's data is in its pgdata) and PostgreSQL's port, for startPostgres. */
  dir: string;
  pgPort: number;
}
/** Starts PostgreSQL on 127.0.0.1:port with its data under `dir` (initialised once). */
export declare function startPostgres(options: {
  dir: string;
  port: number;
  durable?: boolean;
}): Promise<Child>;
export declare function startCluster(options: {
  dir: string;
  frontendPort?: number;
  pgPort?: number;
  shards?: number;
  /** false: PostgreSQL without fsync, for tests. */
  durable?: boolean;
  namespace?: string;
}): Promise<RunningCluster>;
/** Starts one service of a cluster again (after a fault test stopped it). */
export declare function startService(options: { server: string; configRoot: string; service: string }): Child;
export declare function ensureTemporalServer(): { server: string; sqlTool: string };
/** Free loopback ports for a cluster (frontend block below the smallint limit, and PostgreSQL). */
export declare function freeClusterPorts(): Promise<{ frontendPort: number; pgPort: number }>;
