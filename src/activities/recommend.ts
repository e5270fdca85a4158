import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Recommendation } from '../domain/incident.js';
import { PlaceholderError } from '../domain/placeholder.js';
import {
  matchRunbooks,
  parseRunbook,
  planFromRunbook,
  RunbookError,
  BlastRadiusError,
  type IncidentFacts,
  type PlanDefaults,
  type Runbook,
} from '../domain/runbook.js';
import { explainRanking, rankByOutcomes } from '../domain/ranking.js';
import type { Logger } from '../lib/logger.js';
import type { TargetResolver } from '../remediation/resolve.js';
import { NO_HISTORY, type OutcomeHistory } from './outcomes.js';
import { activityInfo } from '@temporalio/activity';
import { formatDuration } from '../domain/duration.js';
import { mergeRuleLevels } from '../rules/escalation.js';
import { matchingLevels, type RuleDefinition, type RuleLevel } from '../rules/rule.js';
import { messageOf } from '../lib/message-of.js';

/** The escalation rules of a task queue (the rules workflow's); it throws when they cannot be read. */
export type RulesReader = (taskQueue: string) => Promise<readonly RuleDefinition[]>;

/** The rules that apply to an incident, or why they could not be read. */
export type RuleMatch =
  { levels: RuleLevel[]; unavailable?: undefined } | { levels: []; unavailable: string };

/** What a rule's condition sees: the alert's labels, with the incident's alert name and service if absent. */
function ruleLabels(facts: IncidentFacts & { service?: string }): Record<string, string> {
  const labels: Record<string, string> = { ...facts.labels };
  if (!Object.hasOwn(labels, 'alertname') && facts.alertName) labels['alertname'] = facts.alertName;
  if (!Object.hasOwn(labels, 'service') && facts.service) labels['service'] = facts.service;
  return labels;
}

function taskQueueHere(): string | undefined {
  try {
    return activityInfo().taskQueue;
  } catch {
    return undefined; // called outside an activity (a plain test)
  }
}

/** How the plan's message mentions the rules: matched ones by name and delay, or that none could be read. */
function rulesNote(match: RuleMatch): string {
  if (match.unavailable !== undefined)
    return ` Escalation rules were unavailable (${match.unavailable}); the runbook's own escalation applies.`;
  if (match.levels.length === 0) return '';
  const named = match.levels.map((l) => `"${l.rule}" after ${formatDuration(l.delayMs)}`);
  return ` Escalation rules add: ${named.join(', ')}.`;
}

/** A runbook as last parsed, with the file's identity then: triage reads the folder for every incident. */
const parsed = new Map<string, { version: string; runbook: Runbook }>();

/** Parses a runbook file, or answers its last parse when the file is unchanged since (same inode, size, times). */
async function readRunbook(file: string): Promise<Runbook> {
  const s = await stat(file);
  const version = `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  const known = parsed.get(file);
  if (known?.version === version) return known.runbook;
  const runbook = parseRunbook(file, await readFile(file, 'utf8'));
  parsed.set(file, { version, runbook });
  return runbook;
}

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
      runbooks.push(await readRunbook(file));
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

/** Each matching runbook's past outcomes; one that cannot be read ranks as untried (and is logged). */
async function pastRecords(
  history: OutcomeHistory,
  logger: Logger,
  matches: Runbook[],
  alertName: string,
  service: string,
) {
  return new Map(
    await Promise.all(
      matches.map(async (r) => {
        const record = await history.record(r.id, alertName, service).catch((err: unknown) => {
          logger.warn(
            { event: 'outcomes.unavailable', runbook: r.id, err },
            'past outcomes unavailable; ranking without them',
          );
          return { successes: 0, failures: 0, scope: 'alert' as const };
        });
        return [r.id, record] as const;
      }),
    ),
  );
}

/** Never throws: unreadable rules leave the escalation as the runbook has it, and say so. */
function rulesMatcher(
  logger: Logger,
  rules: RulesReader | undefined,
): (facts: IncidentFacts & { service?: string }) => Promise<RuleMatch> {
  return async (facts) => {
    const taskQueue = taskQueueHere();
    if (!rules || !taskQueue) return { levels: [] };
    try {
      return { levels: matchingLevels(await rules(taskQueue), ruleLabels(facts)) };
    } catch (err) {
      const why = messageOf(err);
      logger.warn(
        { event: 'rules.unavailable', err },
        'escalation rules unavailable; escalating without them',
      );
      return { levels: [], unavailable: why.slice(0, 200) };
    }
  };
}

/** The answer when a matched runbook's parameters or targets are refused: nothing runs, and it says why. */
function refusal(logger: Logger, runbook: Runbook, what: 'parameters' | 'targets', why: string) {
  logger.warn(
    {
      event: what === 'parameters' ? 'runbook.unsafe-parameter' : 'runbook.out-of-scope',
      runbook: runbook.id,
      error: why,
    },
    `refused a runbook's ${what}`,
  );
  return {
    recommendation: null,
    refused: true,
    message: `runbook "${runbook.id}" matched but its ${what} were refused, so nothing will run: ${why}`,
  };
}

