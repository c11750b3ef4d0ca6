import type { NoticeView } from '../protocol.ts';

/**
 * What the service-accounts SDK needs of a connection: REST calls under
 * /api/v1 (a coded error reply rejects with an error carrying `code`) and,
 * optionally, the live `channels.notice` event. IM's AccountTransport fits
 * (the web app hands it over, so notices ride on the one `/account` socket).
 */
export interface ChannelsTransport {
  request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
  on?(event: 'channels.notice', listener: (notice: NoticeView) => void): () => void;
}
