import { describe, expect, it } from 'vitest';
import { FakeTransport } from './fakeTransport.ts';
import { ImConsole } from './imConsole.ts';
import { ImClientError } from './transport.ts';

describe('ImConsole', () => {
  it('reads and changes the idle days, lists temporary groups, and passes refusals on with their code', async () => {
    let idleDays = 30;
    const transport = new FakeTransport()
      .route('GET', '/admin/im/settings', () => ({ temporaryGroupIdleDays: idleDays }))
      .route('PUT', '/admin/im/settings', ({ body }) => {
        idleDays = (body as { temporaryGroupIdleDays: number }).temporaryGroupIdleDays;
        return { temporaryGroupIdleDays: idleDays };
      })
      .route('GET', '/admin/im/temporary-groups', () => [{ id: 'cvgroup00001', name: '临时组', members: 3, createdAt: 1, lastMessageAt: null, expiresAt: null, clearsAt: 5, noticeSent: false }]);
    const console = new ImConsole(transport);
    expect(await console.settings()).toEqual({ temporaryGroupIdleDays: 30 });
    expect(await console.updateSettings({ temporaryGroupIdleDays: 7 })).toEqual({ temporaryGroupIdleDays: 7 });
    expect(transport.calls.at(-1)).toMatchObject({ method: 'PUT', path: '/admin/im/settings', body: { temporaryGroupIdleDays: 7 } });
    expect((await console.temporaryGroups()).map((g) => g.name)).toEqual(['临时组']);
    transport.route('GET', '/admin/im/settings', () => {
      throw new ImClientError('SECOND_FACTOR_REQUIRED', 'confirm it is you', 403);
    });
    await expect(console.settings()).rejects.toMatchObject({ code: 'SECOND_FACTOR_REQUIRED' });
  });
});
