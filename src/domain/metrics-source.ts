import type { Alert } from './alert.js';
import {
  exprFromGeneratorURL,
  looksBackNoFurther,
  onlyReshapes,
  readsOnlySeriesOf,
  RESHAPE_LIMITS,
} from './promql.js';

/**
 * The Prometheus servers Steadfast may ask: those configured (PROMETHEUS_URL first, then
 * STEADFAST_PROMETHEUS_URLS), never one that an alert names. Whoever can send an alert controls its
 * generatorURL, so a server that answered because an alert pointed at it could steer the trend, the
 * runbook choice and verification with any points it liked.
 */
export class PrometheusServers {
  readonly urls: readonly string[];

  constructor(urls: readonly (string | undefined)[]) {
    this.urls = [...new Set(urls.filter((u): u is string => originOf(u) !== undefined))];
  }

  /** The server asked when nothing narrows the choice: PROMETHEUS_URL, or the first of the list. */
  get default(): string | undefined {
    return this.urls[0];
  }

  /**
   * The configured server that `url` names by its origin (scheme, host and port), or undefined. When
   * several share that origin, the one whose path `url`'s path starts with, the longest first.
   */
  serverFor(url: string | undefined): string | undefined {
    const origin = originOf(url);
    if (!url || !origin) return undefined;
    const path = new URL(url).pathname;
    const same = this.urls.filter((u) => originOf(u) === origin);
    const byPrefix = same
      .filter((u) => path.startsWith(new URL(u).pathname.replace(/\/?$/, '/')))
      .sort((a, b) => b.length - a.length);
    return byPrefix[0] ?? same[0];
  }
}

/** The configured servers as settings give them (PROMETHEUS_URL first, then STEADFAST_PROMETHEUS_URLS). */
export function configuredPrometheus(s: {
  prometheusUrl?: string | undefined;
  prometheusUrls?: readonly string[] | undefined;
}): PrometheusServers {
  return new PrometheusServers([s.prometheusUrl, ...(s.prometheusUrls ?? [])]);
}

/** `scheme://host:port` of an http(s) URL, or undefined for anything else. */
export function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

export type AlertExpression =
  | {
      ok: true;
      /** The configured server to ask (never the alert's own URL). */
      prometheusUrl: string;
      expression: string;
      /**
       * The generatorURL's expression, which `expression` is or reads only the series of. The alert's
       * sender wrote it too: it is read only once the server confirms it is its rule's (src/activities/
       * triage.ts).
       */
      rule: string;
      /** What was not used, and why, for the detection's message. */
      note?: string;
    }
  | { ok: false; message: string };

const SETTINGS = 'PROMETHEUS_URL, STEADFAST_PROMETHEUS_URLS';

/**
 * The PromQL an alert's triage reads, and the configured server to ask it of.
 *
 * The expression is the alert rule's own, from a generatorURL whose origin is a configured server's:
 * that server evaluated the rule, and the expression is its text. From any other origin nothing is read
 * and nothing is asked of that host. Its text is the sender's too, so it is only a claim until that
 * server's rules API confirms it (`rule`, checked by the triage activity).
 *
 * The `query` annotation is untrusted: annotations are templated, often from label values that a
 * scraped target chooses, so it may carry any PromQL (`count({__name__=~".+"})`). It is read only when
 * it reads no series the rule's expression does not: each of its selectors has all the matchers of one
 * of the rule's selectors (it may add more, which narrows it). So it can reshape or narrow what the rule
 * already watches, never reach other metrics. Without a rule expression to compare with, it is ignored.
 */
export function alertExpression(alert: Alert | null, servers: PrometheusServers): AlertExpression {
  if (!servers.default) {
    return {
      ok: false,
      message: `no anomaly score: no Prometheus is configured (${SETTINGS}), and an alert never names one`,
    };
  }
  const generatorURL = alert?.generatorURL?.trim();
  const annotation = alert?.annotations['query']?.trim();
  if (!generatorURL) {
    return {
      ok: false,
      message:
        'no anomaly score: the alert carries no generatorURL, so there is no rule expression to read' +
        (annotation ? ' (its query annotation is read only beside one)' : ''),
    };
  }
  const origin = originOf(generatorURL);
  const server = servers.serverFor(generatorURL);
  if (!server) {
    return {
      ok: false,
      message: origin
        ? `no anomaly score: the alert's generatorURL points at ${origin}, which is not a configured Prometheus (${SETTINGS}); its expression was ignored and nothing was asked of that host`
        : "no anomaly score: the alert's generatorURL is not an http(s) URL; its expression was ignored",
    };
  }
  const rule = exprFromGeneratorURL(generatorURL);
  if (!rule) {
    return {
      ok: false,
      message: "no anomaly score: the alert's generatorURL carries no expression (g0.expr)",
    };
  }
  const ignored = annotation ? whyNotRead(annotation, rule) : undefined;
  if (annotation && !ignored) return { ok: true, prometheusUrl: server, expression: annotation, rule };
  return {
    ok: true,
    prometheusUrl: server,
    expression: rule,
    rule,
    ...(ignored ? { note: `the alert's query annotation was ignored: ${ignored}` } : {}),
  };
}

/** Why a query annotation is not read beside its rule's expression, or undefined when it is. */
function whyNotRead(annotation: string, rule: string): string | undefined {
  if (!readsOnlySeriesOf(annotation, rule)) return "it reads series that its rule's expression does not";
  if (annotation.trim() !== rule.trim() && !onlyReshapes(annotation)) {
    return 'it makes values of its own (arithmetic, a comparison, or a function beyond rates, windows and aggregations)';
  }
  if (!looksBackNoFurther(annotation, rule)) {
    return `it looks back further than its rule's expression or an hour, or asks a subquery for more than ${RESHAPE_LIMITS.maxSubqueryPoints.toLocaleString('en-US')} points`;
  }
  return undefined;
}
