import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time by where it was spent, read from /proc (Linux): this process's threads grouped by name, and
 * the processes it started (the Temporal server, a cluster's services and its PostgreSQL) by command.
 * CPU seconds per alert hold up on a shared machine where wall-clock throughput does not: another
 * program's load stretches the run, not the work each alert costs.
 */
export type CpuSample = Map<string, number>;

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this runs on

/** utime + stime in seconds, and the command name, from a /proc stat line (the name may hold spaces). */
function parseStat(text: string): { name: string; ppid: number; seconds: number } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ppid) || !Number.isFinite(ticks)) return undefined;
  return { name: text.slice(open + 1, close), ppid, seconds: ticks / TICKS_PER_SECOND };
}

function readStat(path: string): ReturnType<typeof parseStat> {
  try {
    return parseStat(readFileSync(path, 'utf8'));
  } catch {
    return undefined; // gone between listing and reading
  }
}

/**
 * This process's threads in the kinds a reader can act on. Node names its worker threads (the SDK's
 * workflow threads), V8's helpers and libuv's pool all "node", so only the main thread (its id is the
 * process's) is told apart from them; the SDK core's Rust threads carry their own names.
 */
function threadKind(pid: number, tid: number, name: string): string {
  if (tid === pid) return 'bench process: main JS (HTTP client; API, activities in-process)';
  if (name.startsWith('tokio') || name.startsWith('temporal'))
    return 'bench process: SDK core (Rust threads)';
  if (name.startsWith('workflow')) return 'bench process: SDK workflow task threads';
  return 'bench process: other threads (workflow isolates, GC, libuv)';
}

function descendants(root: number): { pid: number; name: string; seconds: number }[] {
  const all: { pid: number; name: string; ppid: number; seconds: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(`/proc/${entry}/stat`);
    if (stat) all.push({ pid: Number(entry), ...stat });
  }
  const inTree = new Set([root]);
  // Parents come before children in most listings but not all: repeat until nothing is added.
  for (let added = true; added;) {
    added = false;
    for (const p of all) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        added = true;
      }
    }
  }
  return all.filter((p) => p.pid !== root && inTree.has(p.pid));
}

/** A process's CPU seconds so far, all its threads (0 once it is gone). */
export function processCpuSeconds(pid: number): number {
  return readStat(`/proc/${pid}/stat`)?.seconds ?? 0;
}

/** CPU seconds so far, by kind: this process's threads and every process it started. */
export function sampleCpu(pid = process.pid): CpuSample {
  const sample: CpuSample = new Map();
  const add = (kind: string, seconds: number): void => {
    sample.set(kind, (sample.get(kind) ?? 0) + seconds);
  };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readStat(`/proc/${pid}/task/${tid}/stat`);
    if (stat) add(threadKind(pid, Number(tid), stat.name), stat.seconds);
  }
  // Node children are Steadfast's own processes (bench:ingest --steadfast separate or npm-start).
  for (const child of descendants(pid))
    add(child.name === 'node' ? 'steadfast processes (API, worker)' : `server: ${child.name}`, child.seconds);
  return sample;
}

/** CPU seconds spent between two samples, by kind, largest first (kinds under 1% of the total left out). */
export function cpuSpent(before: CpuSample, after: CpuSample): { kind: string; seconds: number }[] {
  const rows = [...after].map(([kind, seconds]) => ({ kind, seconds: seconds - (before.get(kind) ?? 0) }));
  const total = rows.reduce((n, r) => n + r.seconds, 0);
  return rows.filter((r) => r.seconds > total / 100).sort((a, b) => b.seconds - a.seconds);
}

/**
 * A sample taken once the work a burst left behind is done: the server and the worker go on applying
 * signals after the last delivery is answered. Idle is under a tenth of a core for a second, or the
 * deadline, whichever comes first.
 */
export async function sampleCpuWhenIdle(abort: AbortSignal, deadlineMs = 120_000): Promise<CpuSample> {
  const total = (s: CpuSample): number => [...s.values()].reduce((n, v) => n + v, 0);
  const until = Date.now() + deadlineMs;
  let last = sampleCpu();
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    abort.throwIfAborted();
    const now = sampleCpu();
    if (total(now) - total(last) < 0.1 || Date.now() > until) return now;
    last = now;
  }
}
