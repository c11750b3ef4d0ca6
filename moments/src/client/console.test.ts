import { describe, expect, it } from 'vitest';
import type { ImTransport } from '@muster/im/client';
import type { ReportView } from '../protocol.ts';
import { EMPTY_REPORTS, MomentsConsole, afterResolve, appendReports, reportErrorText, reportRow } from './console.ts';

const person = (id: string) => ({ id, nickname: id.toUpperCase(), avatar: null, musterId: null });
const image = (id: string) => ({ id, name: `${id}.jpg`, size: 10, mime: 'image/jpeg', kind: 'image' as const, thumbnail: true });

function report(id: string, momentId: string, extra: Partial<ReportView> = {}): ReportView {
  return {
    id,
    reason: 'spam',
    reporter: person('bo'),
    state: 'open',
    createdAt: 1,
    resolution: null,
    resolvedAt: null,
    resolvedBy: null,
    moment: { id: momentId, author: person('ann'), text: 'hello', location: null, files: [], visibility: 'all', createdAt: 1, removed: false },
    ...extra,
  };
}

describe('MomentsConsole', () => {
  it('lists reports by state and page, and resolves them', async () => {
    const calls: { method: string; path: string; body: unknown }[] = [];
    const transport: Pick<ImTransport, 'request'> = {
      request: async <T>(method: string, path: string, body?: unknown) => {
        calls.push({ method, path, body });
        return { items: [], next: null } as T;
      },
    };
    const c = new MomentsConsole(transport);
    await c.reports();
    await c.reports('resolved', 'cur_1', 20);
    await c.resolve('mr1', 'dismiss');
    await c.resolve('mr/2', 'remove');
    expect(calls).toEqual([
      { method: 'GET', path: '/moments/reports?state=open', body: undefined },
      { method: 'GET', path: '/moments/reports?state=resolved&before=cur_1&limit=20', body: undefined },
      { method: 'POST', path: '/moments/reports/mr1/resolve', body: { action: 'dismiss' } },
      { method: 'POST', path: '/moments/reports/mr%2F2/resolve', body: { action: 'remove' } },
    ]);
  });

  it('passes a lapsed second factor on with its code', async () => {
    const c = new MomentsConsole({
      request: async () => {
        throw Object.assign(new Error('confirm'), { code: 'SECOND_FACTOR_REQUIRED' });
      },
    });
    await expect(c.reports()).rejects.toMatchObject({ code: 'SECOND_FACTOR_REQUIRED' });
  });
});

describe('the reports list', () => {
  it('appends pages, a report in both once', () => {
    let s = appendReports(EMPTY_REPORTS, { items: [report('r3', 'm1'), report('r2', 'm2')], next: 'p2' });
    s = appendReports(s, { items: [report('r2', 'm2', { reason: 'newer' }), report('r1', 'm1')], next: null });
    expect(s.items.map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);
    expect(s.items[1]!.reason).toBe('newer');
    expect(s).toMatchObject({ loaded: true, next: null });
  });

  it('drops a dismissed report; a removal drops every open report of the post; the resolved list replaces it', () => {
    const s = appendReports(EMPTY_REPORTS, { items: [report('r3', 'm1'), report('r2', 'm2'), report('r1', 'm1')], next: null });
    const dismissed = report('r3', 'm1', { state: 'resolved', resolution: 'dismiss' });
    expect(afterResolve(s, 'open', dismissed).items.map((r) => r.id)).toEqual(['r2', 'r1']);
    const removed = report('r3', 'm1', { state: 'resolved', resolution: 'remove' });
    expect(afterResolve(s, 'open', removed).items.map((r) => r.id)).toEqual(['r2']);
    expect(afterResolve(s, 'resolved', removed).items[0]).toBe(removed);
  });

  it('words a row: the post, its first picture, who reported it and why', () => {
    const r = report('r1', 'm1', { moment: { ...report('r1', 'm1').moment, files: [image('fl1'), image('fl2')], visibility: 'friends', location: 'Pier 4' } });
    expect(reportRow(r)).toEqual({
      id: 'r1',
      author: 'ANN',
      text: 'hello',
      pictureFileId: 'fl1',
      moreFiles: 1,
      visibility: 'Friends',
      location: 'Pier 4',
      reporter: 'BO',
      reason: 'spam',
      postState: 'live',
      resolution: null,
      open: true,
    });
    const gone = reportRow(report('r2', 'm1', { reporter: null, state: 'resolved', resolution: 'remove', moment: { ...r.moment, author: null, text: null, files: [], removed: true } }));
    expect(gone).toMatchObject({ author: 'A deleted account', reporter: 'A deleted account', text: '', pictureFileId: null, postState: 'removed', resolution: 'Post removed', open: false });
    expect(reportErrorText({ code: 'ALREADY_RESOLVED' })).toContain('already resolved');
  });
});
