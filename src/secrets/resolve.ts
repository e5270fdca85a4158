import { open } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { describeSecret, isSecretRef, type SecretRef } from './reference.js';

/** The failure type of a secret that is not there: not retried, the configuration must change. */
export const SECRET_UNAVAILABLE = 'SecretUnavailable';

/** A file holding a secret is small; anything larger is not the file the runbook meant. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** A secret that cannot be read. The message names the reference, never a value. */
export class SecretUnavailableError extends Error {
  constructor(
    readonly ref: SecretRef,
    problem: string,
  ) {
    super(`secret ${describeSecret(ref)} ${problem}`);
    this.name = 'SecretUnavailableError';
  }

  /** The activity failure: non-retryable, naming the reference. */
  toFailure(): ApplicationFailure {
    return ApplicationFailure.create({ type: SECRET_UNAVAILABLE, message: this.message, nonRetryable: true });
  }
}

/** Where secrets are read from: the process's environment, unless a test gives another. */
export interface SecretSources {
  env?: Record<string, string | undefined>;
}

async function readSecretFile(ref: SecretRef, path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'an error';
    throw new SecretUnavailableError(
      ref,
      code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code})`,
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new SecretUnavailableError(ref, 'is not a regular file');
    if (info.size > MAX_SECRET_FILE_BYTES) {
      throw new SecretUnavailableError(ref, `is larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    }
    const buffer = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_SECRET_FILE_BYTES) {
      throw new SecretUnavailableError(ref, `is larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    }
    // Files written by editors, `echo` and secret stores end with a newline that is not the secret's.
    return buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  } catch (err) {
    if (err instanceof SecretUnavailableError) throw err;
    throw new SecretUnavailableError(
      ref,
      `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  } finally {
    await handle.close();
  }
}

/** The value a reference names, read now. Throws a SecretUnavailableError when it is missing or empty. */
export async function resolveSecret(ref: SecretRef, sources: SecretSources = {}): Promise<string> {
  const value =
    'env' in ref.secret
      ? (sources.env ?? process.env)[ref.secret.env]
      : await readSecretFile(ref, ref.secret.file);
  if (value === undefined) throw new SecretUnavailableError(ref, 'is not set');
  if (value === '') throw new SecretUnavailableError(ref, 'is empty');
  return value;
}

/**
 * A URL given as text (plans made before references, tests) or by reference. A referenced one must be
 * an http(s) URL without credentials; the error says so without quoting it.
 */
export async function resolveUrl(value: string | SecretRef, sources: SecretSources = {}): Promise<string> {
  if (!isSecretRef(value)) return value;
  const text = (await resolveSecret(value, sources)).trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SecretUnavailableError(value, 'does not hold a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SecretUnavailableError(value, `holds a ${url.protocol} URL, not an http(s) one`);
  }
  return text;
}
