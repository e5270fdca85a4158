export declare const TEMPORAL_CLI_VERSION: string;
/** Path of a Temporal CLI binary, building the pinned release into the per-user cache if needed. */
export declare function ensureTemporalCli(): string;
/** Flags for the dev server: its SQLite file (write-ahead logging, synced commits), eager activities. */
export declare const DEV_SERVER_ARGS: readonly string[];
