/**
 * Forecast benchmark on a NAB-layout corpus: MASE at a horizon of every forecasting method against
 * the naive last-value forecast. The last line printed is one JSON object with the figures.
 *
 *   npx tsx bench/forecast.ts [--corpus <dir>] [--horizon 10] [--stride 1] [--warmup 0.15] [--per-series]
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runForecastBenchmark, type BenchmarkResult } from '../src/forecasting/benchmark.js';
import { loadCorpus } from '../src/nab/corpus.js';

const DEFAULT_CORPUS = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'shared',
  'benchmarks',
  'nab',
);

const USAGE = `Usage: npx tsx bench/forecast.ts [options]

Runs every forecaster online over every series of a NAB-layout corpus and reports, per method, the
MASE of its forecasts at the horizon: its mean absolute error divided by that of the naive
last-value forecast over the same rows (below 1 beats naive). The first --warmup share of each
series is fed but not scored. The last line is one JSON object with the figures.

Options:
  --corpus <dir>    corpus folder (data/<category>/<file>.csv, combined_windows.json)
                    default: ${DEFAULT_CORPUS}
  --horizon <n>     steps ahead, default 10
  --stride <k>      score a forecast every k-th row, default 1
  --warmup <share>  share of each series fed before scoring starts, default 0.15
  --per-series      also print every series' MASE per method
  --help            this text`;

function positiveNumber(text: string | undefined, name: string, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(
      `--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

const pad = (text: string, width: number): string => text.padEnd(width);
const num = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

function printTable(result: BenchmarkResult, perSeries: boolean): void {
  const { summary, evaluations } = result;
  const names = Object.keys(summary.methods);
  const width = Math.max(...names.map((n) => n.length), 6) + 2;
  if (perSeries) {
    const keyWidth = Math.max(...evaluations.map((e) => e.name.length)) + 2;
    console.log(pad('series', keyWidth) + names.map((n) => n.padStart(width)).join(''));
    for (const e of evaluations) {
      console.log(
        pad(e.name, keyWidth) +
          names.map((n) => num(e.methods[n]?.mase ?? Number.NaN).padStart(width)).join(''),
      );
    }
    console.log('');
  }
  console.log(
    `MASE at horizon ${summary.horizon} vs naive last value, ${summary.series} series, ` +
      `${summary.points} scored forecasts per method`,
  );
  console.log(
    pad('method', width) +
      ['median MASE', 'mean MASE', 'MASE < 1', 'points/s'].map((h) => h.padStart(13)).join(''),
  );
  for (const name of names) {
    const m = summary.methods[name];
    if (!m) continue;
    console.log(
      pad(name, width) +
        [
          num(m.median),
          num(m.mean),
          `${(m.shareBelowOne * 100).toFixed(0)}%`,
          Math.round(m.pointsPerSecond).toString(),
        ]
          .map((c) => c.padStart(13))
          .join(''),
    );
  }
  const infinite = names.filter((n) => (summary.methods[n]?.infinite ?? 0) > 0);
  if (infinite.length > 0) {
    console.log(
      `MASE = ∞ (naive perfect over the scored rows, method not), left out of the means: ` +
        infinite.map((n) => `${n} ${summary.methods[n]?.infinite ?? 0}`).join(', '),
    );
  }
  console.log(`best (lowest median MASE): ${summary.best}`);
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      corpus: { type: 'string' },
      horizon: { type: 'string' },
      stride: { type: 'string' },
      warmup: { type: 'string' },
      'per-series': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const horizon = positiveNumber(values.horizon, 'horizon', 10, true);
  const stride = positiveNumber(values.stride, 'stride', 1, true);
  const warmup = values.warmup === undefined ? 0.15 : Number(values.warmup);
  if (!(warmup >= 0 && warmup < 1)) throw new Error('--warmup must be in [0, 1)');
  const corpusDir = resolve(values.corpus ?? DEFAULT_CORPUS);
  const corpus = await loadCorpus(corpusDir);
  if (corpus.length === 0) throw new Error(`no series under ${corpusDir}`);
  const started = performance.now();
  const result = runForecastBenchmark(corpus, { horizon, stride, warmup });
  const seconds = (performance.now() - started) / 1000;
  printTable(result, values['per-series']);
  console.log(`corpus ${corpusDir}, ${seconds.toFixed(2)} s`);
  console.log(JSON.stringify(result.report));
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      console.error('Run with --help for usage.');
      process.exitCode = 2;
    },
  );
}
