import { createHash } from 'node:crypto';

/** Where the report's own scripts begin: everything from the incident is in <main>, before it. */
export const SCRIPTS_AFTER = '</main>';

const hashOf = (script: string): string =>
  `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`;

/**
 * The report runs its own inline scripts (uPlot and the chart) and nothing else: each is allowed by its
 * hash. `where` says how it is delivered: a <meta> element cannot sandbox (browsers ignore the directive
 * there, with a warning), the HTTP header can, and then gives the page an origin of its own, so even a
 * report opened from the API's origin could never read the console's token.
 */
export function reportPolicy(scripts: readonly string[], where: 'header' | 'meta'): string {
  return [
    "default-src 'none'",
    `script-src ${scripts.map(hashOf).join(' ') || "'none'"}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    ...(where === 'header' ? ['sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox'] : []),
  ].join('; ');
}

/**
 * The scripts a rendered report runs, read from its HTML after its last </main>: a report saved at close
 * by an earlier version carries its own uPlot, so the scripts are read, not assumed; and only where the
 * renderer writes them, so a `<script>` that an escaping fault let into the incident's text is not allowed.
 */
export function reportScripts(html: string): string[] {
  const at = html.lastIndexOf(SCRIPTS_AFTER);
  const tail = at < 0 ? '' : html.slice(at);
  return [...tail.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
}
