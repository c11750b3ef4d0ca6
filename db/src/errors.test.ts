import { describe, expect, it } from 'vitest';
import { classifyFailure } from './errors.ts';

const error = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('classifyFailure', () => {
  it('sorts engine errors into what the writer does with them', () => {
    expect(classifyFailure(error('could not extend file: No space left on device', '53100'))).toBe('disk_full');
    expect(classifyFailure(error('database or disk is full', 'SQLITE_FULL'))).toBe('disk_full');
    expect(classifyFailure(error('ENOSPC: no space left on device, write', 'ENOSPC'))).toBe('disk_full');
    expect(classifyFailure(error('terminating connection due to administrator command', '57P01'))).toBe('connection');
    expect(classifyFailure(error('the database system is starting up', '57P03'))).toBe('connection');
    expect(classifyFailure(error('connection failure', '08006'))).toBe('connection');
    expect(classifyFailure(error('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe('connection');
    expect(classifyFailure(error('Connection terminated unexpectedly'))).toBe('connection');
    expect(classifyFailure(error('Client has encountered a connection error and is not queryable'))).toBe('connection');
    expect(classifyFailure(error('database is locked', 'SQLITE_BUSY'))).toBe('busy');
    expect(classifyFailure(error('deadlock detected', '40P01'))).toBe('busy');
    expect(classifyFailure(error('could not serialize access due to concurrent update', '40001'))).toBe('busy');
    expect(classifyFailure(error('duplicate key value violates unique constraint', '23505'))).toBe('other');
    expect(classifyFailure(error('UNIQUE constraint failed: meetings.id', 'SQLITE_CONSTRAINT_PRIMARYKEY'))).toBe('other');
    expect(classifyFailure('not an error')).toBe('other');
  });
});
