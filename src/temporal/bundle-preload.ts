/**
 * Modules evaluated once per workflow thread and shared by every workflow in it (the bundler's
 * preloadModules). In the SDK's reused V8 context each workflow otherwise evaluates every module it
 * imports afresh: zod, which most of our modules import for their schemas, was about 0.7 MB of each
 * cached workflow's heap (bench:memory). A shared module must keep no per-workflow state: zod's is its
 * configuration, a registry of schema metadata (a WeakMap keyed by schema) and scratch state that lives
 * within one synchronous parse.
 */
import { z } from 'zod';

/**
 * The SDK deep-freezes what a preloaded module exports, zod's configuration with it, but zod fills in
 * its default locale and memoizer when the first schema is built: built here, before the freeze, or
 * the first schema a workflow builds fails with "object is not extensible". The bundler keeps the zod
 * modules this uses, the same files as our schemas use (zod says it has no side effects: only what is
 * used stays).
 */
z.object({ warmed: z.string().min(1).optional() }).parse({ warmed: 'yes' });
