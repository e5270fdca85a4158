import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONFIGURATION_DOC,
  CONFIGURATION_DOC_COMMAND,
  configurationDocText,
} from '../../src/config/configuration-doc.js';
import { envShape } from '../../src/config/env.js';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('docs/configuration.md', () => {
  it(`is what the schema generates (run ${CONFIGURATION_DOC_COMMAND} after changing src/config/env.ts)`, () => {
    const checkedIn = readFileSync(join(root, CONFIGURATION_DOC), 'utf8');
    expect(
      checkedIn === configurationDocText(),
      `${CONFIGURATION_DOC} is out of date with src/config/env.ts: run ${CONFIGURATION_DOC_COMMAND} and commit it`,
    ).toBe(true);
  });

  it('documents every variable of the schema, each with a description', () => {
    const doc = configurationDocText();
    for (const [name, schema] of Object.entries(envShape)) {
      expect(schema.description, `${name} needs .describe() in src/config/env.ts`).toBeTruthy();
      expect(doc).toContain(`| \`${name}\``);
    }
  });

  it('shows the defaults the product applies', () => {
    const doc = configurationDocText();
    expect(doc).toMatch(/\| `STEADFAST_API_PORT` +\| `8080` +\|/);
    expect(doc).toMatch(/\| `STEADFAST_GUARD_COOLDOWN` +\| `5m` +\|/);
    expect(doc).toMatch(/\| `STEADFAST_DRY_RUN` +\| `false` +\|/);
    expect(doc).toMatch(/\| `TEMPORAL_UI_URL` +\| `http:\/\/127\.0\.0\.1:8233` +\|/);
    expect(doc).toMatch(/\| `KUBECONFIG` +\| — +\|/);
  });

  it('leaves no variable named in src/ out of the schema, so none escapes the documentation', () => {
    // As a string ('STEADFAST_X', as envSecret and process.env['…'] take it) or as env.STEADFAST_X.
    const named = /(?:['"`]|\benv\.)((?:STEADFAST|SLACK|TEMPORAL|PROMETHEUS|SMTP|OTEL)_[A-Z0-9_]+)\b/g;
    const outside: string[] = [];
    for (const file of sourceFiles(join(root, 'src'))) {
      for (const [, name = ''] of readFileSync(file, 'utf8').matchAll(named)) {
        if (!(name in envShape)) outside.push(`${relative(root, file)}: ${name}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
