export declare const TEMPORAL_CLI_VERSION: string;
/** Path of a Temporal CLI binary, building the pinned release into the per-user cache if needed. */
export declare function ensureTemporalCli(): string;
