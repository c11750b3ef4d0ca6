import { describe, expect, it } from 'vitest';
import { hueFor, initials } from './avatar.ts';

describe('avatar', () => {
  it('takes the first letters of the first and last names', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('  grace  brewster murray hopper ')).toBe('GH');
    expect(initials('bob')).toBe('B');
    expect(initials('   ')).toBe('?');
    // A letter outside the BMP is one letter, not half a surrogate pair.
    expect(initials('𝒜da')).toBe('𝒜');
  });

  it('gives a name the same hue every time, within 0–359', () => {
    expect(hueFor('Ada')).toBe(hueFor('Ada'));
    for (const name of ['Ada', 'Grace', 'Katherine Johnson', '']) {
      expect(hueFor(name)).toBeGreaterThanOrEqual(0);
      expect(hueFor(name)).toBeLessThan(360);
    }
  });
});
