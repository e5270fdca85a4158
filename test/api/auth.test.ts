import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenStore } from '../../src/api/auth.js';

const store = (token: string) => TokenStore.load({ token, identity: 'operator' });

describe('TokenStore.derivedKey', () => {
  it('when two API processes have the same tokens, then they derive the same key, so one opens what the other sealed', async () => {
    const a = (await store('token-one-0123456789abcdef')).derivedKey('cursor');
    const b = (await store('token-one-0123456789abcdef')).derivedKey('cursor');
    expect(a.equals(b)).toBe(true);
    expect(a).toHaveLength(32);
  });

  it('when the tokens or the purpose differ, then so does the key', async () => {
    const one = await store('token-one-0123456789abcdef');
    const two = await store('token-two-0123456789abcdef');
    expect(one.derivedKey('cursor').equals(two.derivedKey('cursor'))).toBe(false);
    expect(one.derivedKey('cursor').equals(one.derivedKey('other'))).toBe(false);
  });
});

describe('TokenStore.load', () => {
  const withFile = (tokens: string[]): string => {
    const file = join(mkdtempSync(join(tmpdir(), 'steadfast-tokens-')), 'tokens.yaml');
    writeFileSync(file, ['tokens:', ...tokens].join('\n'));
    return file;
  };

  it('when one identity is another followed by "/", then the tokens are refused: their alert keys could be taken for each other', async () => {
    const tokensFile = withFile([
      '  - { identity: team, roles: [ingest], token: team-token-0123456789abcdef }',
      '  - { identity: team/alerts, roles: [ingest], token: other-token-0123456789abcdef }',
    ]);
    await expect(TokenStore.load({ identity: 'operator', tokensFile })).rejects.toThrow(
      /"team" and "team\/alerts"/,
    );
  });

  it('when identities only share a "/" inside, then they load', async () => {
    const tokensFile = withFile([
      '  - { identity: team/a, roles: [ingest], token: team-token-0123456789abcdef }',
      '  - { identity: team/b, roles: [ingest], token: other-token-0123456789abcdef }',
    ]);
    await expect(TokenStore.load({ identity: 'operator', tokensFile })).resolves.toBeInstanceOf(TokenStore);
  });
});
