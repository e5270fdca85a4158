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
