/**
 * `npm run chaos -- <fault> <service> [key=value…]`: injects a fault into a running demo service.
 * Faults: crash, leak (mbPerSecond=4), cpu, errors (rate=0.5), latency (ms=800), clear.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FAULTS, injectFault, type DemoTarget } from './loop.js';

const dataDir = process.env['STEADFAST_DATA_DIR'] ?? join(import.meta.dirname, '..', 'data');
const args = z
  .tuple([z.enum(FAULTS, { error: `a fault: ${FAULTS.join(', ')}` }), z.string().min(1, 'a service')])
  .rest(z.string().regex(/^[a-zA-Z]+=[\w.]+$/, 'parameters as key=value'))
  .safeParse(process.argv.slice(2));
if (!args.success || process.argv.includes('--help')) {
  process.stderr.write(
    `usage: npm run chaos -- <${FAULTS.join('|')}> <service> [key=value…]\n` +
      (args.success ? '' : `${args.error.issues.map((i) => i.message).join('; ')}\n`),
  );
  process.exit(args.success ? 0 : 2);
}
const [fault, service, ...params] = args.data;
let targets: DemoTarget[];
try {
  targets = JSON.parse(readFileSync(join(dataDir, 'demo', 'targets.json'), 'utf8')) as DemoTarget[];
} catch {
  process.stderr.write('no demo is running here: start one with npm run demo\n');
  process.exit(1);
}
const target = targets.find((t) => t.service === service);
if (!target) {
  process.stderr.write(
    `no demo service ${service}; the services are ${targets.map((t) => t.service).join(', ')}\n`,
  );
  process.exit(2);
}
const text = await injectFault(
  target,
  fault,
  Object.fromEntries(params.map((p) => p.split('=') as [string, string])),
);
process.stdout.write(`${new Date().toISOString()} ${text}\n`);
