/**
 * The search index holds keyed hashes of words, never the words: after
 * messages are sent and indexed, no word of them is found in the database
 * files (SQLite, open and closed), a pg_dump, or a backup, while their
 * hashed terms are (the control: the index rows are there to be found).
 */
import { bytesAtRest, foundAtRest, testEngines, useTestDatabase } from '@muster/db/testing';
import { waitUntil } from '@muster/kit/testing';
import { describe, expect, it } from 'vitest';
import { tokenize } from '../domain/tokens.ts';
import { openImTestWorld } from '../testing/index.ts';
import { SearchIndexRepository } from './SearchIndexRepository.ts';

const engines = await testEngines('the PostgreSQL search plaintext test (im/src/store/searchPlaintext.test.ts)');

/** Words no other test writes, Chinese (a 2-character word and a longer one) and Latin. */
const WORDS = ['鲲鹏', '饕餮盛宴', 'zanzibarquux', 'vorpalsnark'];
const TEXT = `下周${WORDS[0]}项目的${WORDS[1]}，代号 ${WORDS[2].toUpperCase()} 和 ${WORDS[3]}`;

describe.each(engines)('search index: no word in plaintext at rest (%s)', (engine) => {
  const testDb = useTestDatabase(engine);

  it('stores hashed terms only: the words are in no database file, dump or backup', async () => {
    const db = await testDb.open();
    const w = await openImTestWorld(db);
    const [ann, ben] = [await w.person('Ann'), await w.person('Ben')];
    await w.befriend(ann, ben);
    const c = await w.conversations.openDirect(ann, ben.accountId);
    await w.conversations.send(ann, c.id, { clientMsgId: 'plain-00001', text: TEXT });
    await w.conversations.send(ben, c.id, { clientMsgId: 'plain-00002', text: `${WORDS[2]} ${WORDS[0]}` });
    for (const word of WORDS) {
      await waitUntil(async () => (await w.im.search.search(ann, { q: word })).results.length > 0, 10_000, `${word} indexed`);
    }
    const index = new SearchIndexRepository(db);
    // A long word may be stored as its parts (search mode): the terms are those of its tokens.
    const terms = [...new Set(WORDS.flatMap((word) => tokenize(word)))].map((token) => index.term(token));
    await w.im.close();

    const haystacks = await bytesAtRest(engine, testDb.location, db);

    for (const [name, bytes] of haystacks) {
      for (const word of [...WORDS, WORDS[2].toUpperCase()]) expect({ name, word, found: foundAtRest(bytes, word) }).toEqual({ name, word, found: false });
    }
    // The control: the hashed terms are where the rows are.
    const withRows = engine === 'sqlite' ? ['backup', 'muster.db (closed)'] : ['pg_dump', 'backup'];
    for (const term of terms) {
      expect(haystacks.filter(([, bytes]) => bytes.includes(Buffer.from(term, 'utf8'))).map(([name]) => name)).toEqual(expect.arrayContaining(withRows));
    }
  });
});
