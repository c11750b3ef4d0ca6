import { describe, expect, it } from 'vitest';
import { pinyin } from 'pinyin-pro';
import { compareNames, groupByLetter, matchesName, nameIndex, type NameIndex } from './pinyinNames.ts';

const pick = ({ full, initials, letter }: NameIndex) => ({ full, initials, letter });

describe('nameIndex', () => {
  it('gives full pinyin, initials and rail letter', () => {
    expect(pick(nameIndex('张三'))).toEqual({ full: 'zhangsan', initials: 'zs', letter: 'Z' });
    expect(nameIndex('张三').syllables).toEqual(['zhang', 'san']);
  });

  it('reads surnames as surnames', () => {
    // Without surname mode these read dan, jie, weichi, ceng, chou, cha, pu:
    // check that the library really differs, so the test below means something.
    expect(pinyin('单解尉曾仇查朴', { toneType: 'none', type: 'array' })).toEqual(['dan', 'jie', 'wei', 'ceng', 'chou', 'cha', 'pu']);

    expect(pick(nameIndex('单雄信'))).toEqual({ full: 'shanxiongxin', initials: 'sxx', letter: 'S' });
    expect(pick(nameIndex('解缙'))).toEqual({ full: 'xiejin', initials: 'xj', letter: 'X' });
    expect(pick(nameIndex('尉迟恭'))).toEqual({ full: 'yuchigong', initials: 'ycg', letter: 'Y' });
    expect(pick(nameIndex('曾国藩'))).toEqual({ full: 'zengguofan', initials: 'zgf', letter: 'Z' });
    expect(pick(nameIndex('仇英'))).toEqual({ full: 'qiuying', initials: 'qy', letter: 'Q' });
    expect(pick(nameIndex('查良镛'))).toEqual({ full: 'zhaliangyong', initials: 'zly', letter: 'Z' });
    expect(pick(nameIndex('朴槿惠'))).toEqual({ full: 'piaojinhui', initials: 'pjh', letter: 'P' });
    // A surname alone (a contact saved as just 单) is still a surname.
    expect(nameIndex('单').full).toBe('shan');
  });

  it('applies surname readings to the head only', () => {
    // 单 as a given name is dan: surname mode 'all' would have made it shan.
    expect(nameIndex('王单').full).toBe('wangdan');
  });

  it('spells ü as v, as it is typed', () => {
    expect(pick(nameIndex('吕布'))).toEqual({ full: 'lvbu', initials: 'lb', letter: 'L' });
  });

  it('indexes Latin names by their words', () => {
    expect(pick(nameIndex('Alice'))).toEqual({ full: 'alice', initials: 'a', letter: 'A' });
    expect(pick(nameIndex('John Smith'))).toEqual({ full: 'johnsmith', initials: 'js', letter: 'J' });
    expect(nameIndex('John Smith').syllables).toEqual(['john', 'smith']);
    expect(pick(nameIndex('  bob'))).toEqual({ full: 'bob', initials: 'b', letter: 'B' });
    // Accents and full-width letters file under their plain letter.
    expect(pick(nameIndex('Émile'))).toEqual({ full: 'emile', initials: 'e', letter: 'E' });
    expect(pick(nameIndex('Ｚｏｅ'))).toEqual({ full: 'zoe', initials: 'z', letter: 'Z' });
  });

  it('indexes mixed Chinese and Latin names', () => {
    expect(pick(nameIndex('李雷Tom'))).toEqual({ full: 'lileitom', initials: 'llt', letter: 'L' });
    expect(nameIndex('李雷Tom').syllables).toEqual(['li', 'lei', 'tom']);
    expect(pick(nameIndex('Tom李'))).toEqual({ full: 'tomli', initials: 'tl', letter: 'T' });
    expect(pick(nameIndex('张3'))).toEqual({ full: 'zhang3', initials: 'z3', letter: 'Z' });
  });

  it("files digits, emoji, symbols and other scripts under '#'", () => {
    expect(pick(nameIndex('123'))).toEqual({ full: '123', initials: '1', letter: '#' });
    expect(pick(nameIndex('3D打印店'))).toEqual({ full: '3ddayindian', initials: '3dyd', letter: '#' });
    expect(pick(nameIndex('😀小明'))).toEqual({ full: 'xiaoming', initials: 'xm', letter: '#' });
    expect(pick(nameIndex('👨‍👩‍👧'))).toEqual({ full: '', initials: '', letter: '#' });
    expect(pick(nameIndex('@home'))).toEqual({ full: 'home', initials: 'h', letter: '#' });
    expect(pick(nameIndex('Иван'))).toEqual({ full: '', initials: '', letter: '#' });
    expect(pick(nameIndex(''))).toEqual({ full: '', initials: '', letter: '#' });
  });
});

