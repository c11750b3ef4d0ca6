import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { BoardError, DEFAULT_ACCESS } from '../protocol.ts';
import { prng, varuint } from '../testing/updates.ts';
import { Board } from './Board.ts';
import { fakeMember } from '../testing/fixtures.ts';
import { MAX_AWARENESS_CLIENTS_PER_MEMBER, MAX_AWARENESS_ENTRIES, MAX_AWARENESS_STATE_BYTES, decodeAwareness } from './awareness.ts';

const user = { id: 'u1', name: 'Ada', color: '#123456' };

/** An awareness update written by hand: any count, ids and state text. */
function handMade(entries: { client: number; clock?: number; state: string }[], count = entries.length): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, count);
  for (const entry of entries) {
    encoding.writeVarUint(e, entry.client);
    encoding.writeVarUint(e, entry.clock ?? 1);
    encoding.writeVarString(e, entry.state);
  }
  return encoding.toUint8Array(e);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof BoardError) return error.code;
    throw error;
  }
  return undefined;
}

describe('awareness bounds', () => {
  it('reads what y-protocols writes', () => {
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    awareness.setLocalState({ user, cursor: { x: 1, y: 2, page: 'p1' }, selection: ['a', 'b'] });
    expect(decodeAwareness(encodeAwarenessUpdate(awareness, [doc.clientID]))).toEqual([
      { clientId: doc.clientID, clock: expect.any(Number), state: { user, cursor: { x: 1, y: 2, page: 'p1' }, selection: ['a', 'b'] } },
    ]);
    awareness.destroy();
  });

  it.each<[string, Uint8Array]>([
    ['no states', handMade([])],
    ['more states than allowed', handMade(Array.from({ length: MAX_AWARENESS_ENTRIES + 1 }, (_, i) => ({ client: i + 1, state: 'null' })))],
    ['a huge claimed count', handMade([{ client: 1, state: 'null' }], 2 ** 32)],
    ['a client id above uint32', handMade([{ client: 2 ** 40, state: 'null' }])],
    ['a state longer than allowed', handMade([{ client: 1, state: JSON.stringify({ user, tool: 'x'.repeat(MAX_AWARENESS_STATE_BYTES) }) }])],
    ['a state nested deep', handMade([{ client: 1, state: '['.repeat(10_000) + ']'.repeat(10_000) }])],
    ['a state that is not JSON', handMade([{ client: 1, state: '{' }])],
    ['a state with unknown fields', handMade([{ client: 1, state: JSON.stringify({ user, evil: 1 }) }])],
    ['trailing bytes', new Uint8Array([...handMade([{ client: 1, state: 'null' }]), 0])],
    ['a state claiming 17 MB in a few bytes', new Uint8Array([1, 1, 1, ...varuint(17_000_000), 0x7b])],
  ])('refuses %s with BAD_REQUEST', (_what, update) => {
    expect(code(() => decodeAwareness(update))).toBe('BAD_REQUEST');
  });

  it('random bytes are refused with BAD_REQUEST and nothing else', () => {
    const seed = Math.floor(Math.random() * 2 ** 32);
    const rand = prng(seed);
    for (let i = 0; i < 2_000; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(rand() * 80) }, () => Math.floor(rand() * 256));
      const result = code(() => decodeAwareness(bytes));
      if (result !== undefined && result !== 'BAD_REQUEST') throw new Error(`seed ${seed}, case ${i}: ${result}`);
    }
  });

  it(`one connection speaks for at most ${MAX_AWARENESS_CLIENTS_PER_MEMBER} awareness clients`, () => {
    const board = new Board({ id: 'b', access: DEFAULT_ACCESS });
    const member = fakeMember('m', { userId: 'u1', name: 'Ada' });
    board.addMember(member);
    for (let client = 1; client <= MAX_AWARENESS_CLIENTS_PER_MEMBER; client++) board.applyClientAwareness(member, handMade([{ client, state: JSON.stringify({ user }) }]));
    expect(code(() => board.applyClientAwareness(member, handMade([{ client: 99, state: JSON.stringify({ user }) }])))).toBe('BAD_REQUEST');
    expect(board.awareness.getStates().size).toBe(MAX_AWARENESS_CLIENTS_PER_MEMBER);
    board.close();
  });
});
