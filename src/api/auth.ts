import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { NextFunction, Request, Response } from 'express';
import { parse } from 'yaml';
import { z } from 'zod';
import { HttpError } from './errors.js';

export const ROLES = ['ingest', 'read', 'approve'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  identity: string;
  roles: Role[];
}

interface TokenEntry extends Principal {
  digest: Buffer;
}

const tokensFileSchema = z.object({
  tokens: z
    .array(
      z
        .object({
          identity: z.string().min(1).max(200),
          roles: z.array(z.enum(ROLES)).min(1),
          token: z.string().min(16, 'tokens must be at least 16 characters').optional(),
          sha256: z
            .string()
            .regex(/^[a-f0-9]{64}$/, 'a hex SHA-256 digest')
            .optional(),
        })
        .strict()
        .refine((t) => (t.token === undefined) !== (t.sha256 === undefined), {
          message: 'give exactly one of token or sha256',
        }),
    )
    .min(1),
});

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * An alert's dedupeKey is `<sender>/<fingerprint>@<startsAt>` (src/domain/dedupe-key.ts), so identities
 * `a` and `a/b` would let one sender's alert spell the other's key, and resolve its incident.
 */
function refuseNestedIdentities(identities: string[]): void {
  const known = new Set(identities);
  for (const identity of identities) {
    for (let at = identity.indexOf('/'); at >= 0; at = identity.indexOf('/', at + 1)) {
      const outer = identity.slice(0, at);
      if (known.has(outer)) {
        throw new Error(
          `token identities "${outer}" and "${identity}": one is the other followed by "/", so their alerts could be taken for each other's; rename one`,
        );
      }
    }
  }
}

/** Bearer tokens, each with an identity and roles. Tokens are kept and compared only as digests. */
export class TokenStore {
  private constructor(private readonly entries: TokenEntry[]) {}

  static async load(options: { token?: string; identity: string; tokensFile?: string }): Promise<TokenStore> {
    const entries: TokenEntry[] = [];
    if (options.token)
      entries.push({ identity: options.identity, roles: [...ROLES], digest: digest(options.token) });
    if (options.tokensFile) {
      const parsed = tokensFileSchema.safeParse(parse(await readFile(options.tokensFile, 'utf8')));
      if (!parsed.success) {
        throw new Error(
          `${options.tokensFile}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      }
      for (const t of parsed.data.tokens) {
        entries.push({
          identity: t.identity,
          roles: t.roles,
          digest: t.token ? digest(t.token) : Buffer.from(t.sha256 ?? '', 'hex'),
        });
      }
    }
    if (entries.length === 0) {
      throw new Error('no API token is configured: set STEADFAST_API_TOKEN or STEADFAST_TOKENS_FILE');
    }
    refuseNestedIdentities(entries.map((e) => e.identity));
    return new TokenStore(entries);
  }

  /**
   * A key for `purpose` that every API process with these tokens derives alike (so a cursor one replica
   * seals, another opens), and that nobody without the tokens' digests can: they are secret as the tokens
   * are. A change of tokens changes it.
   */
  derivedKey(purpose: string): Buffer {
    const material = this.entries.map((e) => e.digest.toString('hex')).sort();
    return createHmac('sha256', Buffer.from(material.join(':')))
      .update(purpose)
      .digest();
  }

  /** Finds the token's principal; every stored digest is compared, in constant time each. */
  authenticate(token: string): Principal | undefined {
    const presented = digest(token);
    let found: TokenEntry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, entry.digest) && !found) found = entry;
    }
    return found ? { identity: found.identity, roles: found.roles } : undefined;
  }
}

declare module 'express-serve-static-core' {
  interface Locals {
    principal?: Principal;
  }
}

function bearerToken(req: Request): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
}

/**
 * The request's principal when it presents a valid token holding the role, else undefined: for
 * endpoints that answer everyone but tell more to those who may read it.
 */
export function principalWithRole(store: TokenStore, req: Request, role: Role): Principal | undefined {
  const token = bearerToken(req);
  const principal = token ? store.authenticate(token) : undefined;
  return principal?.roles.includes(role) ? principal : undefined;
}

/** Requires a bearer token with the given role; the principal is kept in res.locals. */
export function requireRole(store: TokenStore, role: Role) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = bearerToken(req);
    if (!token) {
      res.set('WWW-Authenticate', 'Bearer realm="steadfast"');
      throw new HttpError(401, 'Unauthenticated', 'send Authorization: Bearer <token>');
    }
    const principal = store.authenticate(token);
    if (!principal) {
      res.set('WWW-Authenticate', 'Bearer realm="steadfast", error="invalid_token"');
      throw new HttpError(401, 'Unauthenticated', 'the token is not valid');
    }
    if (!principal.roles.includes(role)) {
      throw new HttpError(403, 'Forbidden', `${principal.identity} lacks the ${role} role`);
    }
    res.locals.principal = principal;
    next();
  };
}

export function principalOf(res: Response): Principal {
  const p = res.locals.principal;
  if (!p) throw new HttpError(401, 'Unauthenticated', 'no authenticated principal');
  return p;
}