describe('matchesName', () => {
  const zhangSan = nameIndex('张三');

  it.each(['zs', 'zhangs', 'zhangsan', '张', '三', '张三', 'z', 'zhang', 'ZS', 'ZhangSan', 'zhang san', ' zs ', 'zhs', 'zhangsa', 'san', 'angsa', 'ｚｓ'])(
    'finds 张三 from %j',
    (query) => {
      expect(matchesName(query, zhangSan)).toBe(true);
    },
  );

  it.each(['', '   ', '\t', 'ls', 'sz', 'zsx', 'zhangsanfeng', 'zhangx', '李', '张四', 'zhengs', 'x', 'zhangsanx'])('does not find 张三 from %j', (query) => {
    expect(matchesName(query, zhangSan)).toBe(false);
  });

  it('matches surnames by their surname reading', () => {
    expect(matchesName('shanx', nameIndex('单雄信'))).toBe(true);
    expect(matchesName('danx', nameIndex('单雄信'))).toBe(false);
    expect(matchesName('ycg', nameIndex('尉迟恭'))).toBe(true);
    expect(matchesName('yuchig', nameIndex('尉迟恭'))).toBe(true);
    expect(matchesName('weichi', nameIndex('尉迟恭'))).toBe(false);
  });

  it('tries every split of a query over the syllables', () => {
    // 夏安 is xia + an. "xian" is no substring of "xiaan" and no prefix of
    // "xa": it is found only as xi + an, which a matcher that takes the
    // longest fit (xia, leaving "n" for "an") would miss.
    const xiaAn = nameIndex('夏安');
    expect(xiaAn.syllables).toEqual(['xia', 'an']);
    expect(matchesName('xian', xiaAn)).toBe(true);
    expect(matchesName('xan', xiaAn)).toBe(true);
    expect(matchesName('xiaa', xiaAn)).toBe(true);
    expect(matchesName('xiana', xiaAn)).toBe(false);
    expect(matchesName('xn', xiaAn)).toBe(false);
    // Every syllable takes at least one letter: none is skipped.
    expect(matchesName('zf', nameIndex('张三丰'))).toBe(false);
    expect(matchesName('zsf', nameIndex('张三丰'))).toBe(true);
  });

  it('matches Latin and mixed names', () => {
    const tom = nameIndex('李雷Tom');
    expect(matchesName('tom', tom)).toBe(true);
    expect(matchesName('TOM', tom)).toBe(true);
    expect(matchesName('llt', tom)).toBe(true);
    expect(matchesName('lileit', tom)).toBe(true);
    expect(matchesName('雷T', tom)).toBe(true);
    expect(matchesName('lt', tom)).toBe(false);

    const john = nameIndex('John Smith');
    expect(matchesName('john smith', john)).toBe(true);
    expect(matchesName('js', john)).toBe(true);
    expect(matchesName('johns', john)).toBe(true);
    expect(matchesName('smi', john)).toBe(true);
    expect(matchesName('jx', john)).toBe(false);

    expect(matchesName('emile', nameIndex('Émile'))).toBe(true);
    expect(matchesName('lvb', nameIndex('吕布'))).toBe(true);
    expect(matchesName('lüb', nameIndex('吕布'))).toBe(true);
  });

  it("matches '#' names by their text and by what pinyin they have", () => {
    const emoji = nameIndex('😀小明');
    expect(matchesName('😀', emoji)).toBe(true);
    expect(matchesName('xiaom', emoji)).toBe(true);
    expect(matchesName('xm', emoji)).toBe(true);
    expect(matchesName('Иван', nameIndex('Иван'))).toBe(true);
    expect(matchesName('иван', nameIndex('Иван'))).toBe(true);
    expect(matchesName('ivan', nameIndex('Иван'))).toBe(false);
  });
});

