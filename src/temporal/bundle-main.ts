/**
 * Bundles the workflow code into the file named by the first argument; the other arguments are
 * workflow interceptor modules to include. Run by bundle.ts in a child process: see why there.
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { bundlerOptions, workflowsPath } from './worker.js';

const [out, ...workflowInterceptorModules] = process.argv.slice(2);
if (!out) {
  console.error('usage: bundle-main.ts <output file> [workflow interceptor module…]');
  process.exit(2);
}
const { code } = await bundleWorkflowCode({
  workflowsPath,
  workflowInterceptorModules,
  ...bundlerOptions,
  // Webpack's report is for whoever changes the workflows, not for an operator starting a worker.
  logger: new DefaultLogger('WARN'),
});
writeFileSync(out, code);
