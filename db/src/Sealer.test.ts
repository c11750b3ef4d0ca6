import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isDbError } from './errors.ts';
import { SEALED_OVERHEAD_BYTES, Sealer } from './Sealer.ts';

const key1 = { keyId: 'aaaaaaaa', dataKey: crypto.randomBytes(32) };
const key2 = { keyId: 'bbbbbbbb', dataKey: crypto.randomBytes(32) };
const aad = { table: 'meetings', column: 'config', rowId: 'm1' };

function expectInvalid(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(isDbError(error, 'SEALED_VALUE_INVALID')).toBe(true);
    return;
  }
  throw new Error('expected SEALED_VALUE_INVALID');
}

describe('Sealer', () => {
  it('round-trips text and bytes, with a fixed overhead and a fresh nonce each time', () => {
    const sealer = new Sealer([key1], key1.keyId);
    const a = sealer.seal('张三丰测试 +8613800138000', aad);
    const b = sealer.seal('张三丰测试 +8613800138000', aad);
    expect(sealer.openText(a, aad)).toBe('张三丰测试 +8613800138000');
    expect(a.equals(b)).toBe(false);
    expect(a.length).toBe(Buffer.byteLength('张三丰测试 +8613800138000') + SEALED_OVERHEAD_BYTES);
    const raw = crypto.randomBytes(1000);
    expect(sealer.open(sealer.seal(raw, aad), aad).equals(raw)).toBe(true);
    expect(sealer.openJson(sealer.sealJson({ a: [1, 'x'] }, aad), aad)).toEqual({ a: [1, 'x'] });
  });

  it('writes version 1 and the key id into the value', () => {
    const sealer = new Sealer([key1], key1.keyId);
    const value = sealer.seal('x', aad);
    expect(value[0]).toBe(1);
    expect(value.subarray(1, 5).toString('hex')).toBe(key1.keyId);
    expect(sealer.keyIdOf(value)).toBe(key1.keyId);
  });

  it('does not open a value moved to another row, column or table', () => {
    const sealer = new Sealer([key1], key1.keyId);
    const value = sealer.seal('secret', aad);
    expectInvalid(() => sealer.open(value, { ...aad, rowId: 'm2' }));
    expectInvalid(() => sealer.open(value, { ...aad, column: 'other' }));
    expectInvalid(() => sealer.open(value, { ...aad, table: 'boards' }));
  });

  it('does not open an altered value, nor one relabelled to another key', () => {
    const sealer = new Sealer([key1, key2], key1.keyId);
    const value = sealer.seal('secret', aad);
    for (const at of [0, 3, 10, value.length - 20, value.length - 1]) {
      const altered = Buffer.from(value);
      altered[at] ^= 1;
      expectInvalid(() => sealer.open(altered, aad));
    }
    const relabelled = Buffer.from(value);
    Buffer.from(key2.keyId, 'hex').copy(relabelled, 1);
    expectInvalid(() => sealer.open(relabelled, aad));
    expectInvalid(() => sealer.open(value.subarray(0, 20), aad));
  });

  it('opens values under any held key and seals under the active one', () => {
    const sealer = new Sealer([key1, key2], key1.keyId);
    const old = sealer.seal('old', aad);
    sealer.activate(key2.keyId);
    const fresh = sealer.seal('new', aad);
    expect(sealer.keyIdOf(fresh)).toBe(key2.keyId);
    expect(sealer.openText(old, aad)).toBe('old');
    sealer.removeKey(key1.keyId);
    expectInvalid(() => sealer.open(old, aad));
    expect(() => sealer.removeKey(key2.keyId)).toThrow(/active/);
  });

  it('gives deterministic blind indexes, separate per kind and per key, without the plaintext', () => {
    const sealer = new Sealer([key1, key2], key1.keyId);
    const phone = '+8613800138000';
    const index = sealer.blindIndex('login-phone', phone);
    expect(index).toBe(sealer.blindIndex('login-phone', phone));
    expect(index).not.toBe(sealer.blindIndex('invitee-phone', phone));
    expect(index).not.toBe(sealer.blindIndex('login-phone', '+8613800138001'));
    expect(index).not.toContain('8613800138000');
    expect(index).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const other = new Sealer([key2], key2.keyId);
    expect(other.blindIndex('login-phone', phone)).not.toBe(index);
    expect(sealer.blindIndexCandidates('login-phone', phone)).toEqual([index, other.blindIndex('login-phone', phone)]);
  });
});
