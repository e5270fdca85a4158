import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Recommendation } from '../domain/incident.js';
import { PlaceholderError } from '../domain/placeholder.js';
import {
  matchRunbooks,
  parseRunbook,
  planFromRunbook,
  RunbookError,
  type PlanDefaults,
  type Runbook,
} from '../domain/runbook.js';
import type { Logger } from '../lib/logger.js';

/** Reads every runbooks/*.yaml; a broken file is reported and skipped so the others still serve. */
export async function loadRunbooks(
  dir: string,
  logger?: Logger,
): Promise<{ runbooks: Runbook[]; problems: RunbookError[] }> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /\.ya?ml$/.test(n)).sort();
  const runbooks: Runbook[] = [];
  const problems: RunbookError[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      runbooks.push(parseRunbook(file, await readFile(file, 'utf8')));
    } catch (err) {
      if (!(err instanceof RunbookError)) throw err;
      problems.push(err);
      logger?.error(
        { event: 'runbook.invalid', file, problems: err.problems },
        `skipping invalid runbook ${file}`,
      );
    }
  }
  return { runbooks, problems };
}

export interface RecommendConfig extends PlanDefaults {
  runbooksDir: string;
}

export function createRecommendActivities(config: RecommendConfig, logger: Logger) {
  return {
    /** Picks the most specific matching runbook and fills its typed parameters from the alert's labels. */
    async recommendRunbook(facts: {
      alertName: string;
      labels: Record<string, string>;
    }): Promise<{ recommendation: Recommendation | null; message: string }> {
      const { runbooks } = await loadRunbooks(config.runbooksDir, logger);
      const [best] = matchRunbooks(runbooks, facts);
      if (!best) {
        return {
          recommendation: null,
          message: `no runbook matches ${facts.alertName}; waiting for a responder or for the alerts to resolve`,
        };
      }
      try {
        const recommendation = planFromRunbook(best, facts, config);
        return { recommendation, message: recommendation.explanation };
      } catch (err) {
        if (!(err instanceof PlaceholderError)) throw err;
        logger.warn(
          { event: 'runbook.unsafe-parameter', runbook: best.id, error: err.message },
          'refused runbook parameters',
        );
        return {
          recommendation: null,
          message: `runbook "${best.id}" matched but its parameters were refused, so nothing will run: ${err.message}`,
        };
      }
    },
  };
}
