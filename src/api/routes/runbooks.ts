import { basename } from 'node:path';
import express, { Router } from 'express';
import type { z } from 'zod';
import { loadRunbooks } from '../../activities/recommend.js';
import type { EscalationTarget } from '../../domain/incident.js';
import { parseRunbook, RunbookError, runbookWarnings, type Runbook } from '../../domain/runbook.js';
import { REDACTED } from '../../secrets/plan.js';
import { isSecretRef } from '../../secrets/reference.js';
import { requireRole, type TokenStore } from '../auth.js';
import { HttpError } from '../errors.js';
import type {
  runbookListResponseSchema,
  runbookProblemSchema,
  runbookValidationSchema,
  runbookViewSchema,
} from '../schemas/runbooks.js';
import { messageOf } from '../../lib/message-of.js';

/** A draft runbook's largest size: the shipped ones are 1–2 KiB. */
export const RUNBOOK_DRAFT_MAX_BYTES = 256 * 1024;
/** The name problems of a draft carry, as a file's would carry the file's. */
const DRAFT = 'draft.yaml';

export interface RunbookRoutesDeps {
  tokens: TokenStore;
  runbooksDir: string;
  /** STEADFAST_APPROVERS: a medium or high-risk runbook nobody may approve is warned about. */
  approvers: readonly string[];
  /** The configured Prometheus servers, for the warnings. */
  prometheus: readonly string[];
}

type RunbookView = z.input<typeof runbookViewSchema>;
type Problem = z.input<typeof runbookProblemSchema>;

/** A webhook URL is its own secret: written as text (not by reference), only its origin is shown. */
function target(t: EscalationTarget): EscalationTarget {
  if (!('url' in t) || isSecretRef(t.url)) return t;
  let origin = '';
  try {
    origin = `${new URL(t.url).origin}/`;
  } catch {
    // not a URL: nothing of it is shown
  }
  return { ...t, url: `${origin}${REDACTED}` };
}

/**
 * The runbook as the API shows it. Credential headers can only be written as references (the schema
 * refuses them as text), so the escalation's webhook URLs are the one secret a runbook may hold as text.
 */
function view(runbook: Runbook): RunbookView {
  const { id, file, ...definition } = runbook;
  const escalation = definition.approval.escalation.map((level) => ({
    ...level,
    notify: level.notify.map(target),
  }));
  return {
    id,
    file: basename(file),
    definition: { ...definition, approval: { ...definition.approval, escalation } },
  };
}

const problemsOf = (err: RunbookError): Problem[] =>
  err.problems.map((p) => ({ ...p, file: basename(p.file) }));

/**
 * The runbooks the product matches incidents against, read-only: the list (as loaded now from
 * STEADFAST_RUNBOOKS_DIR), and a check of a draft that reports what `npm run runbooks:check` would.
 */
export function runbookRoutes(deps: RunbookRoutesDeps): Router {
  const router = Router();
  const text = express.text({ type: () => true, limit: RUNBOOK_DRAFT_MAX_BYTES });

  router.get('/runbooks', requireRole(deps.tokens, 'read'), async (_req, res) => {
    const { runbooks, problems } = await loadRunbooks(deps.runbooksDir);
    const body: z.input<typeof runbookListResponseSchema> = {
      runbooks: runbooks.map(view),
      invalid: problems.flatMap(problemsOf),
    };
    res.json(body);
  });

  router.post('/runbooks/validate', requireRole(deps.tokens, 'read'), text, (req, res) => {
    const draft: unknown = req.body;
    if (typeof draft !== 'string' || draft.trim() === '') {
      throw new HttpError(400, 'EmptyDraft', 'send the runbook as YAML text in the body');
    }
    let body: z.input<typeof runbookValidationSchema>;
    try {
      const runbook = parseRunbook(DRAFT, draft);
      const warnings = runbookWarnings(runbook, deps).map((w) => w.message);
      body = {
        valid: true,
        runbook: view(runbook),
        problems: [],
        warnings,
      };
    } catch (err) {
      // Whatever stops the parse is the draft's problem (the YAML library's limits, such as aliases, too).
      const problems =
        err instanceof RunbookError
          ? problemsOf(err)
          : [
              {
                file: DRAFT,
                line: 1,
                field: '(yaml)',
                message: messageOf(err),
              },
            ];
      body = { valid: false, problems, warnings: [] };
    }
    // Nothing is stored either way; 422 lets `curl --fail` in a CI job stop on a bad draft.
    res.status(body.valid ? 200 : 422).json(body);
  });
  return router;
}
