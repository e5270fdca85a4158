import { z } from 'zod';

/**
 * A secret named, not written: an environment variable or a file of the process that uses it. Plans,
 * workflow history, API answers and reports carry only this name; the activity that needs the value
 * reads it at the moment of use (see resolve.ts). Pure: no Node imports, so workflow code may hold one.
 */
export type SecretSource = { env: string } | { file: string };

export interface SecretRef {
  secret: SecretSource;
}

/** An HTTP header's secret value, optionally after fixed text such as `Bearer `. */
export interface SecretHeaderRef extends SecretRef {
  prefix?: string;
}

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name such as CACHE_TOKEN');
const filePath = z
  .string()
  .max(1024)
  .refine((p) => p.startsWith('/') && !p.includes('\0') && !p.split('/').includes('..'), {
    message: 'an absolute file path without .. such as /run/secrets/cache-token',
  });

export const secretSourceSchema = z.union([
  z.object({ env: envName }).strict(),
  z.object({ file: filePath }).strict(),
]);

export const secretRefSchema = z.object({ secret: secretSourceSchema }).strict();

/**
 * Steadfast's own credentials: a runbook may send a secret to the host it names, so it may not name
 * these (an escalation URL or header would carry the API token or the codec keys elsewhere).
 */
export const OWN_CREDENTIALS: ReadonlySet<string> = new Set([
  'STEADFAST_API_TOKEN',
  'STEADFAST_CODEC_KEYS',
  'TEMPORAL_API_KEY',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SMTP_PASSWORD',
]);

const notOwnCredential = (ref: SecretRef): boolean =>
  !('env' in ref.secret && OWN_CREDENTIALS.has(ref.secret.env));
const ownCredentialMessage = {
  message: "a runbook cannot send Steadfast's own credentials; name a secret of the service it calls",
  path: ['secret', 'env'],
};

/** A secret as a runbook names it. */
export const runbookSecretRefSchema = secretRefSchema.refine(notOwnCredential, ownCredentialMessage);

// Header text may hold no control character but tab: a line break would split the request.
const isControl = (c: string): boolean => {
  const n = c.charCodeAt(0);
  return (n < 0x20 && c !== '\t') || n === 0x7f;
};
const headerText = z
  .string()
  .refine((s) => ![...s].some(isControl), { message: 'no control characters or line breaks' });

export const secretHeaderRefSchema = z
  .object({ secret: secretSourceSchema, prefix: headerText.max(64).optional() })
  .strict()
  .refine(notOwnCredential, ownCredentialMessage);

/** A header value as a runbook writes it: plain text, or a secret by reference. */
export const headerValueSchema = z.union([headerText.max(1024), secretHeaderRefSchema]);

/** Headers whose value is a credential by definition: their value must be a reference. */
export const CREDENTIAL_HEADER =
  /^(?:(?:proxy-)?authorization|cookie|(?:[a-z0-9-]*-)?(?:api-?key|token|secret|password|auth|signature))$/i;

// A value that looks like a credential whatever header carries it.
const CREDENTIAL_VALUE = /^(?:bearer|basic|token|digest|negotiate)\s+\S/i;

/** Why a plain header value may not be written in a runbook, or undefined when it may. */
export function plainHeaderProblem(name: string, value: string): string | undefined {
  if (CREDENTIAL_HEADER.test(name) || CREDENTIAL_VALUE.test(value)) {
    return (
      `${name} carries a credential, which would be kept in the plan, the workflow history and the API's ` +
      `answers: name a secret instead, e.g. ${name}: { prefix: 'Bearer ', secret: { env: CACHE_TOKEN } } ` +
      `or { secret: { file: /run/secrets/cache-token } }`
    );
  }
  return undefined;
}

export function isSecretRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null || !('secret' in value)) return false;
  const s: unknown = value.secret;
  return (
    typeof s === 'object' &&
    s !== null &&
    (('env' in s && typeof s.env === 'string') || ('file' in s && typeof s.file === 'string'))
  );
}

/** How a reference is named in errors, logs and labels: `env:NAME` or `file:/path`. Never the value. */
export function describeSecret(ref: SecretRef): string {
  return 'env' in ref.secret ? `env:${ref.secret.env}` : `file:${ref.secret.file}`;
}

/** A reference to an environment variable. */
export const envSecret = (name: string): SecretRef => ({ secret: { env: name } });
