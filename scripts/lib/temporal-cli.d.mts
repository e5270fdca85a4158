export declare const TEMPORAL_CLI_VERSION: string;
/** Path of a Temporal CLI binary, building the pinned release into the per-user cache if needed. */
export declare function ensureTemporalCli(): string;
/** Command-line flags for the dev server's SQLite file (write-ahead logging, synced commits). */
export declare const DEV_SERVER_SQLITE_ARGS: readonly string[];
