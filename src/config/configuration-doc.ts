import { z } from 'zod';
import { envSections } from './env.js';

export const CONFIGURATION_DOC = 'docs/configuration.md';
export const CONFIGURATION_DOC_COMMAND = 'npm run docs:config';

interface Row {
  name: string;
  default: string;
  description: string;
}

/** What a variable's schema says about itself, read as JSON Schema of the input it accepts. */
function rowOf(name: string, schema: z.ZodType): Row {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  if (!json.description) throw new Error(`${name} has no description in src/config/env.ts`);
  // Defaults are written as configuration is: text, or a number where the schema coerces one.
  const fallback =
    typeof json.default === 'string' || typeof json.default === 'number' ? `${json.default}` : '';
  return { name, default: fallback, description: json.description };
}

// Markdown table cells: a pipe would end the cell, even inside a code span.
const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** A table laid out as prettier lays it out, so the generated file passes `prettier --check`. */
function table(rows: Row[]): string {
  const cells = [
    ['variable', 'default', 'description'],
    ...rows.map((r) => [`\`${r.name}\``, r.default ? cell(`\`${r.default}\``) : '—', cell(r.description)]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(3, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string => `| ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const [header = [], ...body] = cells;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** docs/configuration.md: every environment variable, its default and its meaning, from the schema. */
export function configurationDocText(): string {
  const parts = [
    '# Configuration',
    `<!-- Generated from src/config/env.ts by \`${CONFIGURATION_DOC_COMMAND}\`: edit the schema, not this file. -->`,
    'Steadfast reads these environment variables once, at start, and refuses to start when one is invalid, ' +
      'naming each bad variable. An empty value counts as unset unless a default says otherwise.',
  ];
  for (const section of envSections) {
    const rows = Object.entries(section.fields).map(([name, schema]) => rowOf(name, schema as z.ZodType));
    parts.push(`## ${section.title}`, table(rows));
  }
  return `${parts.join('\n\n')}\n`;
}
