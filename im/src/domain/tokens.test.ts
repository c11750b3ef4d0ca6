import { describe, expect, it } from 'vitest';
import { tokenize } from './tokens.ts';

/** Whether every token of the query is among the text's (the search's AND). */
const matches = (text: string, query: string) => {
  const tokens = new Set(tokenize(text));
  const wanted = tokenize(query);
  return wanted.length > 0 && wanted.every((t) => tokens.has(t));
};

describe('tokenize (message search)', () => {
  it('cuts Chinese into words, so a 2-character word such as 会议 is a token', () => {
    expect(tokenize('明天的会议改到三点')).toEqual(['明天', '的', '会议', '改', '到', '三点']);
    expect(matches('明天的会议改到三点', '会议')).toBe(true);
    expect(matches('明天的会议改到三点', '三点')).toBe(true);
    expect(matches('明天的会议改到三点', '明天 会议')).toBe(true);
    expect(matches('明天的会议改到三点', '会议室')).toBe(false);
    expect(matches('明天的会议改到三点', '后天')).toBe(false);
  });

  it('gives the sub-words of long words (search mode)', () => {
    const tokens = tokenize('中华人民共和国');
    expect(tokens).toEqual(expect.arrayContaining(['中华', '人民', '共和国', '中华人民共和国']));
    expect(matches('李小龙在会议室', '会议')).toBe(true);
    expect(matches('李小龙在会议室', '小龙')).toBe(true);
  });

  it('cuts an unknown name the same way alone and in a sentence (no HMM guessing)', () => {
    expect(matches('张三说明天开会', '张三')).toBe(true);
    expect(matches('我们开会吧', '开会')).toBe(true);
  });

  it('matches English case-insensitively, by whole words, without punctuation', () => {
    expect(tokenize('Hello, World! The BUDGET is due.')).toEqual(['hello', 'world', 'the', 'budget', 'is', 'due']);
    expect(matches('Hello, World!', 'hello')).toBe(true);
    expect(matches('Hello, World!', 'WORLD')).toBe(true);
    expect(matches('Hello, World!', 'hell')).toBe(false);
  });

  it('splits mixed Chinese and Latin: 项目Alpha', () => {
    expect(tokenize('项目Alpha下周上线')).toEqual(['项目', 'alpha', '下周', '上线']);
    expect(matches('项目Alpha下周上线', 'alpha')).toBe(true);
    expect(matches('项目Alpha下周上线', '项目 alpha')).toBe(true);
    expect(matches('项目Alpha下周上线', '项目alpha')).toBe(true);
  });

  it('keeps numbers, folds full-width forms, drops emoji and symbols', () => {
    expect(tokenize('我的手机号是13800138000')).toContain('13800138000');
    expect(tokenize('ＡＢＣ　１２３')).toEqual(['abc', '123']);
    expect(tokenize('👍🎉 ... !!! ——')).toEqual([]);
    expect(tokenize('   ')).toEqual([]);
    expect(tokenize('')).toEqual([]);
    expect(tokenize('ok ok OK')).toEqual(['ok']);
  });

  it('drops very long tokens and handles a whole 2048-byte message', () => {
    expect(tokenize('x'.repeat(65))).toEqual([]);
    const long = '明天的会议改到三点，项目Alpha。'.repeat(40);
    const tokens = tokenize(long);
    expect(tokens).toEqual(expect.arrayContaining(['会议', 'alpha', '三点']));
    expect(new Set(tokens).size).toBe(tokens.length);
  });
});
