/** Environment defaults for a Steadfast process (glibc's malloc arenas); the caller's own values win. */
export declare const PROCESS_ENV_DEFAULTS: Readonly<Record<string, string>>;
