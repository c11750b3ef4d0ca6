import type { ImAdminSettings, TemporaryGroupView } from '../groupsProtocol.ts';
import type { ImTransport } from './transport.ts';

/**
 * The admin console's IM part: the idle days that clear temporary groups,
 * and the temporary groups not yet cleared (soonest first). Give it a
 * transport whose REST calls carry the console's elevated token (in the web
 * client: an AccountTransport over `accounts.admin`); a lapsed second factor
 * rejects with SECOND_FACTOR_REQUIRED, as the accounts console does.
 */
export class ImConsole {
  readonly #transport: Pick<ImTransport, 'request'>;

  constructor(transport: Pick<ImTransport, 'request'>) {
    this.#transport = transport;
  }

  settings(): Promise<ImAdminSettings> {
    return this.#transport.request('GET', '/admin/im/settings');
  }

  updateSettings(settings: ImAdminSettings): Promise<ImAdminSettings> {
    return this.#transport.request('PUT', '/admin/im/settings', settings);
  }

  temporaryGroups(): Promise<TemporaryGroupView[]> {
    return this.#transport.request('GET', '/admin/im/temporary-groups');
  }
}
