/**
 * The reader pool's one retry (Engine.ts retryingReads), with a pool whose
 * connections die on cue: a read on a connection the server had ended runs
 * once more on a fresh one; a query's own error, and anything inside a
 * transaction, is not run again.
 */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { retryingReads } from './Engine.ts';

function fakePool(failures: (Error | null)[]) {
  const released: (Error | boolean | undefined)[] = [];
  const ran: string[] = [];
  let connections = 0;
  const pool = {
    async connect() {
      const id = ++connections;
      return {
        async query(text: string) {
          ran.push(`${id}:${text}`);
          const failure = failures.shift();
          if (failure) throw failure;
          return { command: 'SELECT', rows: [{ id }] };
        },
        release: (error?: Error | boolean) => void released.push(error),
      };
    },
    end: async () => undefined,
    on: () => pool,
  };
  return { pool: retryingReads(pool as unknown as pg.Pool), released, ran };
}

const ended = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

describe('retryingReads', () => {
  it('runs a read again on a fresh connection when its connection had died, and discards the dead one', async () => {
    const { pool, released, ran } = fakePool([ended()]);
    const client = await pool.connect();
    expect(await client.query('select 1')).toMatchObject({ rows: [{ id: 2 }] });
    expect(ran).toEqual(['1:select 1', '2:select 1']);
    expect(released[0]).toMatchObject({ code: '57P01' });
    client.release();
    expect(released).toHaveLength(2);
  });

  it("does not run again a query's own error, nor anything inside a transaction", async () => {
    const own = Object.assign(new Error('duplicate key'), { code: '23505' });
    const a = fakePool([own]);
    await expect((await a.pool.connect()).query('select 1')).rejects.toBe(own);
    expect(a.ran).toEqual(['1:select 1']);
    const b = fakePool([null, ended()]);
    const client = await b.pool.connect();
    await client.query('begin');
    await expect(client.query('select 1')).rejects.toMatchObject({ code: '57P01' });
    expect(b.ran).toEqual(['1:begin', '1:select 1']);
  });
});
