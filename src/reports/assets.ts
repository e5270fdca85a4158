import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What a report inlines so that it needs nothing else: uPlot and the chart drawing shared with the console. */
export interface ReportAssets {
  uplotJs: string;
  uplotCss: string;
  chartJs: string;
}

const require = createRequire(import.meta.url);

/** uPlot's browser builds, served to the console and inlined in reports. */
export const UPLOT_FILES = {
  js: require.resolve('uplot/dist/uPlot.iife.min.js'),
  css: require.resolve('uplot/dist/uPlot.min.css'),
};

/** The console's static files (no build step: served as they are). */
export const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));

let loaded: Promise<ReportAssets> | undefined;

export function reportAssets(): Promise<ReportAssets> {
  loaded ??= (async () => {
    const [uplotJs, uplotCss, chartJs] = await Promise.all([
      readFile(UPLOT_FILES.js, 'utf8'),
      readFile(UPLOT_FILES.css, 'utf8'),
      readFile(`${CONSOLE_DIR}chart.js`, 'utf8'),
    ]);
    return { uplotJs, uplotCss, chartJs };
  })();
  // A failed read (a file missing) is not kept: the next report tries again.
  loaded.catch(() => (loaded = undefined));
  return loaded;
}