export function createRecommendActivities(
  config: RecommendConfig,
  logger: Logger,
  resolveTargets: TargetResolver,
  history: OutcomeHistory = NO_HISTORY,
  rules?: RulesReader,
) {
  const matchRules = rulesMatcher(logger, rules);

  return {
    /**
     * Picks among the matching runbooks by how well each worked on similar incidents before (see
     * rankByOutcomes), fills the pick's typed parameters from the alert's labels, and says why.
     */
    async recommendRunbook(
      facts: IncidentFacts & { service?: string },
    ): Promise<{ recommendation: Recommendation | null; message: string; refused?: boolean }> {
      const { runbooks } = await loadRunbooks(config.runbooksDir, logger);
      const matches = matchRunbooks(runbooks, facts);
      const service = facts.service ?? facts.labels['service'] ?? facts.labels['job'] ?? '';
      const records = await pastRecords(history, logger, matches, facts.alertName, service);
      const ranked = rankByOutcomes(
        matches.map((r) => r.id),
        records,
      );
      const best = matches.find((r) => r.id === ranked[0]?.runbookId);
      if (!best) {
        return {
          recommendation: null,
          message: `no runbook matches ${facts.alertName}; waiting for a responder or for the alerts to resolve`,
        };
      }
      let planned: Recommendation;
      try {
        planned = planFromRunbook(best, facts, config);
      } catch (err) {
        if (!(err instanceof PlaceholderError || err instanceof BlastRadiusError)) throw err;
        return refusal(logger, best, 'parameters', err.message);
      }
      // The labels chose the targets; what they resolve to decides whether the plan may be offered.
      const resolved = await resolveTargets(planned.steps, best.scope);
      if (!resolved.ok) return refusal(logger, best, 'targets', resolved.reason);
      // Rules add to every plan's chain: one approved at once follows it after a guard's refusal.
      const ruled = await matchRules(facts);
      const recommendation: Recommendation = {
        ...planned,
        steps: resolved.steps,
        targets: resolved.targets,
        escalation: mergeRuleLevels(planned.escalation, ruled.levels),
        explanation:
          `${planned.explanation}${resolved.targets.length > 0 ? ` Targets: ${resolved.targets.join('; ')}.` : ''} ` +
          explainRanking(ranked, facts.alertName, service),
      };
      return { recommendation, message: `${recommendation.explanation}${rulesNote(ruled)}` };
    },

    /**
     * The escalation rules whose conditions an incident without a plan satisfies (the incident workflow
     * asks once, when it starts waiting for people). Unreadable rules are an answer too, never a failure.
     */
    async matchEscalationRules(facts: IncidentFacts & { service?: string }): Promise<RuleMatch> {
      return matchRules(facts);
    },
  };
}
