/**
 * The environment a Steadfast process starts with. The Temporal SDK's native core allocates from many
 * threads, and glibc gives each its own malloc arena (up to eight per core), which keep freed memory:
 * two arenas cut the idle worker's resident memory by about 40 MB (284 → 242 MB, bench:memory) at no
 * cost measured. An operator's own MALLOC_ARENA_MAX wins.
 */
export const PROCESS_ENV_DEFAULTS = { MALLOC_ARENA_MAX: '2' };
