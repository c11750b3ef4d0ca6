import { describe, expect, it } from 'vitest';
import { validateName } from './names.ts';

describe('validateName', () => {
  it('accepts a name, trimmed', () => {
    expect(validateName('  Ada Lovelace ')).toBe(null);
    expect(validateName('x'.repeat(64))).toBe(null);
  });

  it('says what is wrong: empty, too long, control characters', () => {
    expect(validateName('   ')).toContain('Enter your name');
    expect(validateName('x'.repeat(65))).toContain('too long');
    expect(validateName('Ada\u0007')).toContain('cannot be shown');
  });
});
