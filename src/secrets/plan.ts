import type { ActionStep } from '../actions/steps.js';
import type { EscalationTarget, IncidentState, Recommendation } from '../domain/incident.js';
import { isSecretRef, plainHeaderProblem } from './reference.js';

/**
 * Plans made before secrets were named by reference hold them as text: credential headers and
 * webhook URLs whose path is their secret. Their incidents still run from history as they are; what
 * the API shows of them is this copy, with those values cut. Plans with references pass unchanged.
 */

export const REDACTED = '[redacted]';

function originOf(url: string): string {
  try {
    return `${new URL(url).origin}/${REDACTED}`;
  } catch {
    return REDACTED;
  }
}

function step(s: ActionStep): ActionStep {
  if (s.action !== 'http.call') return s;
  const headers = Object.fromEntries(
    Object.entries(s.headers).map(([name, value]) => [
      name,
      isSecretRef(value) || plainHeaderProblem(name, value) === undefined ? value : REDACTED,
    ]),
  );
  return { ...s, headers };
}

function target(t: EscalationTarget): EscalationTarget {
  if (t.type !== 'webhook' && t.type !== 'teams' && t.type !== 'discord') return t;
  return isSecretRef(t.url) ? t : { ...t, url: originOf(t.url) };
}

export function planWithoutSecrets(plan: Recommendation): Recommendation {
  return {
    ...plan,
    steps: plan.steps.map(step),
    escalation: {
      ...plan.escalation,
      levels: plan.escalation.levels.map((l) => ({ ...l, notify: l.notify.map(target) })),
    },
  };
}

/** The incident as the API shows it: any secret an old plan holds as text is cut. */
export function stateWithoutSecrets(state: IncidentState): IncidentState {
  return state.recommendation
    ? { ...state, recommendation: planWithoutSecrets(state.recommendation) }
    : state;
}