describe('sorting and grouping', () => {
  const names = ['张三', 'Zoe', '😀小明', '阿里', 'alice', 'Bob', '123', '李四', '李', '连城', '曾国藩', '查良镛', '单雄信', '吕布', '卢布', '马云', '章三', '张三丰', '@home', 'Alice'];

  it('orders by pinyin, Latin names interleaved, # last, ties by name', () => {
    const sorted = names.map(nameIndex).sort(compareNames).map((i) => i.name);
    expect(sorted).toEqual([
      '阿里', // a li
      'Alice', // alice; 'A' < 'a' breaks the tie with alice
      'alice',
      'Bob',
      '李', // li, before li si: a name that ends sorts first
      '李四', // li si, before lian: syllable by syllable
      '连城', // lian cheng
      '卢布', // lu bu
      '吕布', // lv bu: ü after u, as in the dictionary
      '马云',
      '单雄信', // shan, not dan
      '曾国藩', // zeng, not ceng
      '查良镛', // zha, not cha; before zhang: the syllable ends first
      '张三', // zhang san; 张 before 章 by code point
      '章三',
      '张三丰',
      'Zoe',
      '123',
      '@home',
      '😀小明',
    ]);
  });

  it('sorts by the sortKey alone, with plain string comparison', () => {
    const byKey = names.map(nameIndex).map((i) => i.sortKey).sort();
    const byCompare = names.map(nameIndex).sort(compareNames).map((i) => i.sortKey);
    expect(byKey).toEqual(byCompare);
    expect(compareNames(nameIndex('张三'), nameIndex('张三'))).toBe(0);
    expect(compareNames(nameIndex('张三'), nameIndex('李四'))).toBe(1);
    expect(compareNames(nameIndex('李四'), nameIndex('张三'))).toBe(-1);
  });

  it('groups by rail letter, A–Z then #, items sorted within', () => {
    const contacts = names.map((name, id) => ({ id, name }));
    const calls: string[] = [];
    const groups = groupByLetter(contacts, (c) => {
      calls.push(c.name);
      return nameIndex(c.name);
    });
    expect(groups.map((g) => [g.letter, g.items.map((c) => c.name)])).toEqual([
      ['A', ['阿里', 'Alice', 'alice']],
      ['B', ['Bob']],
      ['L', ['李', '李四', '连城', '卢布', '吕布']],
      ['M', ['马云']],
      ['S', ['单雄信']],
      ['Z', ['曾国藩', '查良镛', '张三', '章三', '张三丰', 'Zoe']],
      ['#', ['123', '@home', '😀小明']],
    ]);
    // One index per item, however many comparisons the sort makes.
    expect(calls.sort()).toEqual([...names].sort());
  });

  it('groups an empty list into no groups', () => {
    expect(groupByLetter([], nameIndex)).toEqual([]);
  });
});

describe('a contact list of 5,000', () => {
  it('indexes, groups and filters 5,000 names, one pass per keystroke', () => {
    const chars = '张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆';
    const names = Array.from({ length: 5000 }, (_, i) => chars[i % chars.length]! + chars[(i * 7) % chars.length]! + chars[(i * 13) % chars.length]! + (i % 3 === 0 ? `Tom${i}` : ''));
    const start = performance.now();
    const indexes = names.map(nameIndex);
    const groups = groupByLetter(indexes, (i) => i);
    // What typing "zhang" costs: one pass per keystroke.
    let found = 0;
    for (const query of ['z', 'zh', 'zha', 'zhan', 'zhang']) found = indexes.filter((i) => matchesName(query, i)).length;
    const elapsed = performance.now() - start;

    expect(groups.reduce((n, g) => n + g.items.length, 0)).toBe(5000);
    expect(found).toBe(names.filter((n) => n.includes('张') || n.includes('章')).length);
    // How long it took is logged, not asserted (speed is measured, not asserted).
    console.log(`[pinyin] 5,000 names indexed, grouped and filtered five times in ${elapsed.toFixed(0)} ms`);
  });
});
